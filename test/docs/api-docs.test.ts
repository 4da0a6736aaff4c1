// The API docs against a live server: the OpenAPI document is valid 3.1 and lists exactly the routes the server
// serves under /api/v1; the served Postman collection runs green in newman on a fresh server with demo data; the
// HTML reference renders in Chromium from local assets.
import type Router from '@koa/router';
import { Validator } from '@seriousme/openapi-schema-validator';
import newman from 'newman';
import { launchChromium, describeInBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let openApi: any;

beforeAll(async () => {
  server = await startTestServer({ SEED_DEMO: 'true' });
  openApi = await (await fetch(`${server.url}/api/v1/auth/docs/openapi.json`)).json();
}, 60_000);
afterAll(() => server.stop());

/** "GET /api/v1/admin/users/{userId}" for every route the app's routers serve under /api/v1. */
function servedRoutes(): string[] {
  const routes: string[] = [];
  for (const middleware of server.app.middleware) {
    const router = (middleware as { router?: Router }).router;
    for (const layer of router?.stack ?? []) {
      const path = String(layer.path);
      if (!path.startsWith('/api/v1') || layer.methods.length === 0) continue;
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes.sort();
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(openApi);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(openApi.openapi).toBe('3.1.0');
  });

  it('lists exactly the routes the server serves under /api/v1', () => {
    const documented = Object.entries(openApi.paths as Record<string, object>)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(servedRoutes());
    expect(documented.length).toBeGreaterThan(40);
  });

  it('documents every error code a route can answer, with the guide messages', () => {
    const login = openApi.paths['/api/v1/auth/login'].post;
    expect(login['x-error-codes']).toEqual(expect.arrayContaining(['INVALID_CREDENTIALS', 'RATE_LIMIT_EXCEEDED', 'REQUIRED_FIELD']));
    expect(login.responses['401'].content['application/json'].examples.INVALID_CREDENTIALS.value.errors[0]).toEqual({
      code: 'INVALID_CREDENTIALS',
      message: 'Invalid username or password',
    });
    const createUser = openApi.paths['/api/v1/admin/users'].post;
    expect(createUser['x-permission']).toBe('users:write');
    expect(Object.keys(createUser.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '429']));
    expect(createUser.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['email', 'password']));
  });
});

describe('Postman collection', () => {
  it('runs green in newman against the live server, carrying tokens from sign-in onwards', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const collection: any = await (await fetch(`${server.url}/api/v1/auth/docs/postman/complete.json`)).json();
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    const demo = server.demo;
    if (!demo) throw new Error('the test server seeds demo data');
    const summary = await new Promise<newman.NewmanRunSummary>((resolve, reject) =>
      newman.run(
        {
          collection,
          reporters: [],
          envVar: [
            { key: 'baseUrl', value: server.url },
            { key: 'tenantId', value: demo.tenantId },
            { key: 'usernameOrEmail', value: demo.admin.email },
            { key: 'password', value: demo.admin.password },
          ],
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      ),
    );
    const failures = summary.run.failures.map((f) => `${f.source?.name}: ${f.error.message}`);
    expect(failures).toEqual([]);
    const status = (name: string) => summary.run.executions.find((e) => e.item.name.startsWith(name))?.response?.code;
    expect(status('Sign in with a username or email')).toBe(200);
    expect(status('The signed-in user')).toBe(200);
    expect(status('Exchange a refresh token')).toBe(200);
    expect(status('List and search users')).toBe(200);
    expect(status('Create a user')).toBe(201);
    expect(status("A user's profile and status")).toBe(200);
    expect(status('End the current session')).toBe(200);
    // Every request checked its status and request id at least.
    expect(summary.run.executions.length).toBe(
      collection.item.reduce((n: number, folder: { item: unknown[] }) => n + folder.item.length, 0),
    );
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(2 * summary.run.executions.length);
  }, 60_000);
});

describeInBrowser('HTML reference', () => {
  it('renders every operation from local assets only', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const foreign: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(server.url) && !req.url().startsWith('data:')) foreign.push(req.url());
      });
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${server.url}/api/v1/auth/docs`);
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const operations = await page.locator('.opblock').count();
      const documented = Object.values(openApi.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
      expect(operations).toBe(documented);
      expect(foreign).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
