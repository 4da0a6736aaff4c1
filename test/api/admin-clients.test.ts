// The admin API's clients and initial access tokens (issue 7) against the real server: the guard on every route,
// a client registered here completing the code flow, secret rotation, deletion revoking refresh tokens, dynamic
// registration landing in the initial access token's tenant only, and client_credentials tokens as admins.
import { createServer, type AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { signedInUser } from '../helpers/admin.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, authApi, readJson } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const INVALID_CLIENT = '{"error":"invalid_client","error_description":"Client authentication failed"}';
const INVALID_REFRESH = '{"error":"invalid_grant","error_description":"Refresh token is invalid or expired"}';

let server: TestServer;
let api: ReturnType<typeof adminApi>;
let acmeAdmin: string;
let acmeMember: string;
let globexAdmin: string;
let operator: string;
let ann: { email: string; password: string; id: string };

beforeAll(async () => {
  server = await startTestServer();
  api = adminApi(() => server.url);
  for (const tenant of ['acme', 'globex', 'platform']) await makeTenant(server.ctx, tenant);
  acmeAdmin = (await signedInUser(server, 'acme', 'admin@acme.test', ['admin'])).token;
  acmeMember = (await signedInUser(server, 'acme', 'member@acme.test', ['member'])).token;
  globexAdmin = (await signedInUser(server, 'globex', 'admin@globex.test', ['admin'])).token;
  operator = (await signedInUser(server, 'platform', 'operator@platform.test', ['admin'])).token;
  ann = await makeUser(server.ctx, 'acme', 'ann@acme.test');
});
afterAll(() => server.stop());

let seq = 0;
/** Registers a confidential client of acme through the admin API as acme's admin. */
async function registerClient(extra: Record<string, unknown> = {}) {
  seq += 1;
  const res = await api('POST', '/clients', { token: acmeAdmin, body: { name: `App ${seq}`, redirectUris: [REDIRECT_URI], ...extra } });
  expect(res.status).toBe(201);
  return res.body.data as { client: { clientId: string; name: string }; clientSecret: string };
}

function tokenRequest(clientId: string, secret: string, body: Record<string, string>) {
  return fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(body),
  });
}

async function clientCredentialsToken(clientId: string, secret: string, scope: string): Promise<string> {
  const res = await tokenRequest(clientId, secret, { grant_type: 'client_credentials', scope });
  const body = await readJson(res);
  expect(res.status).toBe(200);
  return body.access_token as string;
}

/** Signs a person (ann unless told) in through the login pages with this client and redeems the code. */
async function signInWith(clientId: string, secret: string, person: { email: string; password: string } = ann) {
  const rp = await discoverRp(server.url, clientId, secret);
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: person.email,
    password: person.password,
  });
  return oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
}

function register(body: unknown, token?: string) {
  return fetch(`${server.url}/oauth2/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token && { Authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
}

describe('the guard on every client route', () => {
  type Call = { method: string; path: (id: string) => string; body?: unknown; status: number };
  const calls: Record<string, Call> = {
    listClients: { method: 'GET', path: () => '/clients', status: 200 },
    createClient: { method: 'POST', path: () => '/clients', body: { name: 'Guarded', redirectUris: [REDIRECT_URI] }, status: 201 },
    getClient: { method: 'GET', path: (id) => `/clients/${id}`, status: 200 },
    updateClient: { method: 'PATCH', path: (id) => `/clients/${id}`, body: { firstParty: true }, status: 200 },
    rotateClientSecret: { method: 'POST', path: (id) => `/clients/${id}/secret`, status: 200 },
    deleteClient: { method: 'DELETE', path: (id) => `/clients/${id}`, status: 200 },
    createInitialAccessToken: { method: 'POST', path: () => '/initial-access-tokens', body: {}, status: 201 },
  };

  it.each(Object.entries(calls))(
    '%s: 403 for a member, 403 TENANT_ACCESS_DENIED across tenants, success for the admin',
    async (_name, call) => {
      const { client } = await registerClient();
      const path = call.path(client.clientId);
      const options = call.body === undefined ? {} : { body: call.body };

      const member = await api(call.method, path, { ...options, token: acmeMember });
      expect(member.status).toBe(403);
      expect(member.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');

      const other = await api(call.method, path, { ...options, token: globexAdmin, tenant: 'acme' });
      expect(other.status).toBe(403);
      expect(other.body.errors[0].code).toBe('TENANT_ACCESS_DENIED');

      const ok = await api(call.method, path, { ...options, token: acmeAdmin, tenant: 'acme' });
      expect(ok.status).toBe(call.status);
      expect(ok.body.success).toBe(true);
    },
  );

  it("answers NOT_FOUND for another tenant's client and never shows a secret or its hash", async () => {
    const { client } = await registerClient();
    const foreign = await api('GET', `/clients/${client.clientId}`, { token: globexAdmin });
    expect(foreign.status).toBe(404);
    expect(foreign.body.errors[0].code).toBe('NOT_FOUND');
    expect((await api('DELETE', `/clients/${client.clientId}`, { token: globexAdmin })).status).toBe(404);

    const own = await api('GET', `/clients/${client.clientId}`, { token: acmeAdmin });
    expect(own.body.data.client).toMatchObject({ clientId: client.clientId, tenantId: 'acme', public: false, builtIn: false });
    // The authentication method's name (`client_secret_basic`) is the only mention of a secret allowed.
    const withoutMethod = (body: unknown) => JSON.stringify(body).replaceAll('"authMethod":"client_secret_basic"', '');
    expect(withoutMethod(own.body)).not.toMatch(/secret/i);
    const list = await api('GET', '/clients?limit=100', { token: acmeAdmin });
    expect(list.body.data.clients.map((c: { clientId: string }) => c.clientId)).toContain(client.clientId);
    expect(withoutMethod(list.body)).not.toMatch(/secret/i);
  });

  it('pages through the clients with a cursor', async () => {
    await registerClient();
    await registerClient();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await api('GET', `/clients?limit=1${query}`, { token: acmeAdmin });
      expect(page.status).toBe(200);
      expect(page.body.data.clients.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.data.clients.map((c: { clientId: string }) => c.clientId));
      cursor = page.body.data.nextCursor;
    } while (cursor);
    const all = await api('GET', '/clients?limit=100', { token: acmeAdmin });
    expect(seen).toEqual(all.body.data.clients.map((c: { clientId: string }) => c.clientId));
  });
});

describe('validation', () => {
  it('refuses a duplicate client name, whatever its case, with DUPLICATE_RESOURCE on name', async () => {
    await registerClient({ name: 'Acme Portal' });
    const dup = await api('POST', '/clients', { token: acmeAdmin, body: { name: 'acme portal', redirectUris: [REDIRECT_URI] } });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0]).toMatchObject({ code: 'DUPLICATE_RESOURCE', field: 'name' });
  });

  it.each([['relative/callback'], ['https://app.example/cb#fragment'], ['http://app.example/cb']])(
    'refuses the redirect URI %s with INVALID_FORMAT URL_FORMAT',
    async (uri) => {
      const res = await api('POST', '/clients', { token: acmeAdmin, body: { name: `Bad ${uri}`, redirectUris: [uri] } });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'redirectUris.0', constraint: 'URL_FORMAT' });

      const { client } = await registerClient();
      const patched = await api('PATCH', `/clients/${client.clientId}`, { token: acmeAdmin, body: { redirectUris: [REDIRECT_URI, uri] } });
      expect(patched.status).toBe(400);
      expect(patched.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'redirectUris.1', constraint: 'URL_FORMAT' });
    },
  );

  it('keeps the rules across fields on a change: authorization_code needs a redirect URI', async () => {
    const { client } = await registerClient();
    const res = await api('PATCH', `/clients/${client.clientId}`, { token: acmeAdmin, body: { redirectUris: [] } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'redirectUris', constraint: 'MIN_ITEMS' });
  });

  it('refuses unknown scopes', async () => {
    const res = await api('POST', '/clients', {
      token: acmeAdmin,
      body: { name: 'Scoped', redirectUris: [REDIRECT_URI], scope: 'openid admin' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'scope', constraint: 'SCOPE' });
  });

  it("refuses to change or delete the tenant's JSON API client", async () => {
    for (const [method, body] of [
      ['PATCH', { name: 'Mine now' }],
      ['DELETE', undefined],
      ['POST', undefined],
    ] as const) {
      const path = method === 'POST' ? '/clients/acme_api/secret' : '/clients/acme_api';
      const res = await api(method, path, { token: acmeAdmin, ...(body && { body }) });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'clientId', constraint: 'BUILT_IN_CLIENT' });
    }
    const login = await authApi(() => server.url)('POST', '/login', {
      tenant: 'acme',
      body: { usernameOrEmail: ann.email, password: ann.password },
    });
    expect(login.status).toBe(200);
  });
});

describe('a client registered through the admin API', () => {
  it('completes the authorization code flow; a rotated secret replaces the old one at once', async () => {
    const { client, clientSecret } = await registerClient({ name: 'Flow App' });
    const tokens = await signInWith(client.clientId, clientSecret);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: ann.id, client_id: client.clientId, tenant_id: 'acme' });
    expect(tokens.refresh_token).toBeTruthy();

    const rotated = await api('POST', `/clients/${client.clientId}/secret`, { token: acmeAdmin });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.data.clientSecret as string;
    expect(newSecret).not.toBe(clientSecret);
    expect(newSecret.length).toBeGreaterThanOrEqual(43);

    const old = await tokenRequest(client.clientId, clientSecret, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token as string,
    });
    expect(old.status).toBe(401);
    expect(await old.text()).toBe(INVALID_CLIENT);

    const refreshed = await oidc.refreshTokenGrant(
      await discoverRp(server.url, client.clientId, newSecret),
      tokens.refresh_token as string,
    );
    expect(refreshed.access_token).toBeTruthy();

    const audited = await server.ctx.db('audit_events').where({ type: 'client.secret_rotated', client_id: client.clientId }).first();
    expect(audited).toMatchObject({ tenant_id: 'acme', outcome: 'success' });
    expect(audited.actor_id).toBeTruthy();
  });

  it('is deleted with its refresh tokens revoked, and the deletion is audited', async () => {
    const { client, clientSecret } = await registerClient({ name: 'Doomed App' });
    const tokens = await signInWith(client.clientId, clientSecret);
    const refreshToken = tokens.refresh_token as string;
    const provider = server.oidc.provider();
    const stored = await provider.RefreshToken.find(refreshToken);
    expect(stored).toBeTruthy();

    const res = await api('DELETE', `/clients/${client.clientId}`, { token: acmeAdmin });
    expect(res.status).toBe(200);
    expect((await api('GET', `/clients/${client.clientId}`, { token: acmeAdmin })).status).toBe(404);

    // The refresh token and its grant are gone, whoever presents them.
    expect(await provider.RefreshToken.find(refreshToken)).toBeUndefined();
    expect(await provider.Grant.find(stored?.grantId as string)).toBeUndefined();
    const deleted = await tokenRequest(client.clientId, clientSecret, { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(await deleted.text()).toBe(INVALID_CLIENT);
    const other = await registerClient();
    const elsewhere = await tokenRequest(other.client.clientId, other.clientSecret, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toBe(INVALID_REFRESH);
    // Its access tokens stop working on Gatehouse's own endpoints.
    expect((await authApi(() => server.url)('GET', '/me', { token: tokens.access_token })).status).toBe(401);

    const audited = await server.ctx.db('audit_events').where({ type: 'client.deleted', client_id: client.clientId }).first();
    expect(audited).toMatchObject({ tenant_id: 'acme', outcome: 'success' });
    expect(audited.data).toMatchObject({ grantsRevoked: 1 });
  });

  it('audits registration and changes with the admin as actor', async () => {
    const { client } = await registerClient({ name: 'Audited App' });
    await api('PATCH', `/clients/${client.clientId}`, { token: acmeAdmin, body: { name: 'Audited App 2', scope: 'openid email' } });
    const events = await server.ctx.db('audit_events').where({ client_id: client.clientId }).orderBy('id');
    expect(events.map((e: { type: string }) => e.type)).toEqual(['client.created', 'client.updated']);
    expect(events[1].data).toEqual({ fields: ['name', 'scope'] });
    for (const event of events) expect(event.request_id).toBeTruthy();
  });
});

describe('dynamic registration with an initial access token', () => {
  async function initialAccessToken(token = acmeAdmin, tenant?: string) {
    const res = await api('POST', '/initial-access-tokens', { token, ...(tenant && { tenant }), body: { expiresIn: 3600 } });
    expect(res.status).toBe(201);
    return res.body.data.initialAccessToken as string;
  }

  it("lands in the token's tenant only, whatever the body claims, and its secret works", async () => {
    const iat = await initialAccessToken();
    const res = await register(
      {
        client_name: 'Registered Service',
        redirect_uris: [],
        response_types: [],
        grant_types: ['client_credentials'],
        tenant_id: 'globex',
        first_party: true,
      },
      iat,
    );
    const body = await readJson(res);
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ tenant_id: 'acme', first_party: false, client_name: 'Registered Service' });
    expect(body.client_id).toMatch(/^acme_/);
    expect(typeof body.client_secret).toBe('string');
    expect(body.registration_access_token).toBeUndefined();

    const seen = await api('GET', `/clients/${body.client_id}`, { token: acmeAdmin });
    expect(seen.status).toBe(200);
    expect(seen.body.data.client).toMatchObject({ tenantId: 'acme', firstParty: false, name: 'Registered Service' });
    expect((await api('GET', `/clients/${body.client_id}`, { token: globexAdmin })).status).toBe(404);

    const at = await clientCredentialsToken(body.client_id, body.client_secret, 'openid');
    expect(decodeJwt(at)).toMatchObject({ client_id: body.client_id, tenant_id: 'acme' });
    const audited = await server.ctx.db('audit_events').where({ type: 'client.registered', client_id: body.client_id }).first();
    expect(audited).toMatchObject({ tenant_id: 'acme' });
    const issued = await server.ctx.db('audit_events').where({ type: 'initial_access_token.created', tenant_id: 'acme' }).first();
    expect(issued.actor_id).toBeTruthy();

    // No registration access token: RFC 7592 reads are refused; the admin API manages the client.
    const read = await fetch(`${server.url}/oauth2/register/${body.client_id}`, { headers: { Authorization: `Bearer ${iat}` } });
    expect(read.status).toBe(401);
  });

  it("a platform operator's token for another tenant registers clients there", async () => {
    const iat = await initialAccessToken(operator, 'globex');
    expect(iat.startsWith('globex.')).toBe(true);
    const res = await register({ client_name: 'Globex App', redirect_uris: ['https://globex.example/cb'] }, iat);
    expect(res.status).toBe(201);
    expect((await readJson(res)).client_id).toMatch(/^globex_/);
  });

  it('refuses registration without a token, with an unknown one, and with a forged tenant', async () => {
    const body = { client_name: 'Nope', redirect_uris: ['https://nope.example/cb'] };
    for (const token of [undefined, 'not-a-token', `acme.${'A'.repeat(43)}`]) {
      const res = await register(body, token);
      expect(res.status).toBe(401);
      expect((await readJson(res)).error).toBe('invalid_token');
    }
    expect(await server.ctx.db('clients').where({ name: 'Nope' }).first()).toBeUndefined();
  });

  it('makes the server fetch no URL a registrant chose: sector_identifier_uri is refused without a request', async () => {
    // Pairwise subjects are not offered, so a sector identifier has no use; oidc-provider would GET it during
    // registration (it drops a special-use address only after connecting), a probe of whatever the server can reach.
    const connections: string[] = [];
    const listener = createServer((socket) => {
      connections.push(socket.remoteAddress ?? '');
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      const iat = await initialAccessToken();
      const res = await register(
        { client_name: 'Sector probe', redirect_uris: [REDIRECT_URI], sector_identifier_uri: `https://127.0.0.1:${port}/sector` },
        iat,
      );
      expect(res.status).toBe(400);
      expect((await readJson(res)).error).toBe('invalid_client_metadata');
      expect(connections).toEqual([]);
      expect(await server.ctx.db('clients').where({ name: 'Sector probe' }).first()).toBeUndefined();
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('refuses a NUL character or an unpaired surrogate anywhere in the metadata as invalid_client_metadata, not a 500', async () => {
    const iat = await initialAccessToken();
    const bodies = [
      { client_name: 'Nul\u0000name', redirect_uris: [REDIRECT_URI] },
      { client_name: 'Nul redirect', redirect_uris: [`${REDIRECT_URI}\u0000`] },
      { client_name: 'Nul policy', redirect_uris: [REDIRECT_URI], policy_uri: 'https://app.example/\u0000' },
      { client_name: 'Surrogate \ud800', redirect_uris: [REDIRECT_URI] },
      {
        client_name: 'Nul key',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', kid: 'k\u0000', x: 'x', y: 'y' }] },
      },
    ];
    for (const body of bodies) {
      const res = await register(body, iat);
      expect({ name: body.client_name, status: res.status, error: (await readJson(res)).error }).toEqual({
        name: body.client_name,
        status: 400,
        error: 'invalid_client_metadata',
      });
    }
    // Paired surrogates are ordinary text.
    expect((await register({ client_name: 'Rocket \u{1F680} app', redirect_uris: [REDIRECT_URI] }, iat)).status).toBe(201);
  });

  it('refuses a public client with client_credentials, which would get client tokens for its client_id alone', async () => {
    const iat = await initialAccessToken();
    const res = await register(
      { client_name: 'Keyless machine', grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'none' },
      iat,
    );
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toBe('invalid_client_metadata');
    expect(await server.ctx.db('clients').where({ name: 'Keyless machine' }).first()).toBeUndefined();
  });

  it('applies the admin rules: redirect URIs, no permission scopes, unique names', async () => {
    const iat = await initialAccessToken();
    const http = await register({ client_name: 'Plain http', redirect_uris: ['http://app.example/cb'] }, iat);
    expect(http.status).toBe(400);
    expect((await readJson(http)).error).toBe('invalid_redirect_uri');

    const admin = await register({ client_name: 'Wants admin', redirect_uris: [REDIRECT_URI], scope: 'openid users:write' }, iat);
    expect(admin.status).toBe(400);
    expect((await readJson(admin)).error).toBe('invalid_client_metadata');

    await registerClient({ name: 'Taken Name' });
    const dup = await register({ client_name: 'Taken Name', redirect_uris: [REDIRECT_URI] }, iat);
    expect(dup.status).toBe(400);
    expect((await readJson(dup)).error).toBe('invalid_client_metadata');
  });
});

describe('client_credentials tokens with admin scopes', () => {
  it('register a client through the admin API; without the scope they are refused', async () => {
    const automation = await registerClient({
      name: 'Automation',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scope: 'clients:read clients:write',
    });
    const token = await clientCredentialsToken(automation.client.clientId, automation.clientSecret, 'clients:read clients:write');
    expect(decodeJwt(token)).toMatchObject({ scope: 'clients:read clients:write', tenant_id: 'acme', sub: automation.client.clientId });

    const created = await api('POST', '/clients', {
      token,
      body: { name: 'Made by automation', redirectUris: ['https://made.example/cb'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.client.tenantId).toBe('acme');
    const audited = await server.ctx
      .db('audit_events')
      .where({ type: 'client.created', client_id: created.body.data.client.clientId })
      .first();
    expect(audited.actor_id).toBe(`client:${automation.client.clientId}`);

    const readOnly = await clientCredentialsToken(automation.client.clientId, automation.clientSecret, 'clients:read');
    const refused = await api('POST', '/clients', { token: readOnly, body: { name: 'Not allowed', redirectUris: [REDIRECT_URI] } });
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');

    const plain = await registerClient({ redirectUris: [], grantTypes: ['client_credentials'], scope: 'openid' });
    const plainToken = await clientCredentialsToken(plain.client.clientId, plain.clientSecret, 'openid');
    expect((await api('GET', '/clients', { token: plainToken })).status).toBe(403);
  });

  it('lose a permission as soon as their client does', async () => {
    const bot = await registerClient({ redirectUris: [], grantTypes: ['client_credentials'], scope: 'clients:read' });
    const token = await clientCredentialsToken(bot.client.clientId, bot.clientSecret, 'clients:read');
    expect((await api('GET', '/clients', { token })).status).toBe(200);
    await api('PATCH', `/clients/${bot.client.clientId}`, { token: acmeAdmin, body: { scope: 'openid' } });
    const after = await api('GET', '/clients', { token });
    expect(after.status).toBe(403);
    expect(after.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('cannot ask for a permission scope its client was not given', async () => {
    const limited = await registerClient({ redirectUris: [], grantTypes: ['client_credentials'], scope: 'clients:read' });
    const res = await tokenRequest(limited.client.clientId, limited.clientSecret, {
      grant_type: 'client_credentials',
      scope: 'clients:write',
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toBe('invalid_scope');
  });

  it('refuses escalation: no client gets a permission its registrar lacks', async () => {
    const automation = await registerClient({ redirectUris: [], grantTypes: ['client_credentials'], scope: 'clients:read clients:write' });
    const token = await clientCredentialsToken(automation.client.clientId, automation.clientSecret, 'clients:read clients:write');
    const body = { name: 'Escalated', redirectUris: [], grantTypes: ['client_credentials'], scope: 'users:write' };
    const escalated = await api('POST', '/clients', { token, body });
    expect(escalated.status).toBe(403);
    expect(escalated.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');

    const own = await api('POST', '/clients', { token, body: { ...body, name: 'Own', scope: 'clients:read' } });
    expect(own.status).toBe(201);
    const patched = await api('PATCH', `/clients/${own.body.data.client.clientId}`, { token, body: { scope: 'clients:read users:write' } });
    expect(patched.status).toBe(403);
    expect(patched.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');

    // A tenant admin cannot hand out platform permissions; an operator only to platform clients.
    const tenantAdmin = await api('POST', '/clients', { token: acmeAdmin, body: { ...body, name: 'Platformish', scope: 'tenants:read' } });
    expect(tenantAdmin.status).toBe(403);
    const forAcme = await api('POST', '/clients', {
      token: operator,
      tenant: 'acme',
      body: { ...body, name: 'Platformish', scope: 'tenants:read' },
    });
    expect(forAcme.status).toBe(400);
    expect(forAcme.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'scope', constraint: 'PLATFORM_SCOPE' });
    const forPlatform = await api('POST', '/clients', { token: operator, body: { ...body, name: 'Platform bot', scope: 'tenants:read' } });
    expect(forPlatform.status).toBe(201);
  });

  it('a user flow never carries permission scopes in the access token', async () => {
    const { client, clientSecret } = await registerClient({ scope: 'openid profile email offline_access users:read' });
    const rp = await discoverRp(server.url, client.clientId, clientSecret);
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: ann.email,
      password: ann.password,
      scope: 'openid users:read',
    });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(String(decodeJwt(tokens.access_token).scope ?? '')).not.toContain('users:read');
  });

  it("an admin's sign-in through a third-party app gives that app no admin rights; through a first-party app it does", async () => {
    const boss = await makeUser(server.ctx, 'acme', 'boss@acme.test', 'correct horse battery', ['admin']);
    const tokenThrough = async (firstParty: boolean) => {
      const { client, clientSecret } = await registerClient({ firstParty });
      return (await signInWith(client.clientId, clientSecret, boss)).access_token;
    };
    const thirdParty = await api('GET', '/users', { token: await tokenThrough(false) });
    expect(thirdParty.status).toBe(403);
    expect(thirdParty.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await api('GET', '/users', { token: await tokenThrough(true) })).status).toBe(200);
  });
});

describe('protocol settings of a client', () => {
  async function publicJwks() {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    return { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' }] };
  }

  it('registers a private_key_jwt client without a secret, changes its settings, and shows them', async () => {
    const jwks = await publicJwks();
    const created = await api('POST', '/clients', {
      token: acmeAdmin,
      body: { name: 'Signed client', redirectUris: [REDIRECT_URI], authMethod: 'private_key_jwt', jwks, idTokenSigningAlg: 'EdDSA' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.clientSecret).toBeUndefined();
    expect(created.body.data.client).toMatchObject({
      authMethod: 'private_key_jwt',
      jwks,
      jwksUri: null,
      idTokenSigningAlg: 'EdDSA',
      dpopBoundAccessTokens: false,
      requireSignedRequestObject: false,
      authorizationSignedResponseAlg: 'RS256',
    });
    const id = created.body.data.client.clientId as string;
    const patched = await api('PATCH', `/clients/${id}`, {
      token: acmeAdmin,
      body: { dpopBoundAccessTokens: true, requireSignedRequestObject: true, authorizationSignedResponseAlg: 'ES256' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data.client).toMatchObject({
      authMethod: 'private_key_jwt',
      dpopBoundAccessTokens: true,
      requireSignedRequestObject: true,
      authorizationSignedResponseAlg: 'ES256',
    });
    // A secret cannot be rotated onto a client that authenticates with its keys.
    expect((await api('POST', `/clients/${id}/secret`, { token: acmeAdmin })).status).toBe(400);
    // Removing the keys of a private_key_jwt client would lock it out: refused.
    const keyless = await api('PATCH', `/clients/${id}`, { token: acmeAdmin, body: { jwks: null } });
    expect(keyless.status).toBe(400);
    expect(keyless.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'jwks' });
    // Another tenant's admin cannot change it.
    expect((await api('PATCH', `/clients/${id}`, { token: globexAdmin, body: { dpopBoundAccessTokens: false } })).status).toBe(404);
  });

  it('refuses private key material, plain-http key URLs, and an unknown signing algorithm', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const leaked = await api('POST', '/clients', {
      token: acmeAdmin,
      body: { name: 'Leaky client', redirectUris: [REDIRECT_URI], jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'k' }] } },
    });
    expect(leaked.status).toBe(400);
    expect(leaked.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'jwks.keys.0', constraint: 'PUBLIC_KEYS_ONLY' });
    const http = await api('POST', '/clients', {
      token: acmeAdmin,
      body: { name: 'Loopback keys', redirectUris: [REDIRECT_URI], jwksUri: 'http://127.0.0.1:6379/jwks' },
    });
    expect(http.status).toBe(400);
    expect(http.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'jwksUri', constraint: 'URL_FORMAT' });
    const hs = await api('POST', '/clients', {
      token: acmeAdmin,
      body: { name: 'HMAC tokens', redirectUris: [REDIRECT_URI], idTokenSigningAlg: 'HS256' },
    });
    expect(hs.status).toBe(400);
    expect(hs.body.errors[0]).toMatchObject({ field: 'idTokenSigningAlg' });
  });

  it('registers the same settings at /oauth2/register, without a secret, and keeps the key URL rule there', async () => {
    const res = await api('POST', '/initial-access-tokens', { token: acmeAdmin, body: { expiresIn: 3600 } });
    const iat = res.body.data.initialAccessToken as string;
    const jwks = await publicJwks();
    const registered = await register(
      {
        client_name: 'Dynamic signed client',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks,
        dpop_bound_access_tokens: true,
        id_token_signed_response_alg: 'EdDSA',
        require_signed_request_object: true,
        authorization_signed_response_alg: 'ES256',
      },
      iat,
    );
    const body = await readJson(registered);
    expect(registered.status).toBe(201);
    expect(body.client_secret).toBeUndefined();
    const seen = await api('GET', `/clients/${body.client_id}`, { token: acmeAdmin });
    expect(seen.body.data.client).toMatchObject({
      authMethod: 'private_key_jwt',
      jwks,
      dpopBoundAccessTokens: true,
      idTokenSigningAlg: 'EdDSA',
      requireSignedRequestObject: true,
      authorizationSignedResponseAlg: 'ES256',
    });
    const insecure = await register(
      {
        client_name: 'Keys over http',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'http://127.0.0.1/jwks',
      },
      iat,
    );
    expect(insecure.status).toBe(400);
    expect(await readJson(insecure)).toMatchObject({ error: 'invalid_client_metadata' });
  });
});
