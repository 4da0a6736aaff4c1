// Permission escalation over every admin route that grants anything (docs/security.md, "Permissions and
// escalation"): nobody grants, directly or through a role, a permission they lack; nobody changes their own roles;
// platform permissions stay in the platform tenant; a tenant keeps an active admin. The first test makes it
// mechanical: an admin route that changes something must be listed below as granting (with its probes) or not.
import { adminRouteGroups } from '../../src/api/admin/index.ts';
import { createRole } from '../../src/services/roles.ts';
import { signedInUser } from '../helpers/admin.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, readJson } from '../helpers/http.ts';
import { serviceMode } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const INSUFFICIENT = { code: 'INSUFFICIENT_PERMISSIONS', message: 'User lacks required permissions for this operation' };
const LAST_ADMIN = { code: 'LAST_ADMIN', message: 'The last administrator of a tenant cannot be removed', field: 'userId' };

let server: TestServer;
const api = adminApi(() => server.url);
/** Tokens of acme users whose custom roles hold only what their name says. */
const t = { admin: '', userManager: '', roleManager: '', clientManager: '', operator: '', tenantsOnlyOperator: '', soloAdmin: '' };
const ids: Record<string, string> = {};

const TEST_ACTOR = { actorId: 'test' };

beforeAll(async () => {
  server = await startTestServer();
  const deps = server.ctx;
  for (const id of ['acme', 'platform', 'solo']) await makeTenant(deps, id);
  await createRole(deps, 'acme', { name: 'user-manager', permissions: ['users:read', 'users:write'] }, TEST_ACTOR);
  await createRole(deps, 'acme', { name: 'role-manager', permissions: ['roles:read', 'roles:write'] }, TEST_ACTOR);
  await createRole(deps, 'acme', { name: 'client-manager', permissions: ['clients:read', 'clients:write'] }, TEST_ACTOR);
  await createRole(deps, 'acme', { name: 'auditor', permissions: ['audit:read'] }, TEST_ACTOR);
  await createRole(deps, 'platform', { name: 'tenant-maker', permissions: ['tenants:read', 'tenants:write'] }, TEST_ACTOR);
  const admin = await signedInUser(server, 'acme', 'admin@acme.test', ['admin']);
  t.admin = admin.token;
  ids.admin = admin.user.id;
  const userManager = await signedInUser(server, 'acme', 'users@acme.test', ['user-manager']);
  t.userManager = userManager.token;
  ids.userManager = userManager.user.id;
  t.roleManager = (await signedInUser(server, 'acme', 'roles@acme.test', ['role-manager'])).token;
  t.clientManager = (await signedInUser(server, 'acme', 'clients@acme.test', ['client-manager'])).token;
  t.operator = (await signedInUser(server, 'platform', 'operator@platform.test', ['admin'])).token;
  t.tenantsOnlyOperator = (await signedInUser(server, 'platform', 'maker@platform.test', ['tenant-maker'])).token;
  const solo = await signedInUser(server, 'solo', 'only@solo.test', ['admin']);
  t.soloAdmin = solo.token;
  ids.soloAdmin = solo.user.id;
  ids.member = (await makeUser(deps, 'acme', 'member@acme.test')).id;
}, 60_000);
afterAll(() => server.stop());

/** Routes that can hand out a permission or an account that holds one, each probed below. */
const GRANTING = [
  'POST /tenants',
  'POST /users',
  'PATCH /users/:userId',
  'POST /users/:userId/disable',
  'POST /users/:userId/enable',
  'POST /users/:userId/unlock',
  'DELETE /users/:userId/mfa',
  'PUT /users/:userId/roles',
  'POST /roles',
  'PATCH /roles/:name',
  'DELETE /roles/:name',
  'POST /clients',
  'PATCH /clients/:clientId',
  'POST /clients/:clientId/secret',
  'POST /initial-access-tokens',
];
/** Changes that give nobody a permission: ending sessions, deleting a client, tenant settings, IP blocks. */
const GRANTS_NOTHING = [
  'PATCH /tenants/:tenantId',
  'POST /tenants/:tenantId/suspend',
  'POST /tenants/:tenantId/activate',
  'DELETE /users/:userId/sessions',
  'DELETE /users/:userId/sessions/:sessionId',
  'DELETE /clients/:clientId',
  'DELETE /ip-blocks/:ip',
  // API resources and their scopes: a resource scope can never be named like a permission (probed below).
  'POST /api-resources',
  'PATCH /api-resources/:resourceId',
  'DELETE /api-resources/:resourceId',
  'PUT /clients/:clientId/resource-scopes/:resourceId',
];

it('every admin route that changes something is classified here as granting (and probed) or not', () => {
  const changing = adminRouteGroups(server.ctx, server.oidc)
    .flatMap((g) => g.routes)
    .filter((r) => r.method !== 'get')
    .map((r) => `${r.method.toUpperCase()} ${r.path}`);
  expect([...GRANTING, ...GRANTS_NOTHING].sort()).toEqual(changing.sort());
});

describe('users and role assignment', () => {
  it('a user manager cannot give themselves or anyone a role holding more than they hold', async () => {
    const own = await api('PUT', `/users/${ids.userManager}/roles`, { token: t.userManager, body: { roles: ['admin'] } });
    expect(own.status).toBe(403);
    expect(own.body.errors).toEqual([expect.objectContaining(INSUFFICIENT)]);
    const other = await api('PUT', `/users/${ids.member}/roles`, { token: t.userManager, body: { roles: ['auditor'] } });
    expect(other.status).toBe(403);
    // The refused change left the caller without admin rights.
    expect((await api('GET', '/audit-events', { token: t.userManager })).status).toBe(403);
    // Within what they hold, they may assign.
    const fine = await api('PUT', `/users/${ids.member}/roles`, { token: t.userManager, body: { roles: ['member', 'user-manager'] } });
    expect(fine.status).toBe(200);
    await api('PUT', `/users/${ids.member}/roles`, { token: t.admin, body: { roles: ['member'] } });
  });

  it('nobody changes their own roles, not even an admin', async () => {
    const res = await api('PUT', `/users/${ids.admin}/roles`, { token: t.admin, body: { roles: ['admin', 'member'] } });
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([expect.objectContaining(INSUFFICIENT)]);
  });

  it('a user manager cannot create an admin', async () => {
    const res = await api('POST', '/users', {
      token: t.userManager,
      body: { email: 'mine@acme.test', password: 'a long passphrase', roles: ['admin'] },
    });
    expect(res.status).toBe(403);
    expect(await server.ctx.db('users').where({ tenant_id: 'acme', email: 'mine@acme.test' }).first()).toBeUndefined();
    const member = await api('POST', '/users', { token: t.userManager, body: { email: 'plain@acme.test', password: 'a long passphrase' } });
    expect(member.status).toBe(201);
  });

  it('a user manager cannot take over a user who holds more: no email change, disable, unlock, enable or MFA reset', async () => {
    const calls: Array<[string, string, unknown?]> = [
      ['PATCH', `/users/${ids.admin}`, { email: 'attacker@evil.test' }],
      ['POST', `/users/${ids.admin}/disable`],
      ['POST', `/users/${ids.admin}/enable`],
      ['POST', `/users/${ids.admin}/unlock`],
      ['DELETE', `/users/${ids.admin}/mfa`],
    ];
    for (const [method, path, body] of calls) {
      const res = await api(method, path, { token: t.userManager, ...(body !== undefined && { body }) });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
    expect((await api('GET', `/users/${ids.admin}`, { token: t.admin })).body.data.user).toMatchObject({
      email: 'admin@acme.test',
      status: 'active',
    });
  });

  it('the last active admin of a tenant cannot be demoted or disabled; with a second one it can', async () => {
    const demote = await api('PUT', `/users/${ids.soloAdmin}/roles`, { token: t.operator, tenant: 'solo', body: { roles: ['member'] } });
    expect(demote.status).toBe(409);
    expect(demote.body.errors).toEqual([expect.objectContaining(LAST_ADMIN)]);
    const disableSelf = await api('POST', `/users/${ids.soloAdmin}/disable`, { token: t.soloAdmin });
    expect(disableSelf.status).toBe(409);
    expect(disableSelf.body.errors).toEqual([expect.objectContaining(LAST_ADMIN)]);
    expect((await api('GET', '/users', { token: t.soloAdmin })).status).toBe(200);

    const second = await api('POST', '/users', {
      token: t.soloAdmin,
      body: { email: 'second@solo.test', password: 'a long passphrase', roles: ['admin'] },
    });
    expect(second.status).toBe(201);
    const demoted = await api('PUT', `/users/${ids.soloAdmin}/roles`, { token: t.operator, tenant: 'solo', body: { roles: ['member'] } });
    expect(demoted.status).toBe(200);
    // Now the second one is the last.
    const last = await api('POST', `/users/${second.body.data.user.id}/disable`, { token: t.operator, tenant: 'solo' });
    expect(last.status).toBe(409);
  });

  it('two admins demoting each other at once: one change wins, the tenant keeps an admin', async () => {
    await makeTenant(server.ctx, 'duo');
    const a = await signedInUser(server, 'duo', 'a@duo.test', ['admin']);
    const b = await signedInUser(server, 'duo', 'b@duo.test', ['admin']);
    const [ab, ba] = await Promise.all([
      api('PUT', `/users/${b.user.id}/roles`, { token: a.token, body: { roles: ['member'] } }),
      api('PUT', `/users/${a.user.id}/roles`, { token: b.token, body: { roles: ['member'] } }),
    ]);
    // On PostgreSQL both pass the permission check at once and the last-admin guard refuses one (409). Embedded PGlite
    // runs the two one after the other, so the second actor is no admin by then (403).
    expect([ab.status, ba.status].sort()).toEqual([200, serviceMode() === 'embedded' ? 403 : 409]);
    const admins = await server.ctx
      .db('user_roles as ur')
      .join('roles as r', 'r.id', 'ur.role_id')
      .where({ 'r.tenant_id': 'duo', 'r.name': 'admin' });
    expect(admins).toHaveLength(1);
  });
});

describe('roles', () => {
  it('a role manager cannot add to their own role, or create or delete a role, beyond what they hold', async () => {
    const own = await api('PATCH', '/roles/role-manager', {
      token: t.roleManager,
      body: { permissions: ['roles:read', 'roles:write', 'users:read', 'users:write', 'clients:write', 'audit:read'] },
    });
    expect(own.status).toBe(403);
    expect(own.body.errors).toEqual([expect.objectContaining(INSUFFICIENT)]);
    const created = await api('POST', '/roles', { token: t.roleManager, body: { name: 'escalator', permissions: ['users:write'] } });
    expect(created.status).toBe(403);
    const deleted = await api('DELETE', '/roles/auditor', { token: t.roleManager });
    expect(deleted.status).toBe(403);
    const changedOther = await api('PATCH', '/roles/auditor', { token: t.roleManager, body: { permissions: [] } });
    expect(changedOther.status).toBe(403);
    expect((await api('GET', '/roles', { token: t.admin })).body.data.roles).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'role-manager', permissions: ['roles:read', 'roles:write'] })]),
    );
    const within = await api('POST', '/roles', { token: t.roleManager, body: { name: 'reader', permissions: ['roles:read'] } });
    expect(within.status).toBe(201);
  });

  it('platform permissions exist only in the platform tenant, even for a platform operator', async () => {
    const byTenantAdmin = await api('POST', '/roles', { token: t.admin, body: { name: 'tenant-admin', permissions: ['tenants:write'] } });
    expect(byTenantAdmin.status).toBe(403);
    const byOperator = await api('POST', '/roles', {
      token: t.operator,
      tenant: 'acme',
      body: { name: 'blocker', permissions: ['ip-blocks:write'] },
    });
    expect(byOperator.status).toBe(400);
    expect(byOperator.body.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_FORMAT', field: 'permissions', constraint: 'PLATFORM_PERMISSION' }),
    ]);
    const acmeAdminRole = (await api('GET', '/roles', { token: t.admin })).body.data.roles.find(
      (r: { name: string }) => r.name === 'admin',
    );
    expect(acmeAdminRole.permissions).not.toEqual(expect.arrayContaining(['tenants:read']));
    expect(acmeAdminRole.permissions).not.toContain('ip-blocks:write');
    const platformAdminRole = (await api('GET', '/roles', { token: t.operator })).body.data.roles.find(
      (r: { name: string }) => r.name === 'admin',
    );
    expect(platformAdminRole.permissions).toEqual(expect.arrayContaining(['tenants:write', 'ip-blocks:write']));
  });
});

describe('tenants, clients and initial access tokens', () => {
  it('an operator holding only tenants:* cannot create a tenant with an admin user', async () => {
    const res = await api('POST', '/tenants', {
      token: t.tenantsOnlyOperator,
      body: { id: 'mine', name: 'Mine', admin: { email: 'me@mine.test', password: 'a long passphrase' } },
    });
    expect(res.status).toBe(403);
    expect((await api('POST', '/tenants', { token: t.tenantsOnlyOperator, body: { id: 'bare', name: 'Bare' } })).status).toBe(201);
  });

  it('a client manager cannot put a permission they lack into a client scope, nor take over a client holding one', async () => {
    const created = await api('POST', '/clients', {
      token: t.clientManager,
      body: { name: 'Bot', redirectUris: [], grantTypes: ['client_credentials'], scope: 'users:write' },
    });
    expect(created.status).toBe(403);
    const bot = await api('POST', '/clients', {
      token: t.admin,
      body: { name: 'Admin bot', redirectUris: [], grantTypes: ['client_credentials'], scope: 'users:write' },
    });
    const clientId = bot.body.data.client.clientId as string;
    expect((await api('PATCH', `/clients/${clientId}`, { token: t.clientManager, body: { scope: 'users:write audit:read' } })).status).toBe(
      403,
    );
    expect((await api('POST', `/clients/${clientId}/secret`, { token: t.clientManager })).status).toBe(403);
  });

  it('a client registered with an initial access token gets no permission scope', async () => {
    const iat = await api('POST', '/initial-access-tokens', { token: t.clientManager, body: {} });
    expect(iat.status).toBe(201);
    const res = await fetch(`${server.url}/oauth2/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${iat.body.data.initialAccessToken}` },
      body: JSON.stringify({ redirect_uris: [], grant_types: ['client_credentials'], response_types: [], scope: 'users:write' }),
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toBe('invalid_client_metadata');
  });
});

describe('API resources', () => {
  it('hand out no permission: a resource scope cannot be a permission string, and its tokens are no admin tokens', async () => {
    const named = await api('POST', '/api-resources', {
      token: t.clientManager,
      body: { identifier: 'https://escalate.example/api', name: 'Escalate', scopes: [{ name: 'users:write', description: 'x' }] },
    });
    expect(named.status).toBe(400);
    expect(named.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', constraint: 'RESERVED_SCOPE' });

    const created = await api('POST', '/api-resources', {
      token: t.clientManager,
      body: { identifier: 'https://escalate.example/api', name: 'Escalate', scopes: [{ name: 'everything', description: 'Do anything' }] },
    });
    const machine = await api('POST', '/clients', {
      token: t.clientManager,
      body: { name: 'Machine', grantTypes: ['client_credentials'] },
    });
    const { clientId } = machine.body.data.client;
    await api('PUT', `/clients/${clientId}/resource-scopes/${created.body.data.apiResource.id}`, {
      token: t.clientManager,
      body: { scopes: ['everything'] },
    });
    const tokenFor = async (scope: string) =>
      (await readJson(
        await fetch(`${server.url}/oauth2/token`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: `Basic ${Buffer.from(`${clientId}:${machine.body.data.clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://escalate.example/api', scope }),
        }),
      )) as { access_token: string; error?: string };
    // A permission the client was not registered with is refused outright, resource or not.
    expect((await tokenFor('everything users:write')).error).toBe('invalid_scope');
    const { access_token: accessToken } = await tokenFor('everything');
    expect(JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString())).toMatchObject({
      aud: 'https://escalate.example/api',
      scope: 'everything',
    });
    // A token for the API is no token for the admin API.
    expect((await api('GET', '/users', { token: accessToken })).status).toBe(401);
  });
});
