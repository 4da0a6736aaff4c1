// Tenant boundaries on the OAuth side: only the client's tenant's active users ever get a code or token.
import * as oidc from 'openid-client';
import { FormBrowser } from '../helpers/form-browser.ts';
import { makeFirstPartyRp, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authorizeUrl, signInThroughPages, submitLogin } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { setUserStatus } from '../../src/services/users.ts';
import { setTenantStatus } from '../../src/services/tenants.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const ACTOR = { actorId: 'test' };

let server: TestServer;
const rps: Record<string, oidc.Configuration> = {};
const users: Record<string, { id: string; email: string; password: string }> = {};

beforeAll(async () => {
  server = await startTestServer();
  for (const tenant of ['acme', 'globex', 'initech']) {
    await makeTenant(server.ctx, tenant);
    users[tenant] = await makeUser(server.ctx, tenant, `someone@${tenant}.test`);
    rps[tenant] = await makeFirstPartyRp(server.ctx, server.url, tenant, REDIRECT_URI, `${tenant} app`);
  }
});
afterAll(() => server.stop());

const signIn = (tenant: string, who: { email: string; password: string }, browser?: FormBrowser) =>
  signInThroughPages({
    baseUrl: server.url,
    rp: rps[tenant] as oidc.Configuration,
    redirectUri: REDIRECT_URI,
    login: who.email,
    password: who.password,
    ...(browser && { browser }),
  });

async function loginPageFor(tenant: string, browser: FormBrowser) {
  const url = await authorizeUrl(
    { rp: rps[tenant] as oidc.Configuration, redirectUri: REDIRECT_URI },
    oidc.randomPKCECodeVerifier(),
    oidc.randomState(),
  );
  const step = await browser.follow(url, server.url);
  return { status: step.res.status, html: await step.res.text() };
}

it('a first-party client skips the consent page', async () => {
  const { callback, verifier, state } = await signIn('acme', users.acme!);
  const tokens = await oidc.authorizationCodeGrant(rps.acme!, callback, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.claims()?.sub).toBe(users.acme!.id);
});

it("refuses a user of another tenant on a tenant's client", async () => {
  const browser = new FormBrowser();
  const page = await loginPageFor('acme', browser);
  const res = await submitLogin(browser, server.url, page.html, users.globex!.email, users.globex!.password);
  expect(res.status).toBe(401);
  expect(await res.text()).toContain('The email, username or password is not right');
  const failures = await server.ctx.db('audit_events').where({ type: 'signin.failed', tenant_id: 'acme' }).select('data');
  expect(failures.map((f: { data: { reason: string } }) => f.data.reason)).toContain('unknown_user');
});

it("does not carry a browser session into another tenant's client", async () => {
  const first = await signIn('acme', users.acme!);
  const { browser } = first;
  const acmeTokens = await oidc.authorizationCodeGrant(rps.acme!, first.callback, {
    pkceCodeVerifier: first.verifier,
    expectedState: first.state,
  });
  expect(await oidc.tokenIntrospection(rps.acme!, acmeTokens.access_token)).toMatchObject({ active: true });
  // Same browser, a client of globex: the acme account is unusable there, so the login page comes back.
  const page = await loginPageFor('globex', browser);
  expect(page.status).toBe(200);
  expect(page.html).toContain('Sign in to Tenant globex');
  const { callback, verifier, state } = await signIn('globex', users.globex!, browser);
  const tokens = await oidc.authorizationCodeGrant(rps.globex!, callback, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.claims()).toMatchObject({ sub: users.globex!.id, tenant_id: 'globex' });
  // Signing the other account in logged the acme one out: its session and tokens are over.
  expect(await oidc.tokenIntrospection(rps.acme!, acmeTokens.access_token)).toEqual({ active: false });
  await expect(oidc.refreshTokenGrant(rps.acme!, acmeTokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
});

it('a disabled user cannot sign in, refresh, or use userinfo', async () => {
  const { callback, verifier, state } = await signIn('initech', users.initech!);
  const tokens = await oidc.authorizationCodeGrant(rps.initech!, callback, { pkceCodeVerifier: verifier, expectedState: state });
  await setUserStatus(server.ctx, 'initech', users.initech!.id, 'disabled', ACTOR);
  await expect(oidc.refreshTokenGrant(rps.initech!, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  await expect(oidc.fetchUserInfo(rps.initech!, tokens.access_token, users.initech!.id)).rejects.toThrow();
  await expect(signIn('initech', users.initech!)).rejects.toThrow(/login refused \(401\)/);
  await setUserStatus(server.ctx, 'initech', users.initech!.id, 'active', ACTOR);
});

it("a suspended tenant's clients and users get nothing", async () => {
  const { callback, verifier, state } = await signIn('globex', users.globex!);
  const tokens = await oidc.authorizationCodeGrant(rps.globex!, callback, { pkceCodeVerifier: verifier, expectedState: state });
  await setTenantStatus(server.ctx, 'globex', 'suspended', ACTOR);
  try {
    await expect(oidc.refreshTokenGrant(rps.globex!, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(oidc.clientCredentialsGrant(rps.globex!)).rejects.toMatchObject({ error: 'invalid_client' });
    const page = await loginPageFor('globex', new FormBrowser());
    expect(page.status).toBe(400);
    expect(page.html).toContain('not registered with this sign-in service');
  } finally {
    await setTenantStatus(server.ctx, 'globex', 'active', ACTOR);
  }
});
