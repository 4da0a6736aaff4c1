// The account center at /account in a real browser (Chromium) against the real server: TOTP enrolment from the page
// (the secret read from its manual key), sign-in again with a code and with a backup code, new backup codes; another
// session ended from the page and its refresh token refused; a third-party app on another origin granted, then
// disconnected from Connected apps and its refresh token refused at /oauth2/token; a password change that asks to
// re-authenticate; the session limit on the login pages recovered from by ending one session. axe-core checks each
// page at 390 px.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { discoverRp } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = { width: 390, height: 844 };

/** A third-party app on its own origin: /start begins the flow (with offline_access), /callback redeems the code. */
class PartnerApp {
  rp!: oidc.Configuration;
  readonly pending = new Map<string, string>();
  readonly refreshTokens: string[] = [];
  #server: Server | undefined;
  origin = '';

  async listen(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.#handle(new URL(req.url ?? '/', this.origin))
        .then(({ status, location, body }) => {
          res.writeHead(status, location ? { Location: location } : { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(body ?? '');
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`redemption failed: ${err.message}`);
        });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async #handle(url: URL): Promise<{ status: number; location?: string; body?: string }> {
    if (url.pathname === '/start') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      this.pending.set(state, verifier);
      const location = oidc.buildAuthorizationUrl(this.rp, {
        redirect_uri: `${this.origin}/callback`,
        scope: 'openid email offline_access',
        prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }).href;
      return { status: 302, location };
    }
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const tokens = await oidc.authorizationCodeGrant(this.rp, url, { pkceCodeVerifier: this.pending.get(state), expectedState: state });
      if (tokens.refresh_token) this.refreshTokens.push(tokens.refresh_token);
      return { status: 200, body: '<!doctype html><title>Partner</title><h1>Connected to Partner App</h1>' };
    }
    return { status: 404, body: 'not found' };
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** The TOTP code of an absolute 30-second step (RFC 6238). */
const codeAt = (secret: string, step: number) => generate({ secret, epoch: step * 30 });
const currentStep = () => Math.floor(Date.now() / 30_000);

describeInBrowser('account center in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const partner = new PartnerApp();
  const api = authApi(() => server.url);
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    await partner.listen();
    await makeTenant(server.ctx, 'acme');
    await makeTenant(server.ctx, 'tight', { sessionLimit: 2, sessionStrategy: 'reject' });
    for (const email of ['ann@acme.test', 'bob@acme.test', 'cy@acme.test', 'dee@acme.test', 'eli@acme.test'])
      await makeUser(server.ctx, 'acme', email, PASSWORD);
    await makeUser(server.ctx, 'tight', 'tia@tight.test', PASSWORD);
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Partner App',
      redirectUris: [`${partner.origin}/callback`],
    });
    partner.rp = await discoverRp(server.url, client.clientId, clientSecret);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await partner.close();
    await server?.stop();
  });
  afterEach(() => {
    expect(problems).toEqual([]);
    problems.length = 0;
  });

  async function newPage(viewport = { width: 1200, height: 860 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    return page;
  }

  /** Signs in from the account center's sign-in screen through the tenant's login pages. */
  async function signIn(page: Page, tenant: string, email: string, secondFactor?: () => Promise<string> | string, landing = 'Profile') {
    await page.goto(`${server.url}/account/`);
    await page.getByLabel('Organisation').fill(tenant);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await loginPages(page, email, secondFactor);
    await page.getByRole('heading', { name: landing, level: landing === 'Profile' ? 1 : undefined }).waitFor();
  }

  async function loginPages(page: Page, email: string, secondFactor?: () => Promise<string> | string) {
    await page.waitForURL(/\/interaction\//);
    await page.fill('input[name=usernameOrEmail]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    if (secondFactor) {
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
      await page.fill('input[name=code]', await secondFactor());
      await page.click('button[type=submit]');
    }
  }

  async function open(page: Page, hash: string, heading: string) {
    await page.goto(`${server.url}/account/${hash}`);
    await page.locator(`main[data-rendered="${hash}"]`).waitFor();
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  }

  async function signOut(page: Page) {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/oauth2\/logout/);
    await page.click('button[type=submit]');
    await page.getByLabel('Organisation').waitFor();
  }

  async function expectAccessible(page: Page) {
    if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }
      ).axe;
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  }

  /** Moves the sign-in of the token's session ten minutes back, out of the re-authentication window. */
  async function age(accessToken: string) {
    const sid = JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString()).sid as string;
    await server.ctx
      .db('sessions')
      .where({ id: sid })
      .update({ created_at: new Date(Date.now() - 10 * 60_000) });
  }

  const tokensOf = (page: Page) =>
    page.evaluate(() => JSON.parse(sessionStorage.getItem('gh.account.tokens') ?? '{}') as { refreshToken: string; accessToken: string });

  it('enrols TOTP from the page, signs in again with a code and with a backup code, and makes new backup codes', async () => {
    const page = await newPage();
    await signIn(page, 'acme', 'ann@acme.test');
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    expect(await page.locator('dl.props').innerText()).toContain('ann@acme.test');

    await open(page, '#/mfa', 'Two-step verification');
    await page.getByRole('button', { name: 'Set up two-step verification' }).click();
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await page.getByRole('img', { name: 'QR code for your authenticator app' }).getAttribute('src')).toMatch(
      /^data:image\/png;base64,/,
    );
    // Three codes are spent below, each of a later step than the one before (a step is never accepted twice): the
    // previous, current and next steps, all inside the ±1 window, taken away from the end of a step.
    // (At most six seconds: the next step starts by then.)
    while (Date.now() % 30_000 > 24_000) await page.waitForTimeout(250);
    let last = currentStep() - 1;
    /** A code of the step after the last one used, or of the current step if the clock has moved past it. */
    const nextCode = () => {
      last = Math.max(last + 1, currentStep());
      return codeAt(secret, last);
    };
    await page.getByLabel('Code').fill(await codeAt(secret, last));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('#backup-codes li').first().waitFor();
    const codes = (await page.locator('#backup-codes li').allInnerTexts()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('On', { exact: true }).waitFor();
    await page.getByText('10 backup code(s) left.').waitFor();

    await signOut(page);
    await signIn(page, 'acme', 'ann@acme.test', nextCode);
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();
    await signOut(page);
    await signIn(page, 'acme', 'ann@acme.test', () => codes[0] as string);
    await open(page, '#/mfa', 'Two-step verification');
    await page.getByText('9 backup code(s) left.').waitFor();

    await page
      .locator('form')
      .filter({ hasText: 'New backup codes' })
      .getByLabel('Code')
      .fill(await nextCode());
    await page.getByRole('button', { name: 'New backup codes' }).click();
    await page.locator('#backup-codes li').first().waitFor();
    const fresh = (await page.locator('#backup-codes li').allInnerTexts()).map((c) => c.trim());
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(codes[1]);
    // An old backup code no longer signs in; a new one does.
    const challenge = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } });
    expect((await api('POST', '/mfa/verify', { body: { mfaToken: challenge.body.mfaToken, code: codes[1] } })).status).toBe(401);
    const again = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } });
    expect((await api('POST', '/mfa/verify', { body: { mfaToken: again.body.mfaToken, code: fresh[0] } })).status).toBe(200);

    await open(page, '#/activity', 'Security activity');
    await page.getByRole('cell', { name: 'Two-step verification turned on' }).first().waitFor();
    await page.getByRole('cell', { name: 'Backup code used' }).first().waitFor();

    // Turning it off from a sign-in older than five minutes asks for the password and a second factor first.
    await age((await tokensOf(page)).accessToken);
    await open(page, '#/mfa', 'Two-step verification');
    await page.getByLabel('Or your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByLabel('Code').fill(fresh[1] as string);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Two-step verification is off.').waitFor();
    const plain = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } });
    expect(plain.status).toBe(200);
    await page.context().close();
  }, 180_000);

  it('changes the email from the profile: the new address confirms it through the link in its mail', async () => {
    const page = await newPage(PHONE);
    await signIn(page, 'acme', 'eli@acme.test');
    await page.getByLabel('New email address').fill('eli.new@acme.test');
    await page.getByRole('button', { name: 'Change email' }).click();
    await page.getByText('Open the link we sent to the new address').waitFor();
    expect(await page.locator('dl.props').innerText()).toContain('eli@acme.test');
    expect((await server.mail.take('eli@acme.test', 'email_change_notice')).body).toContain('eli.new@acme.test');
    const link = /http\S+\/email\/verify\?\S+/.exec((await server.mail.take('eli.new@acme.test', 'email_change')).body)?.[0] as string;
    await page.goto(link);
    await page.getByRole('button', { name: 'Confirm my email address' }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'Confirm your email address' }).waitFor();
    await open(page, '#/', 'Profile');
    expect(await page.locator('dl.props').innerText()).toContain('eli.new@acme.test');
    await page.getByText('Verified', { exact: true }).waitFor();
    await page.context().close();
  }, 120_000);

  it('ends another session from the page, whose refresh token is then refused', async () => {
    const elsewhere = (await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'bob@acme.test', password: PASSWORD } })).body
      .data;
    const page = await newPage();
    await signIn(page, 'acme', 'bob@acme.test');
    await open(page, '#/sessions', 'Sessions');
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    await page.getByText('This session').waitFor();
    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End', exact: true }).click();
    await page.getByText('The session has ended.').waitFor();
    await expect(rows.count()).resolves.toBe(1);

    const refused = await api('POST', '/refresh', { body: { refreshToken: elsewhere.refreshToken } });
    expect(refused.status).toBe(401);
    expect((await api('GET', '/me', { token: elsewhere.accessToken })).status).toBe(401);
    // This browser's own session lives on.
    const { refreshToken } = await tokensOf(page);
    const own = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'acme_account' }),
    });
    expect(own.status).toBe(200);
    await page.context().close();
  }, 120_000);

  it('disconnects a third-party app from Connected apps, and its refresh token is refused at /oauth2/token', async () => {
    const page = await newPage();
    await page.goto(`${partner.origin}/start`);
    await loginPages(page, 'cy@acme.test');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Connected to Partner App' }).waitFor();
    const refreshToken = partner.refreshTokens.at(-1) as string;
    expect(refreshToken).toBeTruthy();

    await signIn(page, 'acme', 'cy@acme.test');
    await open(page, '#/apps', 'Connected apps');
    await page.getByRole('cell', { name: 'Partner App' }).waitFor();
    expect(await page.locator('tbody tr').innerText()).toContain('offline_access');
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
    await page.getByText('Partner App is disconnected.').waitFor();
    await page.getByText('You have not connected any app.').waitFor();

    const refused = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: partner.rp.clientMetadata().client_id,
        client_secret: partner.rp.clientMetadata().client_secret as string,
      }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'invalid_grant', error_description: 'Refresh token is invalid or expired' });
    await page.context().close();
  }, 120_000);

  it('asks for the password again before a password change from an older sign-in, and shows the rules as one types', async () => {
    const other = (await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'dee@acme.test', password: PASSWORD } })).body
      .data;
    const page = await newPage(PHONE);
    await signIn(page, 'acme', 'dee@acme.test');
    await open(page, '#/password', 'Password');
    await expectAccessible(page);
    const rules = page.locator('#password-rules');
    await page.getByLabel('New password', { exact: true }).fill('short');
    expect(await rules.innerText()).toMatch(/at least 8 characters: not yet/);
    await page.getByLabel('New password', { exact: true }).fill('a much longer passphrase');
    expect(await rules.innerText()).toMatch(/at least 8 characters: done/);
    expect(await rules.innerText()).toMatch(/both entries match: not yet/);
    await page.getByLabel('New password again').fill('a much longer passphrase');
    expect(await rules.innerText()).toMatch(/both entries match: done/);

    // The sign-in of this browser is now ten minutes old: the change needs the password again.
    await age((await tokensOf(page)).accessToken);
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByText('The password is not right.').waitFor();
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Your password was changed and 1 other session(s) ended.').waitFor();
    expect((await api('POST', '/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(401);
    const signedIn = await api('POST', '/login', {
      tenant: 'acme',
      body: { usernameOrEmail: 'dee@acme.test', password: 'a much longer passphrase' },
    });
    expect(signedIn.status).toBe(200);

    for (const [hash, heading] of [
      ['#/', 'Profile'],
      ['#/mfa', 'Two-step verification'],
      ['#/sessions', 'Sessions'],
      ['#/apps', 'Connected apps'],
      ['#/activity', 'Security activity'],
    ] as const) {
      await open(page, hash, heading);
      await expectAccessible(page);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    }
    await page.context().close();
  }, 180_000);

  it('recovers from the session limit on the login pages by ending one chosen session', async () => {
    const first = (await api('POST', '/login', { tenant: 'tight', body: { usernameOrEmail: 'tia@tight.test', password: PASSWORD } })).body
      .data;
    const second = (await api('POST', '/login', { tenant: 'tight', body: { usernameOrEmail: 'tia@tight.test', password: PASSWORD } })).body
      .data;
    const page = await newPage(PHONE);
    await signIn(page, 'tight', 'tia@tight.test', undefined, 'You are signed in on too many devices');
    await expectAccessible(page);
    const rows = page.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(2);
    // The oldest is listed first; the person ends the newer one instead.
    await rows
      .nth(1)
      .getByRole('button', { name: /Sign out of/ })
      .click();
    await page.getByRole('heading', { name: 'Profile', level: 1 }).waitFor();

    expect((await api('POST', '/refresh', { body: { refreshToken: second.refreshToken } })).status).toBe(401);
    expect((await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } })).status).toBe(200);
    await open(page, '#/sessions', 'Sessions');
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    await page.context().close();
  }, 120_000);
});
