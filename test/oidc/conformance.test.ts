// Conformance points of OAuth 2.0 / OpenID Connect, each from the text of its clause, against the real server:
// POST at the authorization endpoint, the code flow only, introspection and revocation rules, unauthorized_client,
// cache headers of token responses, framing and sniffing, and URLs that never come from the Host header.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { jest } from '@jest/globals';
import * as oidc from 'openid-client';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createInitialAccessToken } from '../../src/oidc/registration.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:7777/signed-out';

let server: TestServer;
let acme: oidc.Configuration;
let acmeOther: oidc.Configuration;
let acmePublic: oidc.Configuration;
let globex: oidc.Configuration;
let noCredentials: { clientId: string; clientSecret: string };
let ann: { email: string; password: string; id: string };

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeTenant(server.ctx, 'globex');
  ann = await makeUser(server.ctx, 'acme', 'ann@acme.test');
  const rp = async (tenantId: string, name: string, extra: { public?: boolean; grantTypes?: string[] } = {}) => {
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId,
      name,
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [AFTER_LOGOUT],
      firstParty: true,
      ...(extra as object),
    });
    return { client, clientSecret, config: await discoverRp(server.url, client.clientId, clientSecret) };
  };
  acme = (await rp('acme', 'Acme CRM', { grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] })).config;
  acmeOther = (await rp('acme', 'Acme Reports', { grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] })).config;
  acmePublic = (await rp('acme', 'Acme SPA', { public: true })).config;
  globex = (await rp('globex', 'Globex CRM')).config;
  const plain = await rp('acme', 'Acme Plain', { grantTypes: ['authorization_code'] });
  noCredentials = { clientId: plain.client.clientId, clientSecret: plain.clientSecret as string };
});
afterAll(() => server.stop());

async function signInAndRedeem(rp = acme, scope?: string) {
  const result = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: ann.email,
    password: ann.password,
    ...(scope && { scope }),
  });
  const tokens = await oidc.authorizationCodeGrant(rp, result.callback, { pkceCodeVerifier: result.verifier, expectedState: result.state });
  return { ...result, tokens };
}

/** A raw request with any Host header (fetch cannot set it). */
function rawGet(path: string, headers: Record<string, string>, base = server.url): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

describe('authorization endpoint', () => {
  it('accepts POST with a form body (OIDC Core §3.1.2.1: GET and POST)', async () => {
    const form = new URLSearchParams({
      client_id: acme.clientMetadata().client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      state: 'xyz',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const res = await fetch(`${server.url}/oauth2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/interaction\/[\w-]+$/);
  });

  it('advertises and accepts the code flow only (RFC 9700 §2.1.2)', async () => {
    const discovery = await readJson(await fetch(`${server.url}/.well-known/openid-configuration`));
    expect(discovery.response_types_supported).toEqual(['code']);
    expect(discovery.grant_types_supported).not.toContain('implicit');

    const implicit = new URL(`${server.url}/oauth2/authorize`);
    implicit.search = new URLSearchParams({
      client_id: acme.clientMetadata().client_id,
      response_type: 'id_token',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
      nonce: 'n',
    }).toString();
    const refused = await fetch(implicit, { redirect: 'manual' });
    const location = new URL(refused.headers.get('location') ?? `${server.url}/`, server.url);
    expect(location.searchParams.get('error') ?? (await refused.text())).toMatch(/unsupported_response_type/);

    const { token } = await createInitialAccessToken(server.ctx, server.oidc.provider(), 'acme', 3600, {});
    const registered = await fetch(`${server.url}/oauth2/register`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'Implicit app', redirect_uris: [REDIRECT_URI], grant_types: ['implicit'], response_types: [] }),
    });
    expect(registered.status).toBe(400);
    expect((await readJson(registered)).error).toBe('invalid_client_metadata');
  });
});

describe('token endpoint', () => {
  it('answers unauthorized_client for a grant type the client is not registered for (RFC 6749 §5.2)', async () => {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { Authorization: basic(noCredentials.clientId, noCredentials.clientSecret) },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).error).toBe('unauthorized_client');
  });

  it('sends Cache-Control: no-store and Pragma: no-cache with tokens (RFC 6749 §5.1)', async () => {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { Authorization: basic(acme.clientMetadata().client_id, acme.clientMetadata().client_secret as string) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'openid' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
  });

  it('keeps offline_access in the granted scope when it issues a refresh token, so a refresh with that scope works', async () => {
    const { tokens } = await signInAndRedeem(acme, 'openid email offline_access');
    expect(tokens.refresh_token).toBeDefined();
    expect(tokens.scope?.split(' ')).toContain('offline_access');
    const refreshed = await oidc.refreshTokenGrant(acme, tokens.refresh_token as string, { scope: 'openid email offline_access' });
    expect(refreshed.scope?.split(' ')).toContain('offline_access');
  });
});

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  it('refuses a public client and answers a confidential client only about its own tokens', async () => {
    const { tokens } = await signInAndRedeem();
    // §2.1: the endpoint requires client authentication; a public client has none.
    await expect(oidc.tokenIntrospection(acmePublic, tokens.access_token)).rejects.toMatchObject({ error: 'invalid_client' });
    // §4: another client of the same tenant, or a client of another tenant, learns nothing.
    expect(await oidc.tokenIntrospection(acmeOther, tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(globex, tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(globex, tokens.refresh_token as string)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(acmeOther, tokens.refresh_token as string)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(acme, tokens.access_token)).toMatchObject({ active: true, sub: ann.id });
    expect(await oidc.tokenIntrospection(acme, tokens.refresh_token as string)).toMatchObject({ active: true, sub: ann.id });
  });

  it('logs no refusal for a successful introspection of a JWT access token', async () => {
    const { tokens } = await signInAndRedeem();
    const info = jest.spyOn(server.ctx.logger, 'info');
    try {
      expect(await oidc.tokenIntrospection(acme, tokens.access_token)).toMatchObject({ active: true });
      const refusals = info.mock.calls.filter(([line]) => (line as { event?: string } | undefined)?.event === 'introspection.error');
      expect(refusals).toEqual([]);
    } finally {
      info.mockRestore();
    }
  });

  it('revokes a JWT access token: introspection, userinfo and the account API refuse it at once', async () => {
    const { tokens } = await signInAndRedeem();
    const bearer = { Authorization: `Bearer ${tokens.access_token}`, 'X-Tenant-ID': 'acme' };
    expect((await fetch(`${server.url}/oauth2/userinfo`, { headers: bearer })).status).toBe(200);

    // Another client cannot revoke it.
    await expect(oidc.tokenRevocation(acmeOther, tokens.access_token)).rejects.toMatchObject({ error: 'invalid_request' });
    expect(await oidc.tokenIntrospection(acme, tokens.access_token)).toMatchObject({ active: true });

    await oidc.tokenRevocation(acme, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await oidc.tokenIntrospection(acme, tokens.access_token)).toEqual({ active: false });
    expect((await fetch(`${server.url}/oauth2/userinfo`, { headers: bearer })).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/auth/me`, { headers: bearer })).status).toBe(401);
    // A refresh token is revoked only by its own client, never by another client of the tenant or of another tenant.
    await expect(oidc.tokenRevocation(acmeOther, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(oidc.tokenRevocation(globex, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_request' });
    // Only that token: the refresh token still works.
    const refreshed = await oidc.refreshTokenGrant(acme, tokens.refresh_token as string);
    expect((await fetch(`${server.url}/oauth2/userinfo`, { headers: { Authorization: `Bearer ${refreshed.access_token}` } })).status).toBe(
      200,
    );
  });
});

describe('security headers', () => {
  it('never lets the logout confirmation or the authorization error page be framed, and sends nosniff everywhere', async () => {
    const { tokens, browser: signedIn } = await signInAndRedeem(acme);
    const logout = await signedIn.get(
      oidc.buildEndSessionUrl(acme, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: AFTER_LOGOUT }).href,
    );
    const authorizeError = await fetch(`${server.url}/oauth2/authorize?client_id=nobody&response_type=code`, {
      headers: { Accept: 'text/html' },
    });
    for (const res of [logout, authorizeError]) {
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    // The logout confirmation may end at the registered post_logout_redirect_uri, and nowhere else.
    expect(logout.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:7777;");
    for (const path of ['/.well-known/openid-configuration', '/api/v1/auth/me', '/health/live']) {
      expect((await fetch(`${server.url}${path}`)).headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('lets the form_post page run its one script and post only to the registered redirect_uri', async () => {
    const { browser } = await signInAndRedeem(acme);
    const url = oidc.buildAuthorizationUrl(acme, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      response_mode: 'form_post',
      prompt: 'none',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const res = await browser.get(url.href);
    expect(res.status).toBe(200);
    const html = await res.text();
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] as string;
    const hash = createHash('sha256').update(script).digest('base64');
    expect(res.headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'sha256-${hash}'; form-action http://127.0.0.1:7777; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(html).toContain(`action="${REDIRECT_URI}"`);
  });

  it('sends Strict-Transport-Security behind a trusted proxy that terminated https, and not otherwise', async () => {
    expect(
      (await fetch(`${server.url}/health/live`, { headers: { 'X-Forwarded-Proto': 'https' } })).headers.get('strict-transport-security'),
    ).toBeNull();
    const proxied = await startTestServer({ TRUST_PROXY: 'true' }); // its own database: embedded PGlite is single-process
    try {
      const https = await fetch(`${proxied.url}/health/live`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(https.headers.get('strict-transport-security')).toMatch(/^max-age=\d{7,}/);
      expect((await fetch(`${proxied.url}/health/live`)).headers.get('strict-transport-security')).toBeNull();
    } finally {
      await proxied.stop();
    }
  });
});

describe('discovery', () => {
  it('publishes only URLs under PUBLIC_URL, whatever the Host header says', async () => {
    const evil = await rawGet('/.well-known/openid-configuration', { Host: 'evil.example' });
    expect(evil.status).toBe(200);
    const urls = Object.values(JSON.parse(evil.body) as Record<string, unknown>).filter(
      (v): v is string => typeof v === 'string' && /^https?:/.test(v),
    );
    expect(urls.length).toBeGreaterThan(5);
    expect(urls.filter((url) => !url.startsWith(`${server.url}/`) && url !== server.url)).toEqual([]);
  });

  it('ignores X-Forwarded-Host behind TRUST_PROXY too, and uses the tenant subdomain of TENANT_DOMAIN', async () => {
    const proxied = await startTestServer({ TRUST_PROXY: 'true', TENANT_DOMAIN: 'id.test' }); // its own database, as above
    try {
      const proxiedPort = new URL(proxied.url).port;
      const forwarded = JSON.parse(
        (
          await rawGet(
            '/.well-known/openid-configuration',
            { Host: `127.0.0.1:${proxiedPort}`, 'X-Forwarded-Host': 'evil.example' },
            proxied.url,
          )
        ).body,
      );
      expect(forwarded.authorization_endpoint).toBe(`${proxied.url}/oauth2/authorize`);
      const tenant = JSON.parse(
        (
          await rawGet(
            '/.well-known/openid-configuration',
            {
              Host: `acme.id.test:${proxiedPort}`,
              'X-Forwarded-Host': `acme.id.test:${proxiedPort}`,
            },
            proxied.url,
          )
        ).body,
      );
      expect(tenant.authorization_endpoint).toBe(`http://acme.id.test:${proxiedPort}/oauth2/authorize`);
      expect(tenant.issuer).toBe(proxied.url);
    } finally {
      await proxied.stop();
    }
  });
});
