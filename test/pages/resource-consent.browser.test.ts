// The consent page for API resource scopes in Chromium, with the app on another origin: the person reads, per API,
// what the app asks for in the API's own plain words (only what the app was granted), the app's token then says
// exactly that, and a later request for more asks only for the new scope. At 390 px the page fits the screen.
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { createApiResource, setClientResourceScopes } from '../../src/services/api-resources.ts';
import { OtherOriginApp, type AppAnswer } from '../helpers/other-origin-app.ts';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';
const CRM = 'https://crm.example/api';

/** The app on its own origin: /start?scope=… asks for the CRM, /callback redeems the code and shows the token. */
class CrmApp extends OtherOriginApp {
  rp: oidc.Configuration | undefined;
  readonly pending = new Map<string, string>();

  protected async handle(url: URL): Promise<AppAnswer> {
    const rp = this.rp as oidc.Configuration;
    if (url.pathname === '/start') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      this.pending.set(state, verifier);
      const location = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: this.redirectUri,
        scope: url.searchParams.get('scope') ?? 'openid',
        resource: CRM,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }).href;
      return { status: 302, location };
    }
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const verifier = this.pending.get(state);
      if (!verifier) throw new Error(`unknown state in ${url.search}`);
      const tokens = await oidc.authorizationCodeGrant(rp, url, { pkceCodeVerifier: verifier, expectedState: state });
      const claims = decodeJwt(tokens.access_token);
      return {
        status: 200,
        body: `<!doctype html><title>CRM app</title><h1>Connected</h1><p id="aud">${String(claims.aud)}</p><p id="scope">${String(claims.scope)}</p>`,
      };
    }
    return { status: 404, body: 'not found' };
  }
}

describeInBrowser('consent for API resource scopes, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const app = new CrmApp();

  beforeAll(async () => {
    server = await startTestServer();
    await app.listen();
    await makeTenant(server.ctx, 'acme');
    await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD);
    const crm = await createApiResource(
      server.ctx,
      'acme',
      {
        identifier: CRM,
        name: 'Acme CRM',
        scopes: [
          { name: 'contacts:read', description: 'Read your contacts' },
          { name: 'contacts:write', description: 'Add and change your contacts' },
          { name: 'deals:write', description: 'Close and change your deals' },
        ],
      },
      { actorId: 'test' },
    );
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Contacts Sync',
      redirectUris: [app.redirectUri],
    });
    // Granted contacts only: deals:write is never asked about, nor given.
    await setClientResourceScopes(server.ctx, 'acme', client.clientId, crm.id, ['contacts:read', 'contacts:write'], { actorId: 'test' });
    app.rp = await discoverRp(server.url, client.clientId, clientSecret);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app.close();
    await server?.stop();
  });

  async function consentItems(page: Page): Promise<string[]> {
    return (await page.locator('section.resource li').allTextContents()).map((t) => t.trim());
  }

  it('shows the requested scopes in plain words per API, and later asks only for the new one', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });

    await page.goto(`${app.origin}/start?scope=${encodeURIComponent('openid contacts:read deals:write')}`);
    await page.fill('input[name=usernameOrEmail]', 'ann@acme.test');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Contacts Sync wants to access your account' }).waitFor();
    await page.getByRole('region', { name: 'Acme CRM' }).waitFor();
    expect(await consentItems(page)).toEqual(['Read your contacts']);
    expect(await page.locator('body').textContent()).not.toContain('deals');
    // Usable on a phone: nothing wider than the screen, the button in reach.
    const width = await page.locator('html').evaluate((html) => (html as unknown as { scrollWidth: number }).scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await expect(page.getByRole('button', { name: 'Allow' }).isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.redirectUri));
    expect(await page.locator('#aud').textContent()).toBe(CRM);
    expect(await page.locator('#scope').textContent()).toBe('contacts:read');

    // Same browser, same session: only the scope not allowed yet is asked for.
    await page.goto(`${app.origin}/start?scope=${encodeURIComponent('openid contacts:read contacts:write')}`);
    await page.getByRole('region', { name: 'Acme CRM' }).waitFor();
    expect(await consentItems(page)).toEqual(['Add and change your contacts']);
    expect(await page.locator('ul.scopes li').allTextContents()).toEqual(['Add and change your contacts']);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.redirectUri));
    expect(await page.locator('#scope').textContent()).toBe('contacts:read contacts:write');

    // Everything allowed: straight back to the app.
    await page.goto(`${app.origin}/start?scope=${encodeURIComponent('openid contacts:write')}`);
    await page.waitForURL((url) => url.href.startsWith(app.redirectUri));
    expect(await page.locator('#scope').textContent()).toBe('contacts:write');

    expect(violations).toEqual([]);
    expect(app.failures).toEqual([]);
    await context.close();
  }, 90_000);
});
