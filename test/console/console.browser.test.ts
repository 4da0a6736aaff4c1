// The admin console in a real browser (Chromium): PKCE sign-in through the login pages with MFA, users, clients with
// secrets that really work at /oauth2/token, sessions whose refresh tokens die, permissions and tenant isolation,
// axe-core on every page, and screenshots at desktop and 390 px width (written to the git-ignored screenshots/).
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, authApi } from '../helpers/http.ts';
import { totp } from '../helpers/totp.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { activateEnrolment, beginEnrolment } from '../../src/services/mfa.ts';

const PASSWORD = 'correct horse battery';
const SHOTS = join(process.cwd(), 'screenshots', 'console');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

describeInBrowser('admin console in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  /** Ada's second factor: a TOTP code once (a code cannot be replayed within its step), then her backup codes. */
  let adaCodes: Array<() => Promise<string>>;
  const adaCode = () => (adaCodes.shift() as () => Promise<string>)();
  const auth = authApi(() => server.url);
  const admin = adminApi(() => server.url);
  /** Content-Security-Policy reports and page errors: any of them fails the test that caused it. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    for (const tenant of ['acme', 'beta', 'platform']) await makeTenant(server.ctx, tenant);
    const ada = await makeUser(server.ctx, 'acme', 'ada@acme.test', PASSWORD, ['admin']);
    const { secret } = await beginEnrolment(server.ctx, 'acme', ada.id, {});
    const backupCodes = await activateEnrolment(server.ctx, 'acme', ada.id, await totp(secret), {});
    adaCodes = [() => totp(secret, 1), ...backupCodes.map((code) => async () => code)];
    await makeUser(server.ctx, 'acme', 'mo@acme.test', PASSWORD, ['member']);
    await makeUser(server.ctx, 'beta', 'bea@beta.test', PASSWORD, ['admin']);
    await makeUser(server.ctx, 'platform', 'op@platform.test', PASSWORD, ['admin']);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  afterEach(() => {
    expect(problems).toEqual([]);
    problems.length = 0;
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    return page;
  }

  /** Signs in through the console's sign-in screen and the tenant's login pages; `mfaCode` answers the second step. */
  async function signIn(page: Page, tenant: string, email: string, mfaCode?: () => Promise<string>) {
    await page.goto(`${server.url}/admin/`);
    await page.getByLabel('Tenant').fill(tenant);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/interaction\//);
    await page.fill('input[name=usernameOrEmail]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    if (mfaCode) {
      await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
      await page.fill('input[name=code]', await mfaCode());
      await page.click('button[type=submit]');
    }
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/');
  }

  /** Opens a console page, checks it with axe-core and photographs it at both widths. */
  async function visit(page: Page, hash: string, heading: string | RegExp, shot: string) {
    await page.goto(`${server.url}/admin/${hash}`);
    await page.locator(`main[data-rendered="${hash}"]`).waitFor();
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    await expectAccessible(page);
    await photograph(page, shot);
  }

  async function expectAccessible(page: Page) {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected <script> would be refused).
    if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }
      ).axe;
      const result = await axe.run();
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  }

  async function photograph(page: Page, name: string) {
    await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
    const overflow = await page.evaluate(() => {
      const { documentElement: root } = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);
  }

  const accessTokenOf = (page: Page) =>
    page.evaluate(() => (JSON.parse(sessionStorage.getItem('gh.console.tokens') ?? '{}') as { accessToken?: string }).accessToken ?? '');

  it('serves the shell with a strict CSP, no framing and no inline script', async () => {
    const res = await fetch(`${server.url}/admin/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style|style="/);
    expect((await fetch(`${server.url}/admin/assets/..%2Fconsole%2Findex.html`)).status).toBe(404);
    const unknown = await fetch(`${server.url}/admin/config?tenant=nope`);
    expect(unknown.status).toBe(404);
  });

  it('signs an admin in with PKCE and a TOTP code, shows the pages their permissions allow, passes axe', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/admin/`);
    await expectAccessible(page);
    await photograph(page, 'sign-in');
    await signIn(page, 'acme', 'ada@acme.test', adaCode);
    const nav = page.getByRole('navigation', { name: 'Console' });
    for (const name of ['Users', 'Clients', 'Roles', 'Audit log']) await nav.getByRole('link', { name }).waitFor();
    // Platform pages need an operator of the platform tenant.
    expect(await nav.getByRole('link', { name: 'Tenants' }).count()).toBe(0);
    const client = await server.ctx.db('clients').where({ client_id: 'acme_console' }).first();
    expect(client).toMatchObject({ tenant_id: 'acme', first_party: true, secret_hash: null });
    await visit(page, '#/', 'Overview', 'overview');
    await visit(page, '#/roles', 'Roles', 'roles');
    // Built-ins are read-only; a custom role is created, then deleted.
    await page.locator('details').filter({ hasText: 'admin' }).first().locator('summary').click();
    expect(await page.locator('details').filter({ hasText: 'built in' }).getByRole('button').count()).toBe(0);
    await page.getByLabel('Name').fill('support');
    await page.getByLabel('Description').last().fill('Reads users');
    await page.locator('form').last().getByLabel('users:read').check();
    await page.getByRole('button', { name: 'Create role' }).click();
    const support = page.locator('details').filter({ hasText: 'Reads users' });
    await support.waitFor();
    expect(await server.ctx.db('roles').where({ tenant_id: 'acme', name: 'support' }).first()).toBeDefined();
    await support.locator('summary').click();
    await support.getByRole('button', { name: 'Delete role' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete role' }).click();
    await support.waitFor({ state: 'detached' });
    await visit(page, '#/audit', 'Audit log', 'audit');
    const event = page.locator('details').filter({ hasText: 'signin.succeeded' }).first();
    await event.locator('summary').click();
    await event.getByText('Request id').waitFor();
    await page.context().close();
  }, 120_000);

  it('creates a user who can then sign in; locks and unlocks them; ends a session whose refresh token then fails', async () => {
    const page = await newPage();
    await signIn(page, 'acme', 'ada@acme.test', adaCode);
    await visit(page, '#/users/new', 'Create user', 'user-new');
    await page.getByLabel('Email', { exact: true }).fill('newbie@acme.test');
    await page.getByLabel('Initial password').fill('a fresh passphrase');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'newbie@acme.test', level: 1 }).waitFor();

    const signedIn = await auth('POST', '/login', {
      tenant: 'acme',
      body: { usernameOrEmail: 'newbie@acme.test', password: 'a fresh passphrase' },
    });
    expect(signedIn.status).toBe(200);

    // Five wrong passwords lock the account (the tenant's lockout policy); the admin sees it and lifts it.
    for (let i = 0; i < 5; i += 1) {
      await auth('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'newbie@acme.test', password: 'wrong wrong wrong' } });
    }
    const locked = await auth('POST', '/login', {
      tenant: 'acme',
      body: { usernameOrEmail: 'newbie@acme.test', password: 'a fresh passphrase' },
    });
    expect(locked.status).toBe(401);
    await page.reload();
    await page.getByText(/locked until/).waitFor();
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByText('The user is unlocked.').waitFor();
    expect(await page.getByText(/locked until/).count()).toBe(0);
    const again = await auth('POST', '/login', {
      tenant: 'acme',
      body: { usernameOrEmail: 'newbie@acme.test', password: 'a fresh passphrase' },
    });
    expect(again.status).toBe(200);

    // Two live sessions: end the first one from the console; its refresh token dies, the other's still works.
    await page.reload();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await photograph(page, 'user');
    await expectAccessible(page);
    const first = String(signedIn.body.data.sessionId);
    const row = page.getByRole('row').filter({ hasText: first.slice(0, 8) });
    await row.getByRole('button', { name: 'End' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End session' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await auth('POST', '/refresh', { body: { refreshToken: signedIn.body.data.refreshToken } })).status).toBe(401);
    expect((await auth('POST', '/refresh', { body: { refreshToken: again.body.data.refreshToken } })).status).toBe(200);

    // Invited instead: no password is typed; the person gets the tenant's password mail.
    await visit(page, '#/users/new', 'Create user', 'user-invite');
    await page.getByLabel('Email', { exact: true }).fill('invited@acme.test');
    await page.getByLabel(/Invite by mail/).check();
    expect(await page.getByLabel('Initial password').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'invited@acme.test', level: 1 }).waitFor();
    const mail = await server.ctx.db('mail_outbox').where({ tenant_id: 'acme', to_address: 'invited@acme.test' }).first();
    expect(mail).toMatchObject({ kind: 'password_reset' });

    await visit(page, '#/users?search=newbie', 'Users', 'users');
    expect(await page.getByRole('link', { name: 'newbie@acme.test' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'ada@acme.test' }).count()).toBe(0);
    await page.context().close();
  }, 120_000);

  it('registers a confidential client whose secret works once shown, rotates it and the old one fails', async () => {
    const page = await newPage();
    await signIn(page, 'acme', 'ada@acme.test', adaCode);
    await visit(page, '#/clients', 'Clients', 'clients');
    await page.getByRole('link', { name: 'Register a client' }).click();
    await page.getByRole('heading', { name: 'Register a client', level: 1 }).waitFor();
    await page.getByLabel('Machine to machine').check();
    await page.getByLabel('Name').fill('Nightly <b>sync</b>');
    await expectAccessible(page);
    await photograph(page, 'client-new');
    await page.getByRole('button', { name: 'Register client' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Client registered' }).waitFor();
    await expectAccessible(page);
    const secret = ((await dialog.locator('code').textContent()) ?? '').trim();
    await dialog.getByRole('button', { name: 'Copy' }).click();
    await dialog.getByText('Copied to the clipboard.').waitFor();
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText(),
      ),
    ).toBe(secret);
    await dialog.getByRole('button', { name: 'I have saved it' }).click();
    // Escaped, not parsed: the name shows its angle brackets as text.
    await page.getByRole('heading', { name: 'Nightly <b>sync</b>', level: 1 }).waitFor();
    // Shown once: the secret is nowhere on the page or in the tab's storage any more.
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain(secret);
    const clientId = ((await page.locator('dd .mono').first().textContent()) ?? '').trim();

    const token = (s: string) =>
      fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${clientId}:${s}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
    expect((await token(secret)).status).toBe(200);

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    const rotated = page.getByRole('dialog').filter({ hasText: 'New client secret' });
    await rotated.waitFor();
    const newSecret = ((await rotated.locator('code').textContent()) ?? '').trim();
    await rotated.getByRole('button', { name: 'I have saved it' }).click();
    expect(newSecret).not.toBe(secret);
    expect((await token(secret)).status).toBe(401);
    expect((await token(newSecret)).status).toBe(200);
    await photograph(page, 'client');

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: /^Edit /, level: 1 }).waitFor();
    await page.getByLabel('Name').fill('Nightly sync');
    await page.getByLabel('ID token signature').selectOption('EdDSA');
    await page.getByLabel('DPoP-bound tokens only', { exact: false }).check();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Nightly sync', level: 1, exact: true }).waitFor();
    await page
      .getByRole('definition')
      .filter({ hasText: /^EdDSA$/ })
      .waitFor();
    // From now on the client gets DPoP-bound tokens only: a request without a proof is refused.
    expect((await token(newSecret)).status).toBe(400);

    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete client' }).click();
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    expect((await token(newSecret)).status).toBe(401);
    await page.context().close();
  }, 120_000);

  it('registers a device client with a back-channel logout URI, then removes the URI', async () => {
    const page = await newPage();
    await signIn(page, 'beta', 'bea@beta.test');
    await visit(page, '#/clients/new', 'Register a client', 'client-new-device');
    await page.getByLabel('TV or command-line tool').check();
    expect(await page.getByLabel('Device code: people sign in on another screen (TVs, command-line tools)').isChecked()).toBe(true);
    expect(await page.getByLabel('Public: no secret, PKCE required (browsers, apps)').isChecked()).toBe(true);
    await page.getByLabel('Name').fill('Lobby screen');
    await page.getByLabel('Back-channel logout URI').fill('https://lobby.beta.test/backchannel-logout');
    await page.getByLabel('Logout and ID tokens carry the session id (sid)').check();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Register client' }).click();
    await page.getByRole('heading', { name: 'Lobby screen', exact: true, level: 1 }).waitFor();
    await page.getByText('https://lobby.beta.test/backchannel-logout (with sid)').waitFor();
    const clientId = ((await page.locator('dd .mono').first().textContent()) ?? '').trim();
    const stored = await admin('GET', `/clients/${clientId}`, { token: await accessTokenOf(page) });
    expect(stored.body.data.client).toMatchObject({
      public: true,
      grantTypes: ['refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      backchannelLogoutUri: 'https://lobby.beta.test/backchannel-logout',
      backchannelLogoutSessionRequired: true,
    });

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: /^Edit /, level: 1 }).waitFor();
    await page.getByLabel('Back-channel logout URI').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Lobby screen', exact: true, level: 1 }).waitFor();
    const changed = await admin('GET', `/clients/${clientId}`, { token: await accessTokenOf(page) });
    expect(changed.body.data.client.backchannelLogoutUri).toBeNull();
    await page.context().close();
  }, 120_000);

  it('a member sees no admin pages, and the API answers their token with 403', async () => {
    const page = await newPage();
    await signIn(page, 'acme', 'mo@acme.test');
    await page.getByText('Your roles give you no administrative rights').waitFor();
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview']);
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('heading', { name: 'Not available', level: 1 }).waitFor();
    const res = await admin('GET', '/users', { token: await accessTokenOf(page) });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');
    await page.context().close();
  }, 120_000);

  it("a tenant admin cannot see another tenant's data, from the console or with its token", async () => {
    const page = await newPage();
    await signIn(page, 'beta', 'bea@beta.test');
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    expect(await page.getByText('acme.test').count()).toBe(0);
    // No tenant switcher for a tenant admin; a forged switch in storage falls back to the own tenant.
    expect(await page.getByLabel('Tenant', { exact: true }).count()).toBe(0);
    await page.evaluate(() => sessionStorage.setItem('gh.console.target', 'acme'));
    await page.reload();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    expect(await page.getByText('acme.test').count()).toBe(0);
    const res = await admin('GET', '/users', { token: await accessTokenOf(page), tenant: 'acme' });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].code).toBe('TENANT_ACCESS_DENIED');
    await page.context().close();
  }, 120_000);

  it('refreshes an access token about to expire before the next call, rotating the refresh token', async () => {
    const page = await newPage();
    await signIn(page, 'beta', 'bea@beta.test');
    type Stored = { accessToken: string; refreshToken: string; expiresAt: number };
    const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('gh.console.tokens') ?? '{}') as Stored);
    // As if fifteen minutes had passed: the console must refresh before it calls the API again.
    await page.evaluate(() => {
      const stored = JSON.parse(sessionStorage.getItem('gh.console.tokens') ?? '{}') as Stored;
      sessionStorage.setItem('gh.console.tokens', JSON.stringify({ ...stored, expiresAt: Date.now() }));
    });
    await visit(page, '#/clients', 'Clients', 'clients-beta');
    const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('gh.console.tokens') ?? '{}') as Stored);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now() + 60_000);
    expect((await admin('GET', '/me/permissions', { token: after.accessToken })).status).toBe(200);
    await page.context().close();
  }, 120_000);

  it('a platform operator switches tenant and sees tenants, settings and IP blocks', async () => {
    const page = await newPage();
    await signIn(page, 'platform', 'op@platform.test');
    await visit(page, '#/tenants', 'Tenants', 'tenants');
    await page.getByRole('row').filter({ hasText: 'beta' }).getByRole('button', { name: 'Suspend' }).waitFor();
    await visit(page, '#/ip-blocks', 'IP blocks', 'ip-blocks');
    await page.getByLabel('Tenant', { exact: true }).fill('acme');
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await visit(page, '#/settings', 'Settings of Tenant acme', 'settings');
    await page.getByLabel('Session limit').fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Request id' }).waitFor();
    await visit(page, '#/users', 'Users', 'users-as-operator');
    await page.getByRole('link', { name: 'ada@acme.test' }).waitFor();
    await page.context().close();
  }, 120_000);

  it('signs the console out when its session is ended elsewhere, and signs out for real', async () => {
    const page = await newPage();
    await signIn(page, 'acme', 'ada@acme.test', adaCode);
    const ada = await server.ctx.db('users').where({ tenant_id: 'acme', email: 'ada@acme.test' }).first();
    const sessionId = await page.evaluate(async () => {
      const { accessToken } = JSON.parse(sessionStorage.getItem('gh.console.tokens') ?? '{}') as { accessToken: string };
      const res = await fetch('/api/v1/auth/me', { headers: { Authorization: `Bearer ${accessToken}` } });
      return ((await res.json()) as { data: { sessionId: string } }).data.sessionId;
    });
    // Another admin (here: the API with a second session of Ada) ends the console's session.
    const other = await auth('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ada@acme.test', password: PASSWORD } });
    expect(other.status).toBe(401); // Ada has MFA: the JSON login asks for the code first
    const verified = await auth('POST', '/mfa/verify', { body: { mfaToken: other.body.mfaToken, code: await adaCode() } });
    const ended = await admin('DELETE', `/users/${ada.id}/sessions/${sessionId}`, { token: verified.body.data.accessToken });
    expect(ended.status).toBe(200);
    await page.goto(`${server.url}/admin/#/users`);
    await page.getByText('Your session has ended').waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    await signIn(page, 'acme', 'ada@acme.test', adaCode);
    const refreshToken = await page.evaluate(
      () => (JSON.parse(sessionStorage.getItem('gh.console.tokens') ?? '{}') as { refreshToken: string }).refreshToken,
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/oauth2\/logout/);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/admin/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const refused = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'acme_console' }),
    });
    expect(refused.status).toBe(400);
    await page.context().close();
  }, 120_000);
});
