// GET /api/v1/admin/me/permissions: what the caller may do in the target tenant — every valid token may ask, a
// member learns it holds nothing, another tenant is refused, and platform permissions belong to operators only.
import { signedInUser } from '../helpers/admin.ts';
import { makeTenant } from '../helpers/fixtures.ts';
import { adminApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
const api = adminApi(() => server.url);
const tokens = { admin: '', member: '', operator: '' };

beforeAll(async () => {
  server = await startTestServer();
  for (const id of ['acme', 'other', 'platform']) await makeTenant(server.ctx, id);
  tokens.admin = (await signedInUser(server, 'acme', 'admin@acme.test', ['admin'])).token;
  tokens.member = (await signedInUser(server, 'acme', 'member@acme.test', ['member'])).token;
  tokens.operator = (await signedInUser(server, 'platform', 'op@platform.test', ['admin'])).token;
}, 60_000);
afterAll(() => server.stop());

it("lists a tenant admin's permissions without the platform ones", async () => {
  const res = await api('GET', '/me/permissions', { token: tokens.admin });
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({ tenantId: 'acme', actorTenantId: 'acme', platformOperator: false, actor: { type: 'user' } });
  expect(res.body.data.permissions).toContain('users:write');
  expect(res.body.data.permissions).not.toContain('tenants:read');
});

it('answers a member with no permissions rather than 403', async () => {
  const res = await api('GET', '/me/permissions', { token: tokens.member });
  expect(res.status).toBe(200);
  expect(res.body.data.permissions).toEqual([]);
});

it('refuses a tenant admin asking about another tenant, and needs a token', async () => {
  const res = await api('GET', '/me/permissions', { token: tokens.admin, tenant: 'other' });
  expect(res.status).toBe(403);
  expect(res.body.errors[0].code).toBe('TENANT_ACCESS_DENIED');
  expect((await api('GET', '/me/permissions')).status).toBe(401);
});

it('gives a platform operator every permission in any tenant', async () => {
  const res = await api('GET', '/me/permissions', { token: tokens.operator, tenant: 'acme' });
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({ tenantId: 'acme', actorTenantId: 'platform', platformOperator: true });
  expect(res.body.data.permissions).toEqual(expect.arrayContaining(['tenants:write', 'ip-blocks:read', 'users:write']));
});
