// API resources (RFC 8707) end to end with openid-client: a third-party app granted exactly `contacts:read` on the CRM
// API gets a JWT whose aud and scope say so, which a resource server written here accepts (jose against our JWKS)
// and introspection describes; a scope the client was not granted never reaches a token; an unknown resource, or
// another tenant's, is invalid_target; consent is asked per resource in the resource's words, and only for what is new.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { createApiResource, setClientResourceScopes, updateApiResource } from '../../src/services/api-resources.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const CRM = 'https://crm.example/api';
const CALENDAR = 'https://calendar.example/api';
const DIRECTORY = 'https://directory.example/api';
const ACTOR = { actorId: 'test' };

let server: TestServer;
let crmServer: Server;
let crmUrl: string;
let reader: { rp: oidc.Configuration; clientId: string; secret: string };
let writer: { rp: oidc.Configuration; clientId: string; secret: string };
let globexApp: { rp: oidc.Configuration; clientId: string; secret: string };
let ann: { email: string; password: string; id: string };
const api = authApi(() => server.url);

/**
 * The CRM's own resource server: it trusts a token only if our JWKS verifies it for the CRM's audience, and lists
 * contacts only for `contacts:read` (RFC 6750 §3.1 insufficient_scope otherwise).
 */
function startCrm(issuer: string): Promise<Server> {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  const crm = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!token) return answer(401, { error: 'invalid_token' });
    jwtVerify(token, jwks, { issuer, audience: CRM, typ: 'at+jwt' })
      .then(({ payload }) => {
        const scopes = String(payload.scope ?? '').split(' ');
        if (!scopes.includes('contacts:read')) return answer(403, { error: 'insufficient_scope' });
        answer(200, { contacts: [{ name: 'Grace' }], tenant: payload.tenant_id, sub: payload.sub });
      })
      .catch(() => answer(401, { error: 'invalid_token' }));
  });
  return new Promise((resolve) => crm.listen(0, '127.0.0.1', () => resolve(crm)));
}

async function thirdPartyApp(tenantId: string, name: string) {
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId,
    name,
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  return { rp: await discoverRp(server.url, client.clientId, clientSecret), clientId: client.clientId, secret: clientSecret as string };
}

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeTenant(server.ctx, 'globex');
  ann = await makeUser(server.ctx, 'acme', 'ann@acme.test');
  await makeUser(server.ctx, 'globex', 'gus@globex.test');
  const crm = await createApiResource(
    server.ctx,
    'acme',
    {
      identifier: CRM,
      name: 'Acme CRM',
      scopes: [
        { name: 'contacts:read', description: 'Read your contacts' },
        { name: 'contacts:write', description: 'Add and change your contacts' },
      ],
    },
    ACTOR,
  );
  await createApiResource(
    server.ctx,
    'acme',
    {
      identifier: 'https://reports.example/api',
      name: 'Reports',
      scopes: [{ name: 'reports:read', description: 'Read your reports' }],
      allowRefreshTokens: false,
      accessTokenTtl: 120,
      signingAlg: 'RS256',
    },
    ACTOR,
  );
  const calendar = await createApiResource(
    server.ctx,
    'acme',
    { identifier: CALENDAR, name: 'Calendar', scopes: [{ name: 'events:read', description: 'See your calendar' }] },
    ACTOR,
  );
  const directory = await createApiResource(
    server.ctx,
    'acme',
    {
      identifier: DIRECTORY,
      name: 'Staff directory',
      scopes: [{ name: 'staff:read', description: 'Look up your colleagues' }],
      consentRequired: false,
    },
    ACTOR,
  );
  reader = await thirdPartyApp('acme', 'Contact viewer');
  await setClientResourceScopes(server.ctx, 'acme', reader.clientId, calendar.id, ['events:read'], ACTOR);
  await setClientResourceScopes(server.ctx, 'acme', reader.clientId, directory.id, ['staff:read'], ACTOR);
  await setClientResourceScopes(server.ctx, 'acme', reader.clientId, crm.id, ['contacts:read'], ACTOR);
  writer = await thirdPartyApp('acme', 'Contact editor');
  await setClientResourceScopes(server.ctx, 'acme', writer.clientId, crm.id, ['contacts:read', 'contacts:write'], ACTOR);
  globexApp = await thirdPartyApp('globex', 'Globex app');
  crmServer = await startCrm(server.url);
  crmUrl = `http://127.0.0.1:${(crmServer.address() as AddressInfo).port}/contacts`;
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => crmServer.close(resolve));
  await server.stop();
});

async function signIn(app: typeof reader, scope: string, resource: string, onConsentPage?: (html: string) => void) {
  const { callback, verifier, state, browser } = await signInThroughPages({
    baseUrl: server.url,
    rp: app.rp,
    redirectUri: REDIRECT_URI,
    login: ann.email,
    password: ann.password,
    scope,
    params: { resource },
    ...(onConsentPage && { onConsentPage }),
  });
  const tokens = await oidc.authorizationCodeGrant(app.rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  return { tokens, browser };
}

const listed = (html: string) => [...html.matchAll(/<li[^>]*>([^<]+)<\/li>/g)].map((m) => (m[1] as string).trim());

it('grants exactly contacts:read on the CRM: the consent page says so in plain words, the token and introspection agree', async () => {
  let consent = '';
  const { tokens } = await signIn(reader, 'openid contacts:read', CRM, (html) => (consent = html));
  expect(consent).toContain('Acme CRM');
  expect(listed(consent)).toEqual(['Know who you are', 'Read your contacts']);

  const claims = decodeJwt(tokens.access_token);
  expect(claims).toMatchObject({ aud: CRM, scope: 'contacts:read', client_id: reader.clientId, tenant_id: 'acme', sub: ann.id });
  expect(tokens.scope).toBe('contacts:read');

  const crm = await fetch(crmUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  expect(crm.status).toBe(200);
  expect(await crm.json()).toEqual({ contacts: [{ name: 'Grace' }], tenant: 'acme', sub: ann.id });

  const introspected = await oidc.tokenIntrospection(reader.rp, tokens.access_token);
  expect(introspected).toMatchObject({ active: true, aud: CRM, scope: 'contacts:read', client_id: reader.clientId, sub: ann.id });

  // A token for the CRM is no token for Gatehouse's own API.
  const me = await api('GET', '/me', { tenant: 'acme', token: tokens.access_token });
  expect(me.status).toBe(401);
});

it('a refresh keeps the audience and scope; the refreshed token still works at the CRM', async () => {
  const { tokens } = await signIn(reader, 'openid contacts:read', CRM);
  expect(tokens.refresh_token).toBeDefined();
  const refreshed = await oidc.refreshTokenGrant(reader.rp, tokens.refresh_token as string);
  expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:read' });
  const crm = await fetch(crmUrl, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
  expect(crm.status).toBe(200);
});

it('never gives a client a scope it was not granted: not through the code flow, not through client_credentials', async () => {
  let consent = '';
  const { tokens } = await signIn(reader, 'openid contacts:read contacts:write', CRM, (html) => (consent = html));
  expect(consent).not.toContain('Add and change your contacts');
  expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:read' });

  const asked = await oidc.clientCredentialsGrant(reader.rp, { scope: 'contacts:read contacts:write', resource: CRM });
  expect(decodeJwt(asked.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:read', sub: reader.clientId, tenant_id: 'acme' });
  const crm = await fetch(crmUrl, { headers: { authorization: `Bearer ${asked.access_token}` } });
  expect(crm.status).toBe(200);

  const writes = await oidc.clientCredentialsGrant(writer.rp, { scope: 'contacts:write', resource: CRM });
  expect(decodeJwt(writes.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:write' });
  // The CRM refuses a token without contacts:read.
  expect((await fetch(crmUrl, { headers: { authorization: `Bearer ${writes.access_token}` } })).status).toBe(403);
});

it('answers invalid_target for an unknown resource, one the client holds no scope of, and another tenant’s', async () => {
  await expect(
    oidc.clientCredentialsGrant(reader.rp, { scope: 'contacts:read', resource: 'https://unknown.example/api' }),
  ).rejects.toMatchObject({ error: 'invalid_target' });
  await expect(oidc.clientCredentialsGrant(reader.rp, { resource: 'https://reports.example/api' })).rejects.toMatchObject({
    error: 'invalid_target',
  });
  // Globex's app asks for Acme's CRM: as unknown to it as a resource that does not exist.
  await expect(oidc.clientCredentialsGrant(globexApp.rp, { scope: 'contacts:read', resource: CRM })).rejects.toMatchObject({
    error: 'invalid_target',
  });
  const url = oidc.buildAuthorizationUrl(globexApp.rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid contacts:read',
    resource: CRM,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const res = await fetch(url.href, { redirect: 'manual' });
  const location = new URL(res.headers.get('location') as string);
  expect(location.origin + location.pathname).toBe(REDIRECT_URI);
  expect(location.searchParams.get('error')).toBe('invalid_target');
});

it('asks again only for scopes not allowed before, and not at all once everything is allowed', async () => {
  let first = '';
  await signIn(writer, 'openid contacts:read', CRM, (html) => (first = html));
  expect(listed(first)).toEqual(['Know who you are', 'Read your contacts']);

  let second = '';
  const { tokens } = await signIn(writer, 'openid contacts:read contacts:write', CRM, (html) => (second = html));
  expect(listed(second)).toEqual(['Add and change your contacts']);
  expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:read contacts:write' });

  let third = '';
  const again = await signIn(writer, 'openid contacts:write contacts:read', CRM, (html) => (third = html));
  expect(third).toBe('');
  expect(decodeJwt(again.tokens.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:write contacts:read' });
});

it('a resource that allows no refresh tokens gets none, with its own lifetime and algorithm', async () => {
  const reports = (await server.ctx.db('api_resources').where({ identifier: 'https://reports.example/api' }).first('id')) as { id: string };
  await setClientResourceScopes(server.ctx, 'acme', reader.clientId, reports.id, ['reports:read'], ACTOR);
  const { tokens } = await signIn(reader, 'openid reports:read', 'https://reports.example/api');
  expect(tokens.refresh_token).toBeUndefined();
  const claims = decodeJwt(tokens.access_token);
  expect(claims).toMatchObject({ aud: 'https://reports.example/api', scope: 'reports:read' });
  expect((claims.exp as number) - (claims.iat as number)).toBe(120);
  const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0] as string, 'base64url').toString()) as { alg: string };
  expect(header.alg).toBe('RS256');
});

it('keeps the default audience for a request that names no resource', async () => {
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp: reader.rp,
    redirectUri: REDIRECT_URI,
    login: ann.email,
    password: ann.password,
    scope: 'openid email',
  });
  const tokens = await oidc.authorizationCodeGrant(reader.rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: server.url, scope: 'openid email' });
});

it('one authorization for two APIs: each token request names one and gets a JWT for it alone', async () => {
  let consent = '';
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp: reader.rp,
    redirectUri: REDIRECT_URI,
    login: ann.email,
    password: ann.password,
    scope: 'openid contacts:read events:read',
    // prompt=consent: the page lists everything asked for, even what Ann allowed in the tests above.
    params: { resource: CRM, prompt: 'consent' },
    // openid-client's buildAuthorizationUrl takes one value per parameter; the second resource is appended below.
    onConsentPage: (html) => (consent = html),
    authorizationUrl: (url) => {
      const u = new URL(url);
      u.searchParams.append('resource', CALENDAR);
      return u.href;
    },
  });
  expect(consent).toContain('Acme CRM');
  expect(consent).toContain('Calendar');
  expect(listed(consent)).toEqual(['Know who you are', 'Read your contacts', 'See your calendar']);

  const crm = await oidc.authorizationCodeGrant(
    reader.rp,
    callback,
    { pkceCodeVerifier: verifier, expectedState: state },
    { resource: CRM },
  );
  expect(decodeJwt(crm.access_token)).toMatchObject({ aud: CRM, scope: 'contacts:read' });
  const calendar = await oidc.refreshTokenGrant(reader.rp, crm.refresh_token as string, { resource: CALENDAR });
  expect(decodeJwt(calendar.access_token)).toMatchObject({ aud: CALENDAR, scope: 'events:read' });
  // The calendar's token is no token for the CRM.
  expect((await fetch(crmUrl, { headers: { authorization: `Bearer ${calendar.access_token}` } })).status).toBe(401);
  // A resource the authorization did not cover cannot be added at the token endpoint.
  await expect(oidc.refreshTokenGrant(reader.rp, calendar.refresh_token as string, { resource: DIRECTORY })).rejects.toMatchObject({
    error: 'invalid_target',
  });
});

it('does not ask about the scopes of an API registered without consent', async () => {
  // Someone who never allowed this app anything: the page asks only for the OpenID part.
  const bo = await makeUser(server.ctx, 'acme', 'bo@acme.test');
  let consent = '';
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp: reader.rp,
    redirectUri: REDIRECT_URI,
    login: bo.email,
    password: bo.password,
    scope: 'openid staff:read',
    params: { resource: DIRECTORY },
    onConsentPage: (html) => (consent = html),
  });
  expect(listed(consent)).toEqual(['Know who you are']);
  expect(consent).not.toContain('Staff directory');
  const tokens = await oidc.authorizationCodeGrant(reader.rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: DIRECTORY, scope: 'staff:read', sub: bo.id });
});

it('a scope the API drops is taken from the client and from what people allowed; added again, it is asked afresh', async () => {
  const crm = (await server.ctx.db('api_resources').where({ tenant_id: 'acme', identifier: CRM }).first('id', 'scopes')) as {
    id: string;
    scopes: Array<{ name: string; description: string }>;
  };
  const [read, write] = crm.scopes as [{ name: string; description: string }, { name: string; description: string }];
  await updateApiResource(server.ctx, 'acme', crm.id, { scopes: [read] }, ACTOR);
  // The writer still holds contacts:read there, so the resource answers, but without contacts:write.
  const dropped = await oidc.clientCredentialsGrant(writer.rp, { scope: 'contacts:write', resource: CRM });
  expect(decodeJwt(dropped.access_token).scope).toBeUndefined();
  await updateApiResource(server.ctx, 'acme', crm.id, { scopes: [read, write] }, ACTOR);
  // Not granted any more: the scope does not come back by itself.
  const without = await oidc.clientCredentialsGrant(writer.rp, { scope: 'contacts:read contacts:write', resource: CRM });
  expect(decodeJwt(without.access_token)).toMatchObject({ scope: 'contacts:read' });
  await setClientResourceScopes(server.ctx, 'acme', writer.clientId, crm.id, ['contacts:read', 'contacts:write'], ACTOR);
  let consent = '';
  await signIn(writer, 'openid contacts:read contacts:write', CRM, (html) => (consent = html));
  expect(listed(consent)).toEqual(['Add and change your contacts']);
});

it('a refresh for an API that stopped allowing refresh tokens is refused with invalid_target', async () => {
  const { tokens } = await signIn(reader, 'openid events:read', CALENDAR);
  expect(tokens.refresh_token).toBeDefined();
  const calendar = (await server.ctx.db('api_resources').where({ tenant_id: 'acme', identifier: CALENDAR }).first('id')) as { id: string };
  await updateApiResource(server.ctx, 'acme', calendar.id, { allowRefreshTokens: false }, ACTOR);
  await expect(oidc.refreshTokenGrant(reader.rp, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_target' });
  await updateApiResource(server.ctx, 'acme', calendar.id, { allowRefreshTokens: true }, ACTOR);
  const refreshed = await oidc.refreshTokenGrant(reader.rp, tokens.refresh_token as string);
  expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: CALENDAR, scope: 'events:read' });
});

it('disconnecting an app in the account center withdraws what the person allowed it on APIs too: the next sign-in asks again', async () => {
  const app = await thirdPartyApp('acme', 'Disconnected app');
  const crm = (await server.ctx.db('api_resources').where({ tenant_id: 'acme', identifier: CRM }).first('id')) as { id: string };
  await setClientResourceScopes(server.ctx, 'acme', app.clientId, crm.id, ['contacts:read'], ACTOR);
  let first = '';
  await signIn(app, 'openid contacts:read', CRM, (html) => (first = html));
  expect(listed(first)).toEqual(['Know who you are', 'Read your contacts']);

  const signedIn = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: ann.email, password: ann.password } });
  // Connected apps shows what the app may do on the API, in the API's words.
  const apps = await api('GET', '/apps', { tenant: 'acme', token: signedIn.body.data.accessToken });
  expect(apps.body.data.apps.find((a: { clientId: string }) => a.clientId === app.clientId)?.apiScopes).toEqual([
    { resource: CRM, resourceName: expect.any(String), scope: 'contacts:read', description: 'Read your contacts' },
  ]);
  const disconnected = await api('DELETE', `/apps/${app.clientId}`, { tenant: 'acme', token: signedIn.body.data.accessToken });
  expect(disconnected.status).toBe(200);

  // The page lists the API scope again, rather than handing it over under "Know who you are" alone.
  let again = '';
  await signIn(app, 'openid contacts:read', CRM, (html) => (again = html));
  expect(listed(again)).toEqual(['Know who you are', 'Read your contacts']);
});

it('answers a resource indicator with a NUL character as invalid_target, at the token and authorization endpoints', async () => {
  const token = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${reader.clientId}:${reader.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'contacts:read', resource: `${CRM}\u0000` }),
  });
  expect(token.status).toBe(400);
  expect(((await token.json()) as { error: string }).error).toBe('invalid_target');

  const url = new URL(`${server.url}/oauth2/authorize`);
  for (const [name, value] of Object.entries({
    client_id: reader.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid contacts:read',
    resource: `${CRM}\u0000`,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(name, value);
  const authorize = await fetch(url, { redirect: 'manual' });
  expect(authorize.status).toBe(303);
  expect(new URL(authorize.headers.get('location') as string).searchParams.get('error')).toBe('invalid_target');
});
