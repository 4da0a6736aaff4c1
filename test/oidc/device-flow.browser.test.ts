// The device authorization grant (RFC 8628) with real parties: openid-client plays the device (device authorization
// request and polling over HTTP), Chromium plays the person who types the user code on our page, signs in and
// approves. Also: the grant is allowed per client, `slow_down` for a device that polls too fast, a cancelled
// sign-in, the wrong-code limit, and discovery without the feature.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { signedInUser } from '../helpers/admin.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi } from '../helpers/http.ts';
import { FormBrowser, hiddenField } from '../helpers/form-browser.ts';
import { discoverRp } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const PASSWORD = 'correct horse battery';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** No serious or critical axe-core finding, and nothing wider than the phone's 390 px. */
async function expectAccessibleOnPhone(page: Page): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const { axe } = globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string }> }> } };
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  const overflow = await page.evaluate(() => {
    const { documentElement: root } = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document;
    return root.scrollWidth - root.clientWidth;
  });
  expect(overflow).toBeLessThanOrEqual(0);
}

let server: TestServer;
let device: oidc.Configuration;
let deviceClientId: string;
let user: { id: string; email: string };

beforeAll(async () => {
  server = await startTestServer({ DEVICE_FLOW_INTERVAL_SECONDS: '3', RATE_LIMIT_LOGIN: '5/600' });
  await makeTenant(server.ctx, 'acme');
  user = await makeUser(server.ctx, 'acme', 'tv@acme.test', PASSWORD);
  // A TV app: public (no secret on the device), third-party (the person is asked), no redirect URIs.
  const { client } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Living Room TV',
    public: true,
    grantTypes: [DEVICE_CODE, 'refresh_token'],
  });
  deviceClientId = client.clientId;
  device = await discoverRp(server.url, client.clientId);
});
afterAll(() => server.stop());

/** Polls the token endpoint once, as a device would, and returns the OAuth answer. */
async function pollOnce(deviceCode: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: DEVICE_CODE, device_code: deviceCode, client_id: deviceClientId }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('discovery and registration', () => {
  it('advertises the device authorization endpoint and grant', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBe(`${server.ctx.config.publicUrl}/oauth2/device/auth`);
    expect(metadata.grant_types_supported).toContain(DEVICE_CODE);
  });

  it('refuses a client that is not allowed the grant', async () => {
    const { client } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Web only',
      public: true,
      redirectUris: ['http://127.0.0.1:7777/cb'],
    });
    const web = await discoverRp(server.url, client.clientId);
    await expect(oidc.initiateDeviceAuthorization(web, { scope: 'openid' })).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it('a client registered at /oauth2/register with the device grant may start it', async () => {
    const { token } = await signedInUser(server, 'acme', 'device-admin@acme.test', ['admin']);
    const iat = (await adminApi(() => server.url)('POST', '/initial-access-tokens', { tenant: 'acme', token, body: { expiresIn: 600 } }))
      .body.data.initialAccessToken as string;
    const res = await fetch(`${server.url}/oauth2/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${iat}` },
      body: JSON.stringify({
        client_name: 'Registered TV',
        redirect_uris: [],
        response_types: [],
        grant_types: [DEVICE_CODE],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; grant_types: string[] };
    expect(registered.grant_types).toEqual([DEVICE_CODE]);
    const started = await oidc.initiateDeviceAuthorization(await discoverRp(server.url, registered.client_id), { scope: 'openid' });
    expect(started.user_code).toBeTruthy();
  });

  it('answers with a user code, the code page and the polling interval', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.verification_uri).toBe(`${server.ctx.config.publicUrl}/oauth2/device`);
    expect(started.verification_uri_complete).toBe(`${server.ctx.config.publicUrl}/oauth2/device?user_code=${started.user_code}`);
    expect(started.interval).toBe(3);
    expect(started.expires_in).toBe(600);
  });
});

describe('polling', () => {
  it('answers authorization_pending, then slow_down to a device that polls sooner than the interval, adding five seconds', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const first = await pollOnce(started.device_code);
    expect(first).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    const tooSoon = await pollOnce(started.device_code);
    expect(tooSoon).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    // RFC 8628 §3.5: the interval grew by five seconds, so an immediate retry is still too soon.
    expect(await pollOnce(started.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    // Another device's code has its own pace.
    const other = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    expect(await pollOnce(other.device_code)).toMatchObject({ body: { error: 'authorization_pending' } });
  });

  it('a device code of one client is nothing to another client', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const { client } = await makeClient(server.ctx, { tenantId: 'acme', name: 'Other TV', public: true, grantTypes: [DEVICE_CODE] });
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_CODE, device_code: started.device_code, client_id: client.clientId }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

describeInBrowser('the person on the code page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser.close());

  it('enters the code, signs in and approves; the polling device gets its tokens', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid offline_access' });
    const polling = oidc.pollDeviceAuthorizationGrant(device, started);

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const response = await page.goto(started.verification_uri);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
    await expectAccessibleOnPhone(page);
    // Typed as a person might: lower case, without the dash.
    await page.getByLabel('Code').fill(started.user_code.replace('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Connect Living Room TV?' }).waitFor();
    expect(await page.locator('.device-code').textContent()).toContain(started.user_code);
    await expectAccessibleOnPhone(page);
    await page.getByRole('button', { name: 'Yes, continue' }).click();

    await page.fill('input[name=usernameOrEmail]', user.email);
    await page.fill('input[name=password]', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Living Room TV wants to access your account' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Your device is connected' }).waitFor();
    await expectAccessibleOnPhone(page);
    await context.close();

    const tokens = await polling;
    expect(tokens.claims()).toMatchObject({ sub: user.id, aud: deviceClientId, iss: server.ctx.config.publicUrl });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: user.id, client_id: deviceClientId, tenant_id: 'acme' });
    expect(tokens.refresh_token).toBeTruthy();
    expect(violations).toEqual([]);
    // The sign-in is a Gatehouse session like any other, with the device's grant under it.
    const sid = decodeJwt(tokens.access_token).sid as string;
    expect(await server.ctx.db('session_grants').where({ session_id: sid, client_id: deviceClientId })).toHaveLength(1);
    // A device code is redeemed once.
    expect(await pollOnce(started.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('cancelling on the confirmation page denies the device', async () => {
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    const context = await browser.newContext();
    const page = await context.newPage();
    // The link with the code fills it in; the person still submits it and then confirms (RFC 8628 §5.4).
    await page.goto(started.verification_uri_complete as string);
    expect(await page.getByLabel('Code').inputValue()).toBe(started.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Connect Living Room TV?' }).waitFor();
    await page.getByRole('button', { name: 'No, cancel' }).click();
    await page.getByText('The sign-in was cancelled').waitFor();
    await context.close();
    expect(await pollOnce(started.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });
});

describe('guessing codes', () => {
  it('counts wrong codes against the address and refuses it once the limit is reached', async () => {
    const person = new FormBrowser();
    // Each page carries a fresh form token (the library's xsrf, tied to the browser session).
    let page = await (await person.get(`${server.url}/oauth2/device`)).text();
    const guess = (code: string) => person.post(`${server.url}/oauth2/device`, { xsrf: hiddenField(page, 'xsrf'), user_code: code });
    const statuses: number[] = [];
    for (const code of ['BBBB-BBBB', 'CCCC-CCCC', 'DDDD-DDDD', 'FFFF-FFFF', 'GGGG-GGGG']) {
      const res = await guess(code);
      statuses.push(res.status);
      page = await res.text();
      expect(page).toContain('That code is not valid');
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const refused = await guess('HHHH-HHHH');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect(await refused.text()).toContain('Too many attempts');
    // Even the right code waits: the limit is on the address, not on the guess.
    const started = await oidc.initiateDeviceAuthorization(device, { scope: 'openid' });
    expect((await guess(started.user_code)).status).toBe(429);
  });
});

describe('with DEVICE_FLOW=false', () => {
  it('serves no device endpoint and advertises none', async () => {
    // A database of its own (embedded PGlite is single-process): with the route there, even an unknown client would
    // get 401 invalid_client, not 404.
    const off = await startTestServer({ DEVICE_FLOW: 'false' });
    try {
      const metadata = (await (await fetch(`${off.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata).not.toHaveProperty('device_authorization_endpoint');
      expect(metadata.grant_types_supported).not.toContain(DEVICE_CODE);
      const res = await fetch(`${off.url}/oauth2/device/auth`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: deviceClientId, scope: 'openid' }),
      });
      expect(res.status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});
