// The self-service pages (docs/api.md, "Self-service pages"): from the login page through the mailed reset link to a
// new password that signs in, in Chromium; and over plain HTTP the answers an attacker or a late visitor gets.
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeFirstPartyRp, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authorizeUrl } from '../helpers/oidc-flow.ts';
import { signedInUser } from '../helpers/admin.ts';
import { adminApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';
const linkIn = (body: string, path = '/password/reset') => new RegExp(`(http\\S+${path}\\?\\S+)`).exec(body)?.[1] as string;

describeInBrowser('self-service pages', () => {
  let server: TestServer;
  let browser: Browser;
  let redirectUri: string;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    redirectUri = `${server.url}/health/live`;
    await makeTenant(server.ctx, 'acme');
    await makeTenant(server.ctx, 'globex');
    rp = await makeFirstPartyRp(server.ctx, server.url, 'acme', redirectUri, 'acme CRM');
    await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD);
    await makeUser(server.ctx, 'acme', 'bob@acme.test', PASSWORD);
    await makeUser(server.ctx, 'globex', 'gil@globex.test', PASSWORD);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A page's form as a browser would fetch it: its cookies and CSRF token. */
  async function openForm(path: string): Promise<{ cookie: string; csrf: string; html: string; res: Response }> {
    const res = await fetch(`${server.url}${path}`);
    const html = await res.text();
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '', html, res };
  }

  function post(path: string, cookie: string, fields: Record<string, string>): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, accept: 'text/html' },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });
  }

  it('goes from the login page through the mailed link to a new password that signs in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await page.goto(await authorizeUrl({ rp, redirectUri }, verifier, state));
    await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();

    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Email').fill('ann@acme.test');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const mail = await server.mail.take('ann@acme.test', 'password_reset');
    const link = linkIn(mail.body);
    expect(link.startsWith(`${server.url}/password/reset?`)).toBe(true);
    const response = await page.goto(link);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(await page.locator('#rules').textContent()).toContain('at least 8 characters');
    // The rules are ticked off as the person types (our own external script: the page's CSP allows no inline one).
    const live = page.locator('#rules-live');
    await live.getByText('at least 8 characters: not yet').waitFor();
    await page.getByLabel('New password').fill('short');
    await live.getByText('at least 8 characters: not yet').waitFor();
    await page.getByLabel('New password').fill('a brand new passphrase');
    await live.getByText('at least 8 characters: done').waitFor();
    await live.getByText(/no more than 72 bytes.*: done/).waitFor();
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('heading', { name: 'Your password is changed' }).waitFor();

    // Back to the sign-in that was started, and in with the new password.
    await page.getByRole('link', { name: 'Continue to sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();
    await page.fill('input[name=usernameOrEmail]', 'ann@acme.test');
    await page.fill('input[name=password]', 'a brand new passphrase');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.click('button[type=submit]')]);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ tenant_id: 'acme', amr: ['pwd'] });
    await context.close();
  }, 90_000);

  it('answers an unknown address with the same page, and mails nobody', async () => {
    const known = await openForm('/password/forgot?tenant=acme');
    const knownRes = await post('/password/forgot', known.cookie, { csrf: known.csrf, tenant: 'acme', email: 'bob@acme.test' });
    const unknown = await openForm('/password/forgot?tenant=acme');
    const unknownRes = await post('/password/forgot', unknown.cookie, { csrf: unknown.csrf, tenant: 'acme', email: 'nobody@acme.test' });
    expect(knownRes.status).toBe(200);
    expect(unknownRes.status).toBe(200);
    const strip = (html: string) => html.replace(/bob@acme\.test|nobody@acme\.test/g, 'EMAIL');
    expect(strip(await unknownRes.text())).toBe(strip(await knownRes.text()));
    await server.mail.take('bob@acme.test', 'password_reset');
    expect(server.mail.delivered.some((m) => m.to === 'nobody@acme.test')).toBe(false);
  });

  it('refuses a form without its CSRF token, and a page for a tenant that does not exist', async () => {
    const form = await openForm('/password/forgot?tenant=acme');
    expect(form.res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(form.res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const forged = await post('/password/forgot', '', { csrf: form.csrf, tenant: 'acme', email: 'bob@acme.test' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form has expired');
    const missing = await fetch(`${server.url}/password/forgot?tenant=nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/html');
  });

  it('answers a used link, or one for another tenant, in plain words', async () => {
    const form = await openForm('/password/forgot?tenant=globex');
    await post('/password/forgot', form.cookie, { csrf: form.csrf, tenant: 'globex', email: 'gil@globex.test' });
    const token = new URL(linkIn((await server.mail.take('gil@globex.test', 'password_reset')).body)).searchParams.get('token') as string;

    // The token of a globex account does nothing on acme's page.
    const other = await openForm(`/password/reset?tenant=acme&token=${token}`);
    const crossed = await post('/password/reset', other.cookie, {
      csrf: other.csrf,
      tenant: 'acme',
      token,
      password: 'another long passphrase',
    });
    expect(crossed.status).toBe(400);
    expect(await crossed.text()).toContain('This link does not work any more');

    const reset = await openForm(`/password/reset?tenant=globex&token=${token}`);
    const short = await post('/password/reset', reset.cookie, { csrf: reset.csrf, tenant: 'globex', token, password: 'short' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('That password does not follow the rules below');
    const again = await openForm(`/password/reset?tenant=globex&token=${token}`);
    const done = await post('/password/reset', again.cookie, {
      csrf: again.csrf,
      tenant: 'globex',
      token,
      password: 'another long passphrase',
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Go back to the application and sign in with it.');
    const used = await openForm(`/password/reset?tenant=globex&token=${token}`);
    const reused = await post('/password/reset', used.cookie, {
      csrf: used.csrf,
      tenant: 'globex',
      token,
      password: 'a third long passphrase',
    });
    expect(reused.status).toBe(400);
    const html = await reused.text();
    expect(html).toContain('already used or has expired');
    expect(html).toContain('/password/forgot?tenant=globex');
  });
  it('confirms an address from the link in the verification mail, with a button rather than on opening', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant-id': 'acme' },
      body: JSON.stringify({ email: 'new@acme.test', password: 'a long new passphrase' }),
    });
    expect(res.status).toBeLessThan(300);
    const link = linkIn((await server.mail.take('new@acme.test', 'verify_email')).body, '/email/verify');
    expect(link.startsWith(`${server.url}/email/verify?`)).toBe(true);
    const verified = () => server.ctx.db('users').where({ tenant_id: 'acme', email: 'new@acme.test' }).first('email_verified');

    const form = await openForm(link.slice(server.url.length));
    expect(form.res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await verified()).toEqual({ email_verified: false });
    const token = new URL(link).searchParams.get('token') as string;
    const done = await post('/email/verify', form.cookie, { csrf: form.csrf, tenant: 'acme', token });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Your email address is confirmed');
    expect(await verified()).toEqual({ email_verified: true });

    const again = await openForm(link.slice(server.url.length));
    const reused = await post('/email/verify', again.cookie, { csrf: again.csrf, tenant: 'acme', token });
    expect(reused.status).toBe(400);
    expect(await reused.text()).toContain('already used or has expired');
  });
  it('mails the owner of an account a sign-in failure locked, and its reset link unlocks it', async () => {
    await makeTenant(server.ctx, 'locky');
    await server.ctx.db('tenants').where({ id: 'locky' }).update({ lockout_max_failures: 3 });
    await makeUser(server.ctx, 'locky', 'lou@locky.test', PASSWORD);
    const login = (password: string) =>
      fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-id': 'locky' },
        body: JSON.stringify({ usernameOrEmail: 'lou@locky.test', password }),
      });
    for (let i = 0; i < 3; i += 1) expect((await login('not the password')).status).toBe(401);
    // Locked: the right password answers like a wrong one.
    expect((await login(PASSWORD)).status).toBe(401);

    const mail = await server.mail.take('lou@locky.test', 'account_locked');
    expect(mail.body).toContain('locked after 3 failed sign-in attempts');
    expect(mail.body).toMatch(/unlocks by itself at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(server.mail.delivered.filter((m) => m.kind === 'account_locked' && m.to === 'lou@locky.test')).toHaveLength(1);

    const link = linkIn(mail.body);
    const token = new URL(link).searchParams.get('token') as string;
    const form = await openForm(link.slice(server.url.length));
    const done = await post('/password/reset', form.cookie, { csrf: form.csrf, tenant: 'locky', token, password: 'unlocked at last' });
    expect(done.status).toBe(200);
    expect((await login('unlocked at last')).status).toBe(200);
  });
  it('counts the forms against the registration budget per IP, and answers over it with a page', async () => {
    const limited = await startTestServer({ RATE_LIMIT_REGISTRATION: '2/600' });
    try {
      await makeTenant(limited.ctx, 'acme');
      const forgot = () =>
        fetch(`${limited.url}/password/forgot`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: new URLSearchParams({ tenant: 'acme', email: 'ann@acme.test' }),
        });
      expect((await forgot()).status).toBe(403);
      expect((await forgot()).status).toBe(403);
      const over = await forgot();
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(over.headers.get('content-type')).toContain('text/html');
    } finally {
      await limited.stop();
    }
  });
  it('hides sign-up unless the tenant allows it, then signs up with the same answer for a taken address', async () => {
    // Not allowed (the default): no link on the login page, no page.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(await authorizeUrl({ rp, redirectUri }, oidc.randomPKCECodeVerifier(), oidc.randomState()));
    await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();
    expect(await page.getByRole('link', { name: 'Create an account' }).count()).toBe(0);
    expect((await fetch(`${server.url}/signup?tenant=acme`)).status).toBe(404);

    // A tenant admin may not turn it on; a platform operator may, through PATCH /tenants/:id.
    await makeTenant(server.ctx, 'platform');
    const api = adminApi(() => server.url);
    const tenantAdmin = await signedInUser(server, 'acme', 'boss@acme.test', ['admin']);
    const operator = await signedInUser(server, 'platform', 'op@platform.test', ['admin']);
    const refused = await api('PATCH', '/tenants/acme', { token: tenantAdmin.token, body: { selfRegistration: true } });
    expect(refused.status).toBe(403);
    const patched = await api('PATCH', '/tenants/acme', { token: operator.token, body: { selfRegistration: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.data.tenant.selfRegistration).toBe(true);

    await page.reload();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.getByLabel('Email').fill('newbie@acme.test');
    await page.getByLabel('Password').fill('a fresh long passphrase');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const fresh = await page.locator('main').textContent();
    await server.mail.take('newbie@acme.test', 'verify_email');

    // A taken address: the same page, and its owner is told by mail.
    await page.goBack();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.reload();
    await page.getByLabel('Email').fill('bob@acme.test');
    await page.getByLabel('Password').fill('a fresh long passphrase');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await page.locator('main').textContent()).toBe(fresh);
    const exists = await server.mail.take('bob@acme.test', 'account_exists');
    expect(exists.body).toContain(`${server.url}/password/forgot?tenant=acme`);
    await context.close();
  }, 90_000);
});
