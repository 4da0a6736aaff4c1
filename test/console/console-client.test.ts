// The console's server side over HTTP: the tenant's console client is created on first use as a first-party
// public client with one redirect URI, the admin API cannot change it, unknown and suspended tenants get none,
// only the app's own files are served, and a tenant subdomain leads to PUBLIC_URL with the tenant.
import { request, type IncomingMessage } from 'node:http';
import { signedInUser } from '../helpers/admin.ts';
import { makeTenant } from '../helpers/fixtures.ts';
import { adminApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
const api = adminApi(() => server.url);

beforeAll(async () => {
  server = await startTestServer({ TENANT_DOMAIN: 'id.example.test' });
  for (const id of ['acme', 'sleepy']) await makeTenant(server.ctx, id);
  await server.ctx.db('tenants').where({ id: 'sleepy' }).update({ status: 'suspended' });
}, 60_000);
afterAll(() => server.stop());

it("creates the tenant's console client on first use and describes its sign-in", async () => {
  expect(await server.ctx.db('clients').where({ client_id: 'acme_console' }).first()).toBeUndefined();
  const res = await fetch(`${server.url}/admin/config?tenant=ACME`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.json()).toEqual({
    tenantId: 'acme',
    tenantName: 'Tenant acme',
    clientId: 'acme_console',
    issuer: server.url,
    authorizationEndpoint: `${server.url}/oauth2/authorize`,
    tokenEndpoint: `${server.url}/oauth2/token`,
    endSessionEndpoint: `${server.url}/oauth2/logout`,
    redirectUri: `${server.url}/admin/callback`,
    postLogoutRedirectUri: `${server.url}/admin/`,
    scope: 'openid profile email offline_access',
  });
  const row = await server.ctx.db('clients').where({ client_id: 'acme_console' }).first();
  expect(row).toMatchObject({ tenant_id: 'acme', first_party: true, secret_hash: null });
  expect(row.metadata).toMatchObject({ redirect_uris: [`${server.url}/admin/callback`], token_endpoint_auth_method: 'none' });
});

it('the admin API shows the console client as built in and refuses to change, rotate or delete it', async () => {
  await fetch(`${server.url}/admin/config?tenant=acme`);
  const { token } = await signedInUser(server, 'acme', 'admin@acme.test', ['admin']);
  expect((await api('GET', '/clients/acme_console', { token })).body.data.client).toMatchObject({ builtIn: true, public: true });
  for (const [method, path, body] of [
    ['PATCH', '/clients/acme_console', { redirectUris: ['https://evil.example/cb'] }],
    ['POST', '/clients/acme_console/secret', undefined],
    ['DELETE', '/clients/acme_console', undefined],
  ] as const) {
    const res = await api(method, path, { token, ...(body && { body }) });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'clientId', constraint: 'BUILT_IN_CLIENT' });
  }
});

it('creates no client for an unknown, suspended or malformed tenant', async () => {
  for (const tenant of ['nobody', 'sleepy']) {
    const res = await fetch(`${server.url}/admin/config?tenant=${tenant}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('NOT_FOUND');
  }
  const bad = await fetch(`${server.url}/admin/config?tenant=${encodeURIComponent('../x')}`);
  expect(bad.status).toBe(400);
  expect(await server.ctx.db('clients').whereIn('client_id', ['nobody_console', 'sleepy_console']).select('client_id')).toEqual([]);
});

it('serves only its own files, each with the strict headers', async () => {
  for (const name of ['console.js', 'oidc-session.js', 'base.css']) {
    const res = await fetch(`${server.url}/admin/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  }
  for (const name of ['index.html', '..%2F..%2Fpackage.json', 'nope.js']) {
    expect((await fetch(`${server.url}/admin/assets/${name}`)).status).toBe(404);
  }
  // The console's headers stay on the console: other routes keep their own.
  expect((await fetch(`${server.url}/health/live`)).headers.get('content-security-policy')).toBeNull();
});

it('sends a tenant subdomain to PUBLIC_URL with the tenant filled in', async () => {
  // fetch() sets Host itself; node:http sends the one a browser on the subdomain would.
  const res = await new Promise<IncomingMessage>((resolve, reject) =>
    request(`${server.url}/admin/`, { headers: { Host: 'acme.id.example.test' } }, resolve)
      .on('error', reject)
      .end(),
  );
  res.resume();
  expect(res.statusCode).toBe(302);
  expect(res.headers.location).toBe(`${server.url}/admin/?tenant=acme`);
});
