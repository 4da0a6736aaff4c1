// The authorization code flow with PKCE in Chromium for a relying party on another origin (another loopback port):
// the app starts the flow, the person signs in (with and without a second factor, with and without consent), and
// the app receives the code at its registered redirect_uri and redeems it at /oauth2/token. Chromium applies the
// login pages' form-action to every redirect after a form post, so this fails unless the policy lets the chain end
// at the client's origin.
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { OtherOriginApp, type AppAnswer } from '../helpers/other-origin-app.ts';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp } from '../helpers/oidc-flow.ts';
import { totp } from '../helpers/totp.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { activateEnrolment, beginEnrolment } from '../../src/services/mfa.ts';

const PASSWORD = 'correct horse battery';

interface Redeemed {
  sub: string;
  amr: unknown;
  accessToken: string;
}

/** A relying party on its own origin: /start/:name begins the flow, /callback redeems the code at the token endpoint. */
class RelyingPartyApp extends OtherOriginApp {
  readonly rps = new Map<string, oidc.Configuration>();
  readonly pending = new Map<string, { rp: string; verifier: string }>();
  readonly redeemed: Redeemed[] = [];

  protected async handle(url: URL): Promise<AppAnswer> {
    const start = /^\/start\/([a-z-]+)$/.exec(url.pathname);
    if (start?.[1]) {
      const rp = this.rps.get(start[1]) as oidc.Configuration;
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      this.pending.set(state, { rp: start[1], verifier });
      const location = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: this.redirectUri,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }).href;
      return { status: 302, location };
    }
    if (url.pathname === '/callback') {
      const flow = this.pending.get(url.searchParams.get('state') ?? '');
      if (!flow) throw new Error(`unknown state in ${url.search}`);
      const tokens = await oidc.authorizationCodeGrant(this.rps.get(flow.rp) as oidc.Configuration, url, {
        pkceCodeVerifier: flow.verifier,
        expectedState: url.searchParams.get('state') as string,
      });
      const claims = tokens.claims();
      this.redeemed.push({ sub: String(claims?.sub), amr: claims?.amr, accessToken: tokens.access_token });
      return { status: 200, body: `<!doctype html><title>App</title><h1>Welcome back</h1><p id="sub">${claims?.sub}</p>` };
    }
    return { status: 404, body: 'not found' };
  }
}

describeInBrowser('sign-in of a relying party on another origin, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const app = new RelyingPartyApp();
  const users: Record<string, { id: string; email: string; secret?: string }> = {};

  async function withMfa(email: string) {
    const user = await makeUser(server.ctx, 'acme', email, PASSWORD);
    const { secret } = await beginEnrolment(server.ctx, 'acme', user.id, {});
    await activateEnrolment(server.ctx, 'acme', user.id, await totp(secret), {});
    return { id: user.id, email, secret };
  }

  beforeAll(async () => {
    server = await startTestServer();
    await app.listen();
    await makeTenant(server.ctx, 'acme');
    for (const [name, firstParty] of [
      ['third-party', false],
      ['first-party', true],
    ] as const) {
      const { client, clientSecret } = await makeClient(server.ctx, {
        tenantId: 'acme',
        name: `${name} app`,
        redirectUris: [app.redirectUri],
        firstParty,
      });
      app.rps.set(name, await discoverRp(server.url, client.clientId, clientSecret));
    }
    for (const name of ['ann', 'bob']) {
      const user = await makeUser(server.ctx, 'acme', `${name}@acme.test`, PASSWORD);
      users[name] = { id: user.id, email: `${name}@acme.test` };
    }
    users.mia = await withMfa('mia@acme.test');
    users.max = await withMfa('max@acme.test');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app.close();
    await server?.stop();
  });

  /** A fresh browser profile; collects what Chromium reports about Content-Security-Policy. */
  async function freshPage(): Promise<{ page: Page; violations: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return { page, violations };
  }

  async function signIn(page: Page, rp: string, user: { email: string; secret?: string }, consent: boolean) {
    const loginPage = await page.goto(`${app.origin}/start/${rp}`);
    expect(loginPage?.url()).toContain(`${server.url}/interaction/`);
    // The form may lead to the client's origin and nowhere else.
    expect(await loginPage?.headerValue('content-security-policy')).toContain(`form-action 'self' ${app.origin};`);
    await page.fill('input[name=usernameOrEmail]', user.email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    if (user.secret) {
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
      // The enrolment used the current step; a code cannot be replayed, so the next step's code signs in.
      await page.fill('input[name=code]', await totp(user.secret, 1));
      await page.click('button[type=submit]');
    }
    if (consent) {
      await page.getByRole('heading', { name: 'third-party app wants to access your account' }).waitFor();
      await page.getByRole('button', { name: 'Allow' }).click();
    }
    await page.waitForURL((url) => url.href.startsWith(app.redirectUri));
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
    return (await page.locator('#sub').textContent())?.trim();
  }

  it.each([
    ['third-party', 'ann', true],
    ['first-party', 'bob', false],
    ['third-party', 'mia', true],
    ['first-party', 'max', false],
  ])(
    '%s client, %s: the app on another origin receives the code and redeems it',
    async (rp, name, consent) => {
      const user = users[name] as { id: string; email: string; secret?: string };
      const { page, violations } = await freshPage();
      const sub = await signIn(page, rp, user, consent);
      expect(sub).toBe(user.id);
      expect(violations).toEqual([]);
      const redeemed = app.redeemed.find((r) => r.sub === user.id);
      expect(redeemed?.amr).toEqual(user.secret ? ['pwd', 'otp'] : ['pwd']);
      // The redeemed access token works at userinfo.
      const userinfo = await fetch(`${server.url}/oauth2/userinfo`, { headers: { Authorization: `Bearer ${redeemed?.accessToken}` } });
      expect(userinfo.status).toBe(200);
      expect(app.failures).toEqual([]);
      await page.context().close();
    },
    60_000,
  );
});
