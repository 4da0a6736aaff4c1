// The API docs against a live server: the OpenAPI document is valid 3.1 and lists exactly the routes the server
// serves under /api/v1; the served Postman collection runs green in newman on a fresh server with demo data; the
// HTML reference renders in Chromium from local assets.
import type Router from '@koa/router';
import { Validator } from '@seriousme/openapi-schema-validator';
import newman from 'newman';
import { launchChromium, describeInBrowser } from '../helpers/browser.ts';
import { PLATFORM_TENANT_ID } from '../../src/services/permissions.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let collection: any;
  const operator = { email: 'operator@platform.test', password: 'operator passphrase' };
  beforeAll(async () => {
    collection = await (await fetch(`${server.url}/api/v1/auth/docs/postman/complete.json`)).json();
    // The platform operator of the "Platform operator" folder: an admin of the platform tenant.
    await makeTenant(server.ctx, PLATFORM_TENANT_ID);
    await makeUser(server.ctx, PLATFORM_TENANT_ID, operator.email, operator.password, ['admin']);
  });

  const runNewman = (password: string) => {
    const demo = server.demo;
    if (!demo) throw new Error('the test server seeds demo data');
    return new Promise<newman.NewmanRunSummary>((resolve, reject) =>
      newman.run(
        {
          collection,
          reporters: [],
          envVar: [
            { key: 'baseUrl', value: server.url },
            { key: 'tenantId', value: demo.tenantId },
            { key: 'usernameOrEmail', value: demo.admin.email },
            { key: 'password', value: password },
            { key: 'platformUsernameOrEmail', value: operator.email },
            { key: 'platformPassword', value: operator.password },
          ],
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      ),
    );
  };
  const failuresOf = (summary: newman.NewmanRunSummary) =>
    summary.run.failures.map((f) => `${(f.source as { name?: string } | undefined)?.name}: ${f.error.message}`);

  it('has a step or an error case for every route, each named request once', () => {
    const described = collection.item
      .flatMap((folder: { item: Array<{ description: string }> }) => folder.item)
      .map((item: { description: string }) => /operationId `(\w+)`/.exec(item.description)?.[1]);
    const docsRoutes = ['apiReference', 'openApiDocument', 'postmanCollection', 'apiReferenceAsset'];
    const operations = Object.values(openApi.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap((ops) => Object.values(ops).map((op) => op.operationId))
      .filter((id) => !docsRoutes.includes(id));
    expect(operations.filter((id) => !described.includes(id))).toEqual([]);
    const names = collection.item.flatMap((folder: { item: Array<{ name: string }> }) =>
      folder.item.map((i) => `${(folder as unknown as { name: string }).name}/${i.name}`),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('runs green in newman on a live server: every happy-path step at its exact status, every error case at its code', async () => {
    const summary = await runNewman(server.demo?.admin.password as string);
    expect(failuresOf(summary)).toEqual([]);
    const executions = summary.run.executions;
    expect(executions.length).toBe(collection.item.reduce((n: number, folder: { item: unknown[] }) => n + folder.item.length, 0));
    const status = (name: string) => executions.find((e) => e.item.name === name)?.response?.code;
    expect(status('Create a user')).toBe(201);
    expect(status('Sign in as a platform operator')).toBe(200);
    expect(status('Wrong password → 401 INVALID_CREDENTIALS')).toBe(401);
    // No happy-path step answered an error: only the named error cases ("… → 404 NOT_FOUND") did.
    const happyErrors = executions.filter((e) => !e.item.name.includes(' → ') && (e.response?.code ?? 500) >= 400).map((e) => e.item.name);
    expect(happyErrors).toEqual([]);
    // The ids created on the way were carried forward: the client steps acted on the new client, not a placeholder.
    const clientSteps = executions.filter((e) => /\/clients\/[^/]+/.test(e.request.url.getPath()));
    expect(clientSteps.length).toBeGreaterThanOrEqual(4);
    for (const step of clientSteps) expect(step.request.url.getPath()).toMatch(/\/clients\/demo_[\w-]+/);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(3 * executions.length);
  }, 120_000);

  it('fails when the happy path fails (a wrong password)', async () => {
    const summary = await runNewman('not the password');
    const failures = failuresOf(summary);
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Sign in with a username or email.*: expected response to have status code 200 but got 401$/),
      ]),
    );
  }, 120_000);
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
