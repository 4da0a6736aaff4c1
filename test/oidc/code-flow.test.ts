// The authorization code flow end to end with a real relying party (openid-client) against the real server:
// HTML login form → code + PKCE → validated ID token → userinfo → refresh rotation → reuse kills the grant →
// revocation; plus client credentials, introspection of JWT access tokens, and the guide's exact error bodies.
import * as oidc from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { FormBrowser, formAction, hiddenField } from '../helpers/form-browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { authorizeUrl, discoverRp } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const INVALID_CLIENT = '{"error":"invalid_client","error_description":"Client authentication failed"}';
const INVALID_CODE = '{"error":"invalid_grant","error_description":"Authorization code is invalid or expired"}';
const INVALID_REFRESH = '{"error":"invalid_grant","error_description":"Refresh token is invalid or expired"}';

let server: TestServer;
let rp: oidc.Configuration;
let clientId: string;
let clientSecret: string;
let user: { email: string; password: string; id: string };

beforeAll(async () => {
  // Strict reuse detection: no retry interval (test/oidc/refresh-reuse.test.ts covers REFRESH_REUSE_INTERVAL_SECONDS).
  server = await startTestServer({ REFRESH_REUSE_INTERVAL_SECONDS: '0' });
  const deps = server.ctx;
  await makeTenant(deps, 'acme');
  user = await makeUser(deps, 'acme', 'ann@acme.test');
  const created = await makeClient(deps, {
    tenantId: 'acme',
    name: 'Acme CRM',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  clientId = created.client.clientId;
  clientSecret = created.clientSecret as string;
  rp = await discoverRp(server.url, clientId, clientSecret);
});
afterAll(() => server.stop());

async function tokenRequest(
  body: Record<string, string>,
  auth = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
  accept = 'application/json',
) {
  return fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth, Accept: accept },
    body: new URLSearchParams(body),
  });
}

/** Signs in through the HTML pages and returns the callback URL carrying the code. */
async function signIn(params: {
  verifier: string;
  state: string;
  scope?: string;
  password?: string;
}): Promise<{ callback: URL; browser: FormBrowser }> {
  const browser = new FormBrowser();
  const authorizeUrl = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: params.scope ?? 'openid email profile offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(params.verifier),
    code_challenge_method: 'S256',
    state: params.state,
  });
  const loginPage = await browser.follow(authorizeUrl.href, server.url);
  expect(loginPage.res.status).toBe(200);
  expect(loginPage.res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await loginPage.res.text();
  expect(html).toMatch(/^<!doctype html>\s*<html lang="en">/);
  expect(html).toContain('Sign in to Tenant acme');
  expect(html).toContain('name="usernameOrEmail"');
  const posted = await browser.post(new URL(formAction(html, '/login'), server.url).href, {
    csrf: hiddenField(html, 'csrf'),
    usernameOrEmail: user.email,
    password: params.password ?? user.password,
  });
  expect(posted.status).toBe(303);
  let step = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, server.url);
  if (step.res.status === 200) {
    // Third-party client: the consent page.
    const consent = await step.res.text();
    expect(consent).toContain('wants to access your account');
    const approved = await browser.post(new URL(formAction(consent, '/consent'), server.url).href, { csrf: hiddenField(consent, 'csrf') });
    step = await browser.follow(new URL(approved.headers.get('location') as string, server.url).href, server.url);
  }
  expect(step.url.startsWith(REDIRECT_URI)).toBe(true);
  return { callback: new URL(step.url), browser };
}

describe('authorization code flow with PKCE through the login pages', () => {
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('issues a validated ID token and a JWT access token with the docs/security.md claims', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const { callback } = await signIn({ verifier, state });
    tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });

    const idClaims = tokens.claims();
    expect(idClaims).toMatchObject({ iss: server.ctx.config.publicUrl, sub: user.id, aud: clientId });
    expect(idClaims).toMatchObject({ tenant_id: 'acme', amr: ['pwd'], acr: 'urn:gatehouse:loa:pwd', auth_time: expect.any(Number) });

    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const at = decodeJwt(tokens.access_token);
    expect(at).toMatchObject({ sub: user.id, client_id: clientId, tenant_id: 'acme', roles: ['member'] });
    expect(at.scope).toContain('openid');
    expect(typeof at.sid).toBe('string');
    expect(typeof at.jti).toBe('string');
    expect((at.exp as number) - (at.iat as number)).toBe(900);
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('answers userinfo for the JWT access token', async () => {
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, email: user.email, email_verified: true, tenant_id: 'acme' });
  });

  it('introspects the JWT access token as active for a client of its tenant', async () => {
    const result = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(result).toMatchObject({ active: true, sub: user.id, client_id: clientId, tenant_id: 'acme', token_type: 'Bearer' });
  });

  it('rotates the refresh token, and reusing the old one revokes the whole grant', async () => {
    const first = tokens.refresh_token as string;
    const rotated = await oidc.refreshTokenGrant(rp, first);
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(first);
    // The grant, its session and the user's roles are read along with the token (one query each way): same claims.
    expect(decodeJwt(rotated.access_token)).toMatchObject({ sid: decodeJwt(tokens.access_token).sid, roles: ['member'] });
    // Written by the rotation's own statement: exactly one event, with who, from where and which session.
    const refreshed = await server.ctx.db('audit_events').where({ type: 'token.refreshed', tenant_id: 'acme', client_id: clientId });
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]).toMatchObject({ subject_id: user.id, actor_id: user.id, outcome: 'success', ip: expect.any(String) });
    expect(refreshed[0].request_id).toBeTruthy();
    expect(refreshed[0].data).toMatchObject({ sessionId: decodeJwt(tokens.access_token).sid });

    const reuse = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first });
    expect(reuse.status).toBe(400);
    expect(await reuse.text()).toBe(INVALID_REFRESH);

    // The grant is gone: the rotated token dies too, and the access tokens stop introspecting.
    const audited = await server.ctx.db('audit_events').where({ type: 'token.refresh_reuse', tenant_id: 'acme' }).first();
    expect(audited).toMatchObject({ outcome: 'failure', client_id: clientId });
    const afterReuse = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token as string });
    expect(await afterReuse.text()).toBe(INVALID_REFRESH);
    expect(await oidc.tokenIntrospection(rp, rotated.access_token)).toMatchObject({ active: false });
    await expect(oidc.fetchUserInfo(rp, rotated.access_token, user.id)).rejects.toThrow();
  });

  it('revokes a refresh token at the revocation endpoint', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const { callback } = await signIn({ verifier, state });
    const fresh = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    await oidc.tokenRevocation(rp, fresh.refresh_token as string);
    const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: fresh.refresh_token as string });
    expect(await res.text()).toBe(INVALID_REFRESH);
  });

  it('shows a plain-words error on a wrong password and lets the person retry', async () => {
    const browser = new FormBrowser();
    const url = await authorizeUrl({ rp, redirectUri: REDIRECT_URI, scope: 'openid' }, oidc.randomPKCECodeVerifier(), oidc.randomState());
    const page = await browser.follow(url, server.url);
    const html = await page.res.text();
    const res = await browser.post(new URL(formAction(html, '/login'), server.url).href, {
      csrf: hiddenField(html, 'csrf'),
      usernameOrEmail: user.email,
      password: 'wrong password!',
    });
    expect(res.status).toBe(401);
    const again = await res.text();
    expect(again).toContain('The email, username or password is not right');
    expect(again).toContain(`value="${user.email}"`);
  });

  it('refuses a form post without the CSRF token', async () => {
    const browser = new FormBrowser();
    const url = await authorizeUrl({ rp, redirectUri: REDIRECT_URI, scope: 'openid' }, oidc.randomPKCECodeVerifier(), oidc.randomState());
    const page = await browser.follow(url, server.url);
    const html = await page.res.text();
    const res = await browser.post(new URL(formAction(html, '/login'), server.url).href, {
      usernameOrEmail: user.email,
      password: user.password,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This form has expired');
  });
});

describe('invalid_grant for every bad authorization code, byte for byte', () => {
  async function freshCode() {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const { callback } = await signIn({ verifier, state });
    return { code: callback.searchParams.get('code') as string, verifier };
  }

  it('unknown code', async () => {
    const res = await tokenRequest({
      grant_type: 'authorization_code',
      code: 'not-a-code',
      redirect_uri: REDIRECT_URI,
      code_verifier: oidc.randomPKCECodeVerifier(),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(INVALID_CODE);
  });

  it('reused code (and the reuse revokes what the code issued)', async () => {
    const { code, verifier } = await freshCode();
    const first = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(first.status).toBe(200);
    const issued = await readJson(first);
    const second = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(second.status).toBe(400);
    expect(await second.text()).toBe(INVALID_CODE);
    const refresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: issued.refresh_token });
    expect(await refresh.text()).toBe(INVALID_REFRESH);
  });

  it('wrong redirect_uri', async () => {
    const { code, verifier } = await freshCode();
    const res = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:7777/other',
      code_verifier: verifier,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(INVALID_CODE);
  });

  it('wrong PKCE verifier', async () => {
    const { code } = await freshCode();
    const res = await tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: oidc.randomPKCECodeVerifier(),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(INVALID_CODE);
  });

  it('expired code', async () => {
    const { code, verifier } = await freshCode();
    const realNow = Date.now;
    // Eleven minutes later, from the server's point of view (codes live 10 minutes).
    Date.now = () => realNow() + 11 * 60 * 1000;
    try {
      const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
      expect(res.status).toBe(400);
      expect(await res.text()).toBe(INVALID_CODE);
    } finally {
      Date.now = realNow;
    }
  });

  it('is the same body whatever the Accept header', async () => {
    const res = await tokenRequest(
      { grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT_URI, code_verifier: oidc.randomPKCECodeVerifier() },
      undefined,
      'text/html',
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe(INVALID_CODE);
  });
});

describe('invalid_client for every failed client authentication, byte for byte', () => {
  const grant = { grant_type: 'client_credentials' };
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it.each([
    ['wrong secret', () => basic(clientId, 'wrong-secret')],
    ['unknown client', () => basic('no-such-client', 'whatever')],
    ['empty secret', () => basic(clientId, '')],
  ])('%s', async (_name, auth) => {
    const res = await tokenRequest(grant, auth());
    expect(res.status).toBe(401);
    expect(await res.text()).toBe(INVALID_CLIENT);
  });

  it('no client authentication at all', async () => {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe(INVALID_CLIENT);
  });

  it('secret sent in the body to a client_secret_basic client, with an HTML Accept header', async () => {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: new URLSearchParams({ ...grant, client_id: clientId, client_secret: 'nope' }),
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe(INVALID_CLIENT);
  });
});

describe('client credentials', () => {
  it('issues a JWT access token for the client itself, scoped to its tenant', async () => {
    const res = await oidc.clientCredentialsGrant(rp, { scope: 'profile' });
    const at = decodeJwt(res.access_token);
    expect(decodeProtectedHeader(res.access_token).typ).toBe('at+jwt');
    expect(at).toMatchObject({ sub: clientId, client_id: clientId, tenant_id: 'acme' });
    expect(at.sid).toBeUndefined();
    expect(await oidc.tokenIntrospection(rp, res.access_token)).toMatchObject({ active: true, client_id: clientId, tenant_id: 'acme' });
  });

  it('stores only a keyed hash of the client secret', async () => {
    const row = await server.ctx.db('clients').where({ client_id: clientId }).first();
    expect(row.secret_hash).toBeTruthy();
    expect(row.secret_hash).not.toContain(clientSecret);
    expect(JSON.stringify(row)).not.toContain(clientSecret);
    expect(Buffer.from(clientSecret, 'base64url').length).toBeGreaterThanOrEqual(32);
  });
});

describe('discovery', () => {
  it('publishes the docs/api.md endpoints at both well-known paths', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const doc = await readJson(await fetch(`${server.url}${path}`));
      expect(doc).toMatchObject({
        authorization_endpoint: `${server.ctx.config.publicUrl}/oauth2/authorize`,
        token_endpoint: `${server.ctx.config.publicUrl}/oauth2/token`,
        userinfo_endpoint: `${server.ctx.config.publicUrl}/oauth2/userinfo`,
        jwks_uri: `${server.ctx.config.publicUrl}/.well-known/jwks.json`,
        introspection_endpoint: `${server.ctx.config.publicUrl}/oauth2/introspect`,
        revocation_endpoint: `${server.ctx.config.publicUrl}/oauth2/revoke`,
        end_session_endpoint: `${server.ctx.config.publicUrl}/oauth2/logout`,
        registration_endpoint: `${server.ctx.config.publicUrl}/oauth2/register`,
        pushed_authorization_request_endpoint: `${server.ctx.config.publicUrl}/oauth2/par`,
        code_challenge_methods_supported: ['S256'],
      });
      expect(doc.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    }
  });

  it('publishes only public key material', async () => {
    const jwks = await readJson(await fetch(`${server.url}/.well-known/jwks.json`));
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    for (const key of jwks.keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[member]).toBeUndefined();
  });
});
