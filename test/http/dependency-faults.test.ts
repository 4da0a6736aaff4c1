// PostgreSQL or Redis cut off, swallowing traffic or slow, through a TCP proxy: every endpoint class answers 503
// (in its surface's form, with Retry-After) instead of hanging or answering 500, and recovers by itself once
// the proxy heals (docs/operations.md, "Deadlines and faults").
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { FormBrowser, formAction, hiddenField } from '../helpers/form-browser.ts';
import { readJson } from '../helpers/http.ts';
import { authorizeUrl, discoverRp } from '../helpers/oidc-flow.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { proxyServices, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { signedInUser } from '../helpers/admin.ts';

/** Generous: the deadlines below are well under a second; a hang would run into this instead. */
const ANSWER_BOUND_MS = 5000;
const PASSWORD = 'correct horse battery';
const REDIRECT_URI = 'https://app.example/callback';

/** Settles with the answer, or fails when none came within the bound (a hang). */
async function within<T>(what: string, answer: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ANSWER_BOUND_MS} ms`)), ANSWER_BOUND_MS);
  });
  try {
    return await Promise.race([answer, hang]);
  } finally {
    clearTimeout(timer);
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  type: string;
  body: string;
}

async function answerOf(res: Response): Promise<Answer> {
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    type: res.headers.get('content-type') ?? '',
    body: await res.text(),
  };
}

describeWithSharedServices('dependency faults', () => {
  let env: TestEnv;
  let server: TestServer;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let basic: string;
  let adminToken: string;
  let rp: Awaited<ReturnType<typeof discoverRp>>;

  beforeAll(async () => {
    env = await createTestEnv();
    const proxied = await proxyServices(env.vars);
    ({ pgProxy, redisProxy } = proxied);
    const { urls } = proxied;
    server = await startTestServer(
      {
        ...urls,
        // Short deadlines keep the suite fast; the behaviour is the same with the defaults.
        DATABASE_CONNECT_TIMEOUT_MS: '500',
        DATABASE_STATEMENT_TIMEOUT_MS: '500',
        DATABASE_QUERY_TIMEOUT_MS: '700',
        DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
        REDIS_CONNECT_TIMEOUT_MS: '500',
        REDIS_COMMAND_TIMEOUT_MS: '500',
        // Every request reads tenants and clients from PostgreSQL: the cache would hide the fault.
        CACHE_TTL_SECONDS: '0',
      },
      env,
    );
    await makeTenant(server.ctx, 'acme');
    await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD);
    adminToken = (await signedInUser(server, 'acme', 'admin@acme.test', ['admin'])).token;
    const service = await makeClient(server.ctx, { tenantId: 'acme', name: 'Service', grantTypes: ['client_credentials'] });
    basic = `Basic ${Buffer.from(`${service.client.clientId}:${service.clientSecret}`).toString('base64')}`;
    const app = await makeClient(server.ctx, { tenantId: 'acme', name: 'App', redirectUris: [REDIRECT_URI], firstParty: true });
    rp = await discoverRp(server.url, app.client.clientId, app.clientSecret);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await Promise.all([pgProxy?.close(), redisProxy?.close()]);
    await env?.destroy();
  });

  const json = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
    fetch(`${server.url}${path}`, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: {
        'Content-Type': 'application/json',
        'X-Tenant-ID': 'acme',
        ...(init.token && { Authorization: `Bearer ${init.token}` }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });

  /** What each endpoint class needs prepared while the dependencies are up (a session, a login page). */
  async function prepare() {
    const signedIn = await readJson(await json('/api/v1/auth/login', { body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } }));
    const browser = new FormBrowser();
    const start = await authorizeUrl({ rp, redirectUri: REDIRECT_URI, scope: 'openid' }, 'v'.repeat(43), 'state');
    const { res } = await browser.follow(start.replace(/^https?:\/\/[^/]+/, server.url), server.url);
    const page = await res.text();
    if (!page.includes('name="usernameOrEmail"')) throw new Error(`no login page: ${res.status}`);
    return {
      accessToken: signedIn.data.accessToken as string,
      refreshToken: signedIn.data.refreshToken as string,
      browser,
      start,
      loginPage: page,
    };
  }
  type Prepared = Awaited<ReturnType<typeof prepare>>;

  let created = 0;
  /** One request of each endpoint class, keyed by surface: the JSON API, the OAuth endpoints, the login pages. */
  const endpointClasses: Array<{ name: string; surface: 'api' | 'oauth' | 'page'; call: (p: Prepared) => Promise<Response> }> = [
    {
      name: 'JSON login',
      surface: 'api',
      call: () => json('/api/v1/auth/login', { body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } }),
    },
    { name: 'refresh', surface: 'api', call: (p) => json('/api/v1/auth/refresh', { body: { refreshToken: p.refreshToken } }) },
    { name: '/me', surface: 'api', call: (p) => json('/api/v1/auth/me', { token: p.accessToken }) },
    {
      name: 'admin write',
      surface: 'api',
      call: () => json('/api/v1/admin/users', { token: adminToken, body: { email: `new${(created += 1)}@acme.test`, password: PASSWORD } }),
    },
    {
      name: '/oauth2/token',
      surface: 'oauth',
      call: () =>
        fetch(`${server.url}/oauth2/token`, {
          method: 'POST',
          headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        }),
    },
    {
      name: 'login page (form post)',
      surface: 'page',
      call: (p) =>
        p.browser.post(new URL(formAction(p.loginPage, '/login'), server.url).href, {
          csrf: hiddenField(p.loginPage, 'csrf'),
          usernameOrEmail: 'ann@acme.test',
          password: PASSWORD,
        }),
    },
    {
      name: 'authorization page',
      surface: 'page',
      call: (p) => fetch(p.start.replace(/^https?:\/\/[^/]+/, server.url), { headers: { Accept: 'text/html' }, redirect: 'manual' }),
    },
  ];

  function expectUnavailable(name: string, surface: 'api' | 'oauth' | 'page', answer: Answer) {
    expect({ name, status: answer.status }).toEqual({ name, status: 503 });
    expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    if (surface === 'api') {
      const { errors } = JSON.parse(answer.body);
      expect(errors).toEqual([{ code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable' }]);
    } else if (surface === 'oauth') {
      expect(JSON.parse(answer.body)).toEqual({ error: 'temporarily_unavailable', error_description: 'Service temporarily unavailable' });
    } else {
      expect(answer.type).toMatch(/^text\/html/);
      expect(answer.body).toMatch(/unavailable for a moment/);
    }
  }

  async function waitUntilReady(status: number) {
    for (;;) {
      const res = await fetch(`${server.url}/health/ready`);
      await res.body?.cancel();
      if (res.status === status) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function expectEveryClassRecovers() {
    await waitUntilReady(200);
    const p = await prepare();
    for (const { name, call } of endpointClasses) {
      const answer = await within(name, call(p).then(answerOf));
      expect({ name, ok: answer.status < 500 }).toEqual({ name, ok: true });
    }
  }

  describe.each([
    ['PostgreSQL', () => pgProxy],
    ['Redis', () => redisProxy],
  ])('%s', (_dependency, proxy) => {
    it.each([
      ['cut (connections refused)', (p: TcpProxy) => p.cut()],
      ['blackholed (accepts, never answers)', async (p: TcpProxy) => p.blackhole()],
    ])(
      '%s: every endpoint class answers 503 with Retry-After, readiness fails, and all recover',
      async (_fault, inject) => {
        const prepared = await prepare();
        await inject(proxy());
        try {
          const answers = await Promise.all(endpointClasses.map(({ name, call }) => within(name, call(prepared).then(answerOf))));
          endpointClasses.forEach(({ name, surface }, i) => expectUnavailable(name, surface, answers[i] as Answer));
          const ready = await within('/health/ready', fetch(`${server.url}/health/ready`).then(answerOf));
          expect(ready.status).toBe(503);
        } finally {
          await proxy().heal();
        }
        await expectEveryClassRecovers();
      },
      30_000,
    );
  });

  it('a dependency that is slow but within its deadline still serves', async () => {
    const prepared = await prepare();
    pgProxy.slow(20);
    redisProxy.slow(20);
    try {
      for (const { name, call } of endpointClasses.filter((c) => c.surface !== 'page')) {
        const answer = await within(name, call(prepared).then(answerOf));
        expect({ name, ok: answer.status < 500 }).toEqual({ name, ok: true });
      }
    } finally {
      await pgProxy.heal();
      await redisProxy.heal();
    }
  }, 30_000);
});
