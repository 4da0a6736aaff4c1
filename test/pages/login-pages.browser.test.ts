// The login pages in a real browser (Chromium): sign-in, a wrong password in plain words, and forced MFA
// enrolment with a QR code that really renders under the pages' Content-Security-Policy.
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeFirstPartyRp, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authorizeUrl } from '../helpers/oidc-flow.ts';
import { totp } from '../helpers/totp.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';

describeInBrowser('login pages in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let redirectUri: string;
  const rps: Record<string, oidc.Configuration> = {};

  beforeAll(async () => {
    server = await startTestServer();
    // A loopback page of the server itself stands in for the client's callback.
    redirectUri = `${server.url}/health/live`;
    for (const tenant of ['acme', 'strict']) {
      await makeTenant(server.ctx, tenant);
      rps[tenant] = await makeFirstPartyRp(server.ctx, server.url, tenant, redirectUri, `${tenant} CRM`);
    }
    await server.ctx.db('tenants').where({ id: 'strict' }).update({ mfa_policy: 'required' });
    await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD);
    await makeUser(server.ctx, 'strict', 'sam@strict.test', PASSWORD);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in through the form and lands on the client with a code that redeems', async () => {
    const page = await browser.newPage();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await page.goto(await authorizeUrl({ rp: rps.acme!, redirectUri }, verifier, state));
    await page.getByRole('heading', { name: 'Sign in to Tenant acme' }).waitFor();

    await page.fill('input[name=usernameOrEmail]', 'ann@acme.test');
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('The email, username or password is not right');

    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.click('button[type=submit]')]);
    const tokens = await oidc.authorizationCodeGrant(rps.acme!, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ tenant_id: 'acme', amr: ['pwd'] });
    await page.close();
  }, 60_000);

  it('forces MFA enrolment with a rendered QR code, shows the backup codes, then finishes', async () => {
    const page = await browser.newPage();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await page.goto(await authorizeUrl({ rp: rps.strict!, redirectUri }, verifier, state));
    await page.fill('input[name=usernameOrEmail]', 'sam@strict.test');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');

    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    const qr = page.getByAltText('QR code for your authenticator app');
    expect(
      await qr.evaluate(
        (img) =>
          (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
          (img as unknown as { naturalWidth: number }).naturalWidth > 0,
      ),
    ).toBe(true);
    const secret = (await page.locator('code').first().textContent())?.trim() as string;
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);

    await page.fill('input[name=code]', await totp(secret));
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Save your backup codes' }).waitFor();
    expect(await page.locator('li').count()).toBe(10);

    await Promise.all([page.waitForURL((url) => url.href.startsWith(redirectUri)), page.click('button[type=submit]')]);
    const tokens = await oidc.authorizationCodeGrant(rps.strict!, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()).toMatchObject({ tenant_id: 'strict', amr: ['pwd', 'otp'], acr: 'urn:gatehouse:loa:mfa' });
    await page.close();
  }, 60_000);
});
