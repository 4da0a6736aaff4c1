// Key rotation, pushed authorization requests and RP-initiated logout against the real server.
import * as oidc from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { rotateSigningKeys } from '../../src/services/signing-keys.ts';
import { FormBrowser, hiddenField } from '../helpers/form-browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { discoverRp, signInThroughPages, submitLogin } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { describeWithSharedServices } from '../helpers/services.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:7777/signed-out';

let server: TestServer;
let rp: oidc.Configuration;
let user: { email: string; password: string; id: string };

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  user = await makeUser(server.ctx, 'acme', 'ann@acme.test');
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Acme CRM',
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [AFTER_LOGOUT],
    firstParty: true,
  });
  rp = await discoverRp(server.url, client.clientId, clientSecret);
});
afterAll(() => server.stop());

async function signInAndRedeem(browser?: FormBrowser) {
  const result = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: user.email,
    password: user.password,
    ...(browser && { browser }),
  });
  const tokens = await oidc.authorizationCodeGrant(rp, result.callback, { pkceCodeVerifier: result.verifier, expectedState: result.state });
  return { ...result, tokens };
}

describe('signing key rotation', () => {
  it('signs with the new key at once and keeps verifying tokens signed by the old one', async () => {
    const before = await signInAndRedeem();
    const oldKid = decodeProtectedHeader(before.tokens.access_token).kid;

    const rotated = await rotateSigningKeys(server.ctx, { actorId: 'test' }, { activateAfterMs: 0 });
    expect(rotated.retired).toContain(oldKid);
    expect(await server.oidc.checkKeys()).toBe(true);

    const jwks = await readJson(await fetch(`${server.url}/.well-known/jwks.json`));
    const published = jwks.keys.map((k: { kid: string }) => k.kid);
    expect(published).toEqual(expect.arrayContaining([...rotated.active, ...rotated.retired]));

    const after = await oidc.refreshTokenGrant(rp, before.tokens.refresh_token as string);
    expect(rotated.active).toContain(decodeProtectedHeader(after.access_token).kid);
    expect(await oidc.tokenIntrospection(rp, before.tokens.access_token)).toMatchObject({ active: true });
    expect(await oidc.tokenIntrospection(rp, after.access_token)).toMatchObject({ active: true });

    const audit = await server.ctx.db('audit_events').where({ type: 'keys.rotated' }).first();
    expect(audit.data.retired).toEqual(rotated.retired);
  });
});

describe('pushed authorization requests (RFC 9126)', () => {
  it('starts the flow from a pushed request_uri', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(rp, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(url.searchParams.get('redirect_uri')).toBeNull();
    const browser = new FormBrowser();
    const page = await browser.follow(url.href, server.url);
    const posted = await submitLogin(browser, server.url, await page.res.text(), user.email, user.password);
    const done = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, server.url);
    const callback = new URL(done.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier });
    expect(tokens.claims()?.sub).toBe(user.id);
  });
});

describe('RP-initiated logout', () => {
  it('asks for confirmation, then ends the session and its tokens and returns to the client', async () => {
    const browser = new FormBrowser();
    const { tokens } = await signInAndRedeem(browser);
    const url = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: AFTER_LOGOUT });
    const confirm = await browser.get(url.href);
    expect(confirm.status).toBe(200);
    const page = await confirm.text();
    expect(page).toContain('Sign out?');
    expect(page).toContain('Yes, sign me out');

    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1] as string;
    const done = await browser.post(new URL(action, server.url).href, { xsrf: hiddenField(page, 'xsrf'), logout: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(AFTER_LOGOUT);

    expect(await oidc.tokenIntrospection(rp, tokens.access_token)).toEqual({ active: false });
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    const ended = await server.ctx.db('sessions').where({ user_id: user.id }).whereNotNull('ended_at').select('end_reason');
    expect(ended.map((s: { end_reason: string }) => s.end_reason)).toContain('logout');
  });
});

describeWithSharedServices('key rotation across processes', () => {
  it('accepts at once a token signed with a key this process has not loaded yet', async () => {
    const other = await startTestServer({ PUBLIC_URL: server.ctx.config.publicUrl }, server.env);
    try {
      await rotateSigningKeys(server.ctx, { actorId: 'test' }, { activateAfterMs: 0 });
      expect(await server.oidc.checkKeys()).toBe(true); // the signing process has the new keys; the other has not polled yet
      const res = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': 'acme' },
        body: JSON.stringify({ usernameOrEmail: user.email, password: user.password }),
      });
      const { accessToken } = (await readJson(res)).data;
      const me = await fetch(`${other.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
      expect(me.status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
