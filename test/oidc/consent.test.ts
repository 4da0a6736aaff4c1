// Consent belongs to the person and the client, not to one browser session: a third-party client the person has
// already allowed is not asked about again after a new sign-in (prompt=login), and prompt=none keeps working.
import * as oidc from 'openid-client';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp, signInThroughPages, submitLogin } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
let server: TestServer;
let rp: oidc.Configuration;
let ann: { email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  ann = await makeUser(server.ctx, 'acme', 'ann@acme.test');
  const { client, clientSecret } = await makeClient(server.ctx, { tenantId: 'acme', name: 'Partner App', redirectUris: [REDIRECT_URI] });
  rp = await discoverRp(server.url, client.clientId, clientSecret);
});
afterAll(() => server.stop());

async function authorize(extra: Record<string, string>) {
  const verifier = oidc.randomPKCECodeVerifier();
  return oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
    ...extra,
  }).href;
}

it('does not ask again after prompt=login for scopes the person already allowed, and prompt=none then works', async () => {
  const first = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: ann.email,
    password: ann.password,
    scope: 'openid email',
  });
  const { browser } = first;

  const start = await browser.follow(await authorize({ prompt: 'login' }), server.url);
  const loginPage = await start.res.text();
  expect(loginPage).toContain('name="usernameOrEmail"');
  const posted = await submitLogin(browser, server.url, loginPage, ann.email, ann.password);
  expect(posted.status).toBe(303);
  const after = await browser.follow(new URL(posted.headers.get('location') as string, server.url).href, server.url);
  // OIDC Core §3.1.2.4: consent already given need not be asked again.
  expect(after.url.startsWith(REDIRECT_URI)).toBe(true);
  expect(new URL(after.url).searchParams.get('code')).toBeTruthy();

  const silent = await browser.follow(await authorize({ prompt: 'none' }), server.url);
  expect(silent.url.startsWith(REDIRECT_URI)).toBe(true);
  expect(new URL(silent.url).searchParams.get('error')).toBeNull();
  expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
});

it('asks again when the client wants a scope the person has not allowed yet', async () => {
  const { browser } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: ann.email,
    password: ann.password,
    scope: 'openid',
  });
  const more = await browser.follow(await authorize({ scope: 'openid profile' }), server.url);
  expect(more.res.status).toBe(200);
  expect(await more.res.text()).toContain('See your username');
});
