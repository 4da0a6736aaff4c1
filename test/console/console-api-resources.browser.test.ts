// The console's APIs pages in Chromium: an admin registers an API with its scopes, grants a client one of them on
// the client's page, and the client's client_credentials token then carries exactly that scope for that audience;
// axe-core finds nothing serious, and at 390 px nothing overflows. Another tenant's admin sees none of it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../helpers/browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describeInBrowser('API resources in the admin console, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let job: { clientId: string; secret: string };
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    for (const tenant of ['acme', 'beta']) await makeTenant(server.ctx, tenant);
    await makeUser(server.ctx, 'acme', 'ada@acme.test', PASSWORD, ['admin']);
    await makeUser(server.ctx, 'beta', 'bea@beta.test', PASSWORD, ['admin']);
    const made = await makeClient(server.ctx, { tenantId: 'acme', name: 'Nightly sync', grantTypes: ['client_credentials'] });
    job = { clientId: made.client.clientId, secret: made.clientSecret as string };
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

  async function signedIn(tenant: string, email: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    await page.goto(`${server.url}/admin/`);
    await page.getByLabel('Tenant').fill(tenant);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/interaction\//);
    await page.fill('input[name=usernameOrEmail]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    return page;
  }

  async function expectAccessibleAndNarrow(page: Page) {
    if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }
      ).axe;
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => {
      const { documentElement: root } = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 860 });
  }

  async function tokenFor(scope: string) {
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${job.clientId}:${job.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://crm.example/api', scope }),
    });
    return (await res.json()) as { access_token?: string; error?: string };
  }

  it('registers an API and grants a client one of its scopes; the token carries exactly that', async () => {
    const page = await signedIn('acme', 'ada@acme.test');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'APIs' }).click();
    await page.getByRole('heading', { name: 'APIs', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Register an API' }).click();
    await page.getByRole('heading', { name: 'Register an API', level: 1 }).waitFor();
    await page.getByLabel('Identifier', { exact: true }).fill('https://crm.example/api');
    await page.getByLabel('Name', { exact: true }).fill('CRM API');
    await page
      .getByLabel('Scopes', { exact: true })
      .fill('contacts:read = Read your contacts\ncontacts:write = Add and change your contacts');
    await expectAccessibleAndNarrow(page);
    await page.getByRole('button', { name: 'Register API' }).click();
    await page.getByRole('heading', { name: 'CRM API', level: 1 }).waitFor();
    await page.getByRole('cell', { name: 'Add and change your contacts' }).waitFor();
    await expectAccessibleAndNarrow(page);

    expect((await tokenFor('contacts:read')).error).toBe('invalid_target');
    await page.goto(`${server.url}/admin/#/clients/${job.clientId}`);
    await page.getByRole('heading', { name: 'API access' }).waitFor();
    await page.getByLabel('contacts:read: Read your contacts').check();
    await page.getByRole('button', { name: 'Save scopes on CRM API' }).click();
    await page.getByText('Scopes on CRM API saved.').waitFor();
    await expectAccessibleAndNarrow(page);
    const token = await tokenFor('contacts:read contacts:write');
    expect(decodeJwt(token.access_token as string)).toMatchObject({
      aud: 'https://crm.example/api',
      scope: 'contacts:read',
      tenant_id: 'acme',
    });
    await page.context().close();

    const other = await signedIn('beta', 'bea@beta.test');
    await other.goto(`${server.url}/admin/#/api-resources`);
    await other.getByRole('heading', { name: 'APIs', level: 1 }).waitFor();
    await other.getByText('No APIs yet.').waitFor();
    expect(await other.getByText('crm.example').count()).toBe(0);
    await other.context().close();
  }, 120_000);
});
