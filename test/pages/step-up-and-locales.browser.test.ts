// In Chromium, for a relying party on another origin: acr_values step-up (a person with TOTP, already signed in, is
// asked for a second factor again when the client asks for the MFA class, and the ID token says so), max_age and
// prompt=consent forcing their pages within a live session, login_hint prefilling the form, and ui_locales choosing
// the language of the pages.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp } from '../helpers/oidc-flow.ts';
import { totp } from '../helpers/totp.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { activateEnrolment, beginEnrolment } from '../../src/services/mfa.ts';

const PASSWORD = 'correct horse battery';
const MFA_ACR = 'urn:gatehouse:loa:mfa';

describeInBrowser('step-up, prompts and languages of the sign-in pages, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let app: Server;
  let appOrigin = '';
  let firstParty: oidc.Configuration;
  let thirdParty: oidc.Configuration;
  let mia: { id: string; email: string; secret: string };
  /**
   * A TOTP code is accepted once and only near its time step, so the first sign-in uses the next step's code and the
   * later ones each use one of the backup codes, which the same code field accepts.
   */
  let backupCodes: string[] = [];
  let totpUsed = false;

  beforeAll(async () => {
    server = await startTestServer();
    // The relying party's origin: its callback page only shows that the browser arrived.
    app = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>App</title><h1>Back at the app</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    await makeTenant(server.ctx, 'acme');
    const user = await makeUser(server.ctx, 'acme', 'mia@acme.test', PASSWORD);
    const { secret } = await beginEnrolment(server.ctx, 'acme', user.id, {});
    backupCodes = await activateEnrolment(server.ctx, 'acme', user.id, await totp(secret), {});
    mia = { id: user.id, email: user.email, secret };
    for (const [name, isFirstParty] of [
      ['first', true],
      ['third', false],
    ] as const) {
      const { client, clientSecret } = await makeClient(server.ctx, {
        tenantId: 'acme',
        name: `${name}-party app`,
        redirectUris: [`${appOrigin}/callback`],
        firstParty: isFirstParty,
      });
      const rp = await discoverRp(server.url, client.clientId, clientSecret);
      if (isFirstParty) firstParty = rp;
      else thirdParty = rp;
    }
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => app?.close(resolve));
    await server?.stop();
  });

  /** Starts a code flow in the page; returns what the app needs to redeem the code later. */
  async function start(page: Page, rp: oidc.Configuration, extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: `${appOrigin}/callback`,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    await page.goto(url.href);
    return { verifier, state };
  }

  /** Waits for the app's callback and redeems the code; returns the ID token's claims. */
  async function redeem(page: Page, rp: oidc.Configuration, flow: { verifier: string; state: string }) {
    await page.getByRole('heading', { name: 'Back at the app' }).waitFor();
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    return tokens.claims() as oidc.IDToken;
  }

  async function password(page: Page, submit = 'Sign in') {
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: submit }).click();
  }

  async function code(page: Page, heading = 'Two-step verification', submit = 'Verify') {
    await page.getByRole('heading', { name: heading }).waitFor();
    const next = totpUsed ? backupCodes.shift() : await totp(mia.secret, 1);
    totpUsed = true;
    await page.fill('input[name=code]', next as string);
    await page.getByRole('button', { name: submit }).click();
  }

  describe('one browser, one person signed in with both factors', () => {
    let context: BrowserContext;
    let page: Page;
    let first: oidc.IDToken;

    beforeAll(async () => {
      context = await browser.newContext();
      page = await context.newPage();
      const flow = await start(page, firstParty, { login_hint: mia.email });
      // login_hint prefills the form.
      expect(await page.inputValue('input[name=usernameOrEmail]')).toBe(mia.email);
      await password(page);
      await code(page);
      first = await redeem(page, firstParty, flow);
    }, 60_000);
    afterAll(() => context?.close());

    it('signs in with password and TOTP: the MFA class and both methods in the ID token', () => {
      expect(first).toMatchObject({ sub: mia.id, acr: MFA_ACR, amr: ['pwd', 'otp'] });
    });

    it('signs in again without any page while the session lives (no acr_values)', async () => {
      const flow = await start(page, firstParty);
      expect((await redeem(page, firstParty, flow)).sub).toBe(mia.id);
    });

    it('asks for the second factor again when the client asks for the MFA class, even though the session has one', async () => {
      const flow = await start(page, firstParty, { acr_values: MFA_ACR });
      // The sign-in page comes back (the browser is not let through) and then the code is asked for.
      await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();
      await page.fill('input[name=usernameOrEmail]', mia.email);
      await password(page);
      await code(page);
      const stepped = await redeem(page, firstParty, flow);
      expect(stepped).toMatchObject({ sub: mia.id, acr: MFA_ACR, amr: ['pwd', 'otp'] });
      expect(stepped.auth_time as number).toBeGreaterThanOrEqual(first.auth_time as number);
    });

    it('refuses prompt=none with the MFA class: the step-up needs the person', async () => {
      await start(page, firstParty, { acr_values: MFA_ACR, prompt: 'none' });
      await page.getByRole('heading', { name: 'Back at the app' }).waitFor();
      expect(new URL(page.url()).searchParams.get('error')).toBe('interaction_required');
    });

    it('asks for the sign-in again with max_age=0', async () => {
      const flow = await start(page, firstParty, { max_age: '0' });
      await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();
      await page.fill('input[name=usernameOrEmail]', mia.email);
      await password(page);
      await code(page);
      expect((await redeem(page, firstParty, flow)).sub).toBe(mia.id);
    });

    it('shows the consent page with prompt=consent to a third-party client already allowed', async () => {
      const allow = async () => {
        await page.getByRole('heading', { name: 'third-party app wants to access your account' }).waitFor();
        await page.getByRole('button', { name: 'Allow' }).click();
      };
      const flow = await start(page, thirdParty);
      await allow();
      await redeem(page, thirdParty, flow);
      const again = await start(page, thirdParty, { prompt: 'consent' });
      await allow();
      expect((await redeem(page, thirdParty, again)).sub).toBe(mia.id);
    });
  });

  it('shows the pages in the first language of ui_locales that exists, with its lang attribute', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const flow = await start(page, firstParty, { ui_locales: 'de-DE fr-CA en' });
    await page.getByRole('heading', { name: 'Se connecter à Tenant acme' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await page.fill('input[name=usernameOrEmail]', mia.email);
    await page.fill('input[name=password]', 'not the password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').filter({ hasText: 'L’e-mail, le nom d’utilisateur ou le mot de passe n’est pas correct' }).waitFor();
    await password(page, 'Se connecter');
    await code(page, 'Vérification en deux étapes', 'Vérifier');
    expect((await redeem(page, firstParty, flow)).sub).toBe(mia.id);
    await context.close();
  }, 60_000);

  it('falls back to English, lang="en", for languages it has no texts for', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await start(page, firstParty, { ui_locales: 'ja' });
    await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await context.close();
  });
});
