// The admin API over real HTTP on real PostgreSQL/Redis: every route against a member token, another tenant's
// admin and the right admin; then what the routes do (users, tenants, roles, audit pagination, IP blocks, outbox).
import { adminRouteGroups } from '../../src/api/admin/index.ts';
import { recordAudit } from '../../src/services/audit.ts';
import { blockIp } from '../../src/services/ip-blocks.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { signedInUser } from '../helpers/admin.ts';
import { adminApi, authApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const GUIDE = {
  INSUFFICIENT_PERMISSIONS: { code: 'INSUFFICIENT_PERMISSIONS', message: 'User lacks required permissions for this operation' },
  TENANT_ACCESS_DENIED: { code: 'TENANT_ACCESS_DENIED', message: 'Access to tenant is denied' },
  DUPLICATE_EMAIL: { code: 'DUPLICATE_RESOURCE', message: 'Resource already exists', field: 'email' },
};

/** The guide's error item, with the link to its entry that every error item carries. */
/** An error item exactly as the guide shows it (the help link travels in the Link header). */
const guideItem = (item: { code: string }) => item;

let server: TestServer;
const tokens = { admin: '', member: '', otherAdmin: '', operator: '' };
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  const deps = server.ctx;
  for (const id of ['acme', 'other', 'platform', 'doomed']) await makeTenant(deps, id);
  tokens.admin = (await signedInUser(server, 'acme', 'admin@acme.test', ['admin'])).token;
  tokens.member = (await signedInUser(server, 'acme', 'member@acme.test', ['member'])).token;
  tokens.otherAdmin = (await signedInUser(server, 'other', 'admin@other.test', ['admin'])).token;
  tokens.operator = (await signedInUser(server, 'platform', 'operator@platform.test', ['admin'])).token;
  for (const name of ['get', 'patch', 'disable', 'enable', 'unlock', 'mfa', 'roles', 'sessions', 'end', 'end-one']) {
    ids[name] = (await makeUser(deps, 'acme', `${name}@acme.test`)).id;
  }
  const endOne = await signedInUser(server, 'acme', 'sessioned@acme.test', ['member']);
  ids.sessioned = endOne.user.id;
  ids.sessionId = (await authApi(() => server.url)('GET', '/me', { token: endOne.token })).body.data.sessionId;
}, 60_000);
afterAll(() => server.stop());

const api = adminApi(() => server.url);

interface Case {
  route: string;
  path: () => string;
  body?: () => unknown;
  /** Who may call it: a tenant admin, or only a platform operator. */
  allowed: 'admin' | 'operator';
  /** A route naming another tenant in its path is that tenant's business: the member is refused on that ground. */
  memberGets?: 'TENANT_ACCESS_DENIED';
  /** Runs before the allowed call (e.g. enrol MFA so there is something to reset). */
  prepare?: () => Promise<void>;
}

let roleCount = 0;
const CASES: Case[] = [
  { route: 'GET /tenants', path: () => '/tenants', allowed: 'operator' },
  { route: 'POST /tenants', path: () => '/tenants', body: () => ({ id: 'fresh', name: 'Fresh' }), allowed: 'operator' },
  { route: 'GET /tenants/:tenantId', path: () => '/tenants/acme', allowed: 'operator' },
  { route: 'PATCH /tenants/:tenantId', path: () => '/tenants/acme', body: () => ({ lockoutMaxFailures: 7 }), allowed: 'operator' },
  {
    route: 'POST /tenants/:tenantId/suspend',
    path: () => '/tenants/doomed/suspend',
    allowed: 'operator',
    memberGets: 'TENANT_ACCESS_DENIED',
  },
  {
    route: 'POST /tenants/:tenantId/activate',
    path: () => '/tenants/doomed/activate',
    allowed: 'operator',
    memberGets: 'TENANT_ACCESS_DENIED',
  },
  { route: 'GET /users', path: () => '/users?search=acme', allowed: 'admin' },
  {
    route: 'POST /users',
    path: () => '/users',
    body: () => ({ email: 'created@acme.test', password: 'a long passphrase' }),
    allowed: 'admin',
  },
  { route: 'GET /users/:userId', path: () => `/users/${ids.get}`, allowed: 'admin' },
  { route: 'PATCH /users/:userId', path: () => `/users/${ids.patch}`, body: () => ({ username: 'patched' }), allowed: 'admin' },
  { route: 'POST /users/:userId/disable', path: () => `/users/${ids.disable}/disable`, allowed: 'admin' },
  { route: 'POST /users/:userId/enable', path: () => `/users/${ids.enable}/enable`, allowed: 'admin' },
  { route: 'POST /users/:userId/unlock', path: () => `/users/${ids.unlock}/unlock`, allowed: 'admin' },
  {
    route: 'DELETE /users/:userId/mfa',
    path: () => `/users/${ids.mfa}/mfa`,
    allowed: 'admin',
    prepare: async () => {
      const { beginEnrolment } = await import('../../src/services/mfa.ts');
      await beginEnrolment(server.ctx, 'acme', ids.mfa as string, {});
    },
  },
  {
    route: 'PUT /users/:userId/roles',
    path: () => `/users/${ids.roles}/roles`,
    body: () => ({ roles: ['admin', 'member'] }),
    allowed: 'admin',
  },
  { route: 'GET /users/:userId/sessions', path: () => `/users/${ids.sessioned}/sessions`, allowed: 'admin' },
  { route: 'DELETE /users/:userId/sessions', path: () => `/users/${ids.end}/sessions`, allowed: 'admin' },
  {
    route: 'DELETE /users/:userId/sessions/:sessionId',
    path: () => `/users/${ids.sessioned}/sessions/${ids.sessionId}`,
    allowed: 'admin',
  },
  { route: 'GET /permissions', path: () => '/permissions', allowed: 'admin' },
  { route: 'GET /roles', path: () => '/roles', allowed: 'admin' },
  {
    route: 'POST /roles',
    path: () => '/roles',
    body: () => ({ name: `custom-${++roleCount}`, permissions: ['users:read'] }),
    allowed: 'admin',
  },
  {
    route: 'PATCH /roles/:name',
    path: () => '/roles/editable',
    body: () => ({ description: 'edited' }),
    allowed: 'admin',
    prepare: async () => void (await api('POST', '/roles', { token: tokens.admin, body: { name: 'editable' } })),
  },
  {
    route: 'DELETE /roles/:name',
    path: () => '/roles/deletable',
    allowed: 'admin',
    prepare: async () => void (await api('POST', '/roles', { token: tokens.admin, body: { name: 'deletable' } })),
  },
  { route: 'GET /audit-events', path: () => '/audit-events', allowed: 'admin' },
  { route: 'GET /ip-blocks', path: () => '/ip-blocks', allowed: 'operator' },
  {
    route: 'DELETE /ip-blocks/:ip',
    path: () => '/ip-blocks/203.0.113.9',
    allowed: 'operator',
    prepare: () => blockIp(server.ctx, '203.0.113.9', 'test', {}),
  },
  { route: 'GET /outbox', path: () => '/outbox', allowed: 'admin' },
  { route: 'GET /api-resources', path: () => '/api-resources', allowed: 'admin' },
  {
    route: 'POST /api-resources',
    path: () => '/api-resources',
    body: () => ({ identifier: `https://api-${++resourceCount}.acme.example/`, name: 'An API' }),
    allowed: 'admin',
  },
  { route: 'GET /api-resources/:resourceId', path: () => `/api-resources/${ids.resource}`, allowed: 'admin', prepare: () => newResource() },
  {
    route: 'PATCH /api-resources/:resourceId',
    path: () => `/api-resources/${ids.resource}`,
    body: () => ({ name: 'Renamed' }),
    allowed: 'admin',
    prepare: () => newResource(),
  },
  {
    route: 'DELETE /api-resources/:resourceId',
    path: () => `/api-resources/${ids.resource}`,
    allowed: 'admin',
    prepare: () => newResource(),
  },
];

let resourceCount = 0;
/** An API resource of acme for the routes that name one (the refused calls before it see no id at all). */
async function newResource(): Promise<void> {
  const res = await api('POST', '/api-resources', {
    token: tokens.admin,
    body: { identifier: `https://api-${++resourceCount}.acme.example/`, name: 'An API' },
  });
  ids.resource = res.body.data.apiResource.id;
}

describe('every admin route', () => {
  it('has a case here, or in admin-clients.test.ts for the client routes, or admin-me.test.ts for /me', () => {
    const declared = adminRouteGroups(server.ctx, server.oidc)
      .flatMap((g) => g.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`))
      .filter((r) => !/ \/(clients|initial-access-tokens|me)\b/.test(r));
    expect(CASES.map((c) => c.route).sort()).toEqual(declared.sort());
  });

  it.each(CASES.map((c) => [c.route, c] as const))('%s: member 403, other tenant 403, right caller 2xx', async (_name, c) => {
    const [method = 'GET'] = c.route.split(' ');
    const call = (token: string) => api(method, c.path(), { token, tenant: 'acme', ...(c.body && { body: c.body() }) });

    const asMember = await call(tokens.member);
    expect(asMember.status).toBe(403);
    expect(asMember.body.errors).toEqual([guideItem(GUIDE[c.memberGets ?? 'INSUFFICIENT_PERMISSIONS'])]);

    const asOtherTenant = await call(tokens.otherAdmin);
    expect(asOtherTenant.status).toBe(403);
    expect(asOtherTenant.body.errors).toEqual([guideItem(GUIDE.TENANT_ACCESS_DENIED)]);

    if (c.allowed === 'operator') {
      const asTenantAdmin = await call(tokens.admin);
      expect(asTenantAdmin.status).toBe(403);
      expect(asTenantAdmin.body.errors).toEqual([guideItem(GUIDE[c.memberGets ?? 'INSUFFICIENT_PERMISSIONS'])]);
    }

    await c.prepare?.();
    const allowed = await call(c.allowed === 'operator' ? tokens.operator : tokens.admin);
    expect({ status: allowed.status, body: allowed.body }).toMatchObject({ status: expect.any(Number), body: { success: true } });
    expect(allowed.status).toBeGreaterThanOrEqual(200);
    expect(allowed.status).toBeLessThan(300);
  });

  it('answers 401 without a token and 401 with a garbage one', async () => {
    expect((await api('GET', '/users')).body.errors[0].code).toBe('AUTHENTICATION_REQUIRED');
    expect((await api('GET', '/users', { token: 'not.a.jwt' })).body.errors[0].code).toBe('INVALID_TOKEN');
  });
});

describe('users', () => {
  it('creates, finds by search, pages with a cursor and reports status', async () => {
    for (let i = 0; i < 5; i += 1) {
      const res = await api('POST', '/users', {
        token: tokens.admin,
        body: { email: `page${i}@paging.test`, password: 'a long passphrase' },
      });
      expect(res.status).toBe(201);
      expect(res.body.data.user).toMatchObject({ email: `page${i}@paging.test`, roles: ['member'], locked: false, mfaEnabled: false });
      expect(res.body.data.user.passwordHash).toBeUndefined();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { users: Array<{ email: string }>; nextCursor: string | null } } } = await api(
        'GET',
        `/users?search=paging.test&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: tokens.admin },
      );
      seen.push(...res.body.data.users.map((u) => u.email));
      cursor = res.body.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `page${i}@paging.test`));
  });

  it('refuses a duplicate email (any case) with DUPLICATE_RESOURCE on the field', async () => {
    const res = await api('POST', '/users', { token: tokens.admin, body: { email: 'PAGE0@paging.test', password: 'a long passphrase' } });
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([guideItem(GUIDE.DUPLICATE_EMAIL)]);
  });

  it('answers NOT_FOUND for an unknown id and for a user of another tenant', async () => {
    const stranger = await makeUser(server.ctx, 'other', 'stranger@other.test');
    for (const id of ['00000000-0000-4000-8000-000000000000', stranger.id]) {
      const res = await api('GET', `/users/${id}`, { token: tokens.admin });
      expect(res.status).toBe(404);
      expect(res.body.errors[0].code).toBe('NOT_FOUND');
    }
    expect((await api('GET', '/users/not-a-uuid', { token: tokens.admin })).body.errors[0]).toMatchObject({
      code: 'INVALID_FORMAT',
      field: 'userId',
    });
  });

  it('disabling a user ends their sessions at once; enabling lets them sign in again', async () => {
    const victim = await signedInUser(server, 'acme', 'victim@acme.test', ['member']);
    const disabled = await api('POST', `/users/${victim.user.id}/disable`, { token: tokens.admin });
    expect(disabled.body.data).toMatchObject({ user: { status: 'disabled' }, sessionsEnded: 1 });
    expect((await authApi(() => server.url)('GET', '/me', { token: victim.token })).status).toBe(401);
    await api('POST', `/users/${victim.user.id}/enable`, { token: tokens.admin });
    await expect(signedInUser(server, 'acme', 'victim2@acme.test', ['member'])).resolves.toBeDefined();
  });

  it('unlocks a locked account', async () => {
    const locked = await makeUser(server.ctx, 'acme', 'locked@acme.test');
    const auth = authApi(() => server.url);
    const { lockoutMaxFailures } = (await api('GET', '/tenants/acme', { token: tokens.operator })).body.data.tenant;
    for (let i = 0; i < lockoutMaxFailures; i += 1) {
      await auth('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'locked@acme.test', password: 'wrong password' } });
    }
    expect((await api('GET', `/users/${locked.id}`, { token: tokens.admin })).body.data.user).toMatchObject({ locked: true });
    const unlocked = await api('POST', `/users/${locked.id}/unlock`, { token: tokens.admin });
    expect(unlocked.body.data.user).toMatchObject({ locked: false, failedLoginCount: 0 });
    const login = await auth('POST', '/login', {
      tenant: 'acme',
      body: { usernameOrEmail: 'locked@acme.test', password: locked.password },
    });
    expect(login.status).toBe(200);
  });

  it('assigns roles of the tenant only, and a new role takes effect on the next request', async () => {
    const helper = await signedInUser(server, 'acme', 'helper@acme.test', ['member']);
    expect((await api('GET', '/users', { token: helper.token })).status).toBe(403);
    await api('POST', '/roles', { token: tokens.admin, body: { name: 'reader', permissions: ['users:read'] } });
    const assigned = await api('PUT', `/users/${helper.user.id}/roles`, { token: tokens.admin, body: { roles: ['reader'] } });
    expect(assigned.body.data.user.roles).toEqual(['reader']);
    expect((await api('GET', '/users', { token: helper.token })).status).toBe(200);
    expect((await api('POST', '/roles', { token: helper.token, body: { name: 'nope' } })).status).toBe(403);
    const unknown = await api('PUT', `/users/${helper.user.id}/roles`, { token: tokens.admin, body: { roles: ['no-such-role'] } });
    expect(unknown.status).toBe(404);
  });
});

describe('tenants', () => {
  it('a platform operator creates a tenant with its first admin, who then manages only that tenant', async () => {
    const created = await api('POST', '/tenants', {
      token: tokens.operator,
      body: { id: 'newco', name: 'NewCo', mfaPolicy: 'off', admin: { email: 'boss@newco.test', password: 'a long passphrase' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.tenant).toMatchObject({ id: 'newco', status: 'active', mfaPolicy: 'off', sessionLimit: 5 });
    const login = await authApi(() => server.url)('POST', '/login', {
      tenant: 'newco',
      body: { usernameOrEmail: 'boss@newco.test', password: 'a long passphrase' },
    });
    const boss = login.body.data.accessToken;
    expect((await api('GET', '/users', { token: boss })).body.data.users).toHaveLength(1);
    expect((await api('GET', '/users', { token: boss, tenant: 'acme' })).status).toBe(403);
    const duplicate = await api('POST', '/tenants', { token: tokens.operator, body: { id: 'newco', name: 'Again' } });
    expect(duplicate.status).toBe(409);
  });

  it('settings apply: a suspended tenant refuses sign-in, and its tokens stop working', async () => {
    await makeTenant(server.ctx, 'paused');
    const user = await signedInUser(server, 'paused', 'user@paused.test', ['admin']);
    await api('POST', '/tenants/paused/suspend', { token: tokens.operator });
    expect((await api('GET', '/users', { token: user.token })).body.errors[0].code).toBe('TENANT_ACCESS_DENIED');
    const login = await authApi(() => server.url)('POST', '/login', {
      tenant: 'paused',
      body: { usernameOrEmail: 'user@paused.test', password: user.user.password },
    });
    expect(login.status).toBe(401);
    await api('POST', '/tenants/paused/activate', { token: tokens.operator });
    expect((await api('GET', '/users', { token: user.token })).status).toBe(200);
  });

  it("a tenant's new rate limits apply to its next request", async () => {
    await makeTenant(server.ctx, 'throttled');
    const member = await signedInUser(server, 'throttled', 'user@throttled.test', ['member']);
    const me = () => authApi(() => server.url)('GET', '/me', { tenant: 'throttled', token: member.token });
    expect((await me()).headers.get('X-RateLimit-Limit')).toBe('100000');
    const patched = await api('PATCH', '/tenants/throttled', {
      token: tokens.operator,
      body: { rateLimits: { api: { points: 7, duration: 60 } } },
    });
    expect(patched.body.data.tenant.rateLimits).toEqual({ api: { points: 7, duration: 60 } });
    expect((await me()).headers.get('X-RateLimit-Limit')).toBe('7');
  });

  it('validates settings and names every bad field', async () => {
    const res = await api('PATCH', '/tenants/acme', {
      token: tokens.operator,
      body: { sessionLimit: 0, sessionStrategy: 'random', rateLimits: { login: { points: 0, duration: 60 } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'rateLimits.login.points',
      'sessionLimit',
      'sessionStrategy',
    ]);
    expect((await api('GET', '/tenants/nope', { token: tokens.operator })).status).toBe(404);
  });
});

describe('audit log', () => {
  it('pages newest first, every event exactly once, and filters by type, user, client and time', async () => {
    await makeTenant(server.ctx, 'audited');
    const before = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 23; i += 1) {
      await recordAudit(server.ctx.db, {
        tenantId: 'audited',
        type: i % 2 ? 'test.odd' : 'test.even',
        subjectId: i % 3 ? 'user-a' : 'user-b',
        clientId: i % 5 ? null : 'client-x',
        data: { i },
      });
    }
    const operator = (path: string) => api('GET', path, { token: tokens.operator, tenant: 'audited' });
    const all: Array<{ id: string; type: string; data: { i?: number } }> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { events: typeof all; nextCursor: string | null } } } = await operator(
        `/audit-events?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      all.push(...res.body.data.events);
      cursor = res.body.data.nextCursor;
      pages += 1;
    } while (cursor);
    const testEvents = all.filter((e) => e.type.startsWith('test.'));
    expect(testEvents.map((e) => e.data.i)).toEqual([...Array(23).keys()].reverse());
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(pages).toBe(Math.ceil(all.length / 5) + (all.length % 5 === 0 ? 1 : 0));

    const odd = (await operator('/audit-events?type=test.odd&limit=100')).body.data.events;
    expect(odd).toHaveLength(11);
    const userB = (await operator('/audit-events?userId=user-b&limit=100')).body.data.events;
    expect(userB).toHaveLength(8);
    const clientX = (await operator('/audit-events?clientId=client-x&limit=100')).body.data.events;
    expect(clientX).toHaveLength(5);
    const since = (await operator(`/audit-events?from=${encodeURIComponent(before)}&type=test.even&limit=100`)).body.data.events;
    expect(since).toHaveLength(12);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await operator(`/audit-events?from=${encodeURIComponent(future)}`)).body.data.events).toHaveLength(0);
  });

  it('keeps tenants apart and audits admin changes with the actor', async () => {
    const otherView = await api('GET', '/audit-events?limit=100', { token: tokens.otherAdmin });
    expect(otherView.body.data.events.every((e: { tenantId: string }) => e.tenantId === 'other')).toBe(true);
    const created = await api('POST', '/roles', { token: tokens.admin, body: { name: 'audited-role' } });
    expect(created.status).toBe(201);
    const events = (await api('GET', '/audit-events?type=role.created&limit=100', { token: tokens.admin })).body.data.events;
    const event = events.find((e: { subjectId: string }) => e.subjectId === 'audited-role');
    expect(event).toMatchObject({ tenantId: 'acme', outcome: 'success', ip: expect.any(String), requestId: expect.any(String) });
    expect(event.actorId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a malformed cursor or date as INVALID_FORMAT', async () => {
    expect((await api('GET', '/audit-events?cursor=garbage', { token: tokens.admin })).body.errors[0]).toMatchObject({
      code: 'INVALID_FORMAT',
      field: 'cursor',
    });
    expect((await api('GET', '/audit-events?from=yesterday', { token: tokens.admin })).body.errors[0]).toMatchObject({
      code: 'INVALID_FORMAT',
      field: 'from',
    });
  });
});

describe('roles', () => {
  it('refuses unknown permissions and changes to built-in roles', async () => {
    const bad = await api('POST', '/roles', { token: tokens.admin, body: { name: 'bad', permissions: ['everything'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'permissions.0', constraint: 'ENUM' });
    const builtIn = await api('PATCH', '/roles/admin', { token: tokens.admin, body: { permissions: [] } });
    expect(builtIn.status).toBe(400);
    expect((await api('DELETE', '/roles/member', { token: tokens.admin })).status).toBe(400);
    expect((await api('POST', '/roles', { token: tokens.admin, body: { name: 'reader' } })).status).toBe(409);
  });
});

describe('IP blocks and outbox', () => {
  it('lists and lifts a block; lifting an unblocked address is NOT_FOUND', async () => {
    await blockIp(server.ctx, '198.51.100.7', 'test', {});
    const listed = await api('GET', '/ip-blocks', { token: tokens.operator });
    expect(listed.body.data.ipBlocks.map((b: { ip: string }) => b.ip)).toContain('198.51.100.7');
    expect((await api('DELETE', '/ip-blocks/198.51.100.7', { token: tokens.operator })).body.data).toEqual({
      ip: '198.51.100.7',
      lifted: 1,
    });
    expect((await api('DELETE', '/ip-blocks/198.51.100.7', { token: tokens.operator })).status).toBe(404);
    expect((await api('DELETE', '/ip-blocks/not-an-ip', { token: tokens.operator })).status).toBe(400);
  });

  it("shows the tenant's own mail only, with its secret redacted", async () => {
    const auth = authApi(() => server.url);
    await auth('POST', '/password/forgot', { tenant: 'acme', body: { email: 'get@acme.test' } });
    await auth('POST', '/password/forgot', { tenant: 'other', body: { email: 'admin@other.test' } });
    const delivered = await server.mail.take('get@acme.test', 'password_reset');
    await server.mail.take('admin@other.test', 'password_reset');
    const token = /[?&]token=([\w-]+)/.exec(delivered.body)?.[1] as string;
    const acme = (await api('GET', '/outbox?to=get@acme.test', { token: tokens.admin })).body.data.messages;
    expect(acme).toHaveLength(1);
    expect(acme[0]).toMatchObject({ tenantId: 'acme', to: 'get@acme.test', kind: 'password_reset', sentAt: expect.any(String) });
    expect(acme[0].body).toBe(delivered.body.replace(token, '[redacted]'));
    expect(JSON.stringify(acme)).not.toContain(token);
    const mine = (await api('GET', '/outbox', { token: tokens.admin })).body.data.messages;
    expect(mine.every((m: { tenantId: string }) => m.tenantId === 'acme')).toBe(true);
    // The admin cannot use what the outbox shows to take the account.
    const reset = await auth('POST', '/password/reset', { tenant: 'acme', body: { token: '[redacted]', password: 'taken over now' } });
    expect(reset.status).toBe(401);
  });
});
