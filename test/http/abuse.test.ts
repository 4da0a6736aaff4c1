// Abuse protection over real HTTP with real Redis: the guide's rate-limit headers and bodies, OAuth-style 429s,
// proxies and spoofing, IP blocking after credential stuffing, unblocking, shared limits, Redis failure.
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { runScript, spawnServer } from '../helpers/processes.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createHmac } from 'node:crypto';
import * as oidc from 'openid-client';
import { FormBrowser } from '../helpers/form-browser.ts';
import { makeFirstPartyRp } from '../helpers/fixtures.ts';
import { authorizeUrl, submitLogin } from '../helpers/oidc-flow.ts';
import { liftIpBlock, listIpBlocks } from '../../src/services/ip-blocks.ts';
import { deriveKey } from '../../src/services/secrets.ts';
import { createTenant } from '../../src/services/tenants.ts';

const GUIDE_RATE_LIMITED = {
  success: false,
  errors: [{ code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded for this endpoint' }],
};
const GUIDE_IP_BLOCKED = { success: false, errors: [{ code: 'IP_BLOCKED', message: 'IP address is temporarily blocked' }] };
const withoutRequestId = (body: Record<string, unknown>) => {
  const { requestId: _id, ...rest } = body;
  return rest;
};

describe('without TRUST_PROXY', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_API: '5/60', RATE_LIMIT_TOKEN: '3/60' });
  });
  afterAll(() => server.stop());

  it('carries the headers, counts down, and answers the 6th request with 429 and Retry-After', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(`${server.url}/api/v1/auth/me`);
      expect(res.status).toBe(401);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      remaining.push(res.headers.get('x-ratelimit-remaining') as string);
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(Date.now() / 1000);
      expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const limited = await fetch(`${server.url}/api/v1/auth/me`);
    expect(limited.status).toBe(429);
    expect(withoutRequestId(await readJson(limited))).toEqual(GUIDE_RATE_LIMITED);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('does not let a spoofed X-Forwarded-For escape the limit', async () => {
    // The API budget of 127.0.0.1 is spent by the previous test; made-up addresses do not reset it.
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${server.url}/api/v1/auth/me`, { headers: { 'X-Forwarded-For': `203.0.113.${i + 10}` } });
      expect(res.status).toBe(429);
    }
  });

  it('limits the token endpoint per client with an OAuth-style 429', async () => {
    const basic = `Basic ${Buffer.from('some-client:wrong').toString('base64')}`;
    const call = () =>
      fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    for (let i = 0; i < 3; i += 1) expect((await call()).status).toBe(401);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(await readJson(limited)).toEqual({ error: 'rate_limit_exceeded', error_description: 'Rate limit exceeded for this endpoint' });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
  });

  it('exempts nobody who sends the header the JSON API once used for its calls to our token endpoint', async () => {
    // The token budget of this address is spent by the previous test. The old exemption was a fixed HMAC.
    const oldHeader = createHmac('sha256', deriveKey(server.ctx.config.secretKey, 'token-hash'))
      .update('internal-token-call')
      .digest('base64url');
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Gatehouse-Internal': oldHeader },
      body: 'grant_type=client_credentials&client_id=some-client',
    });
    expect(res.status).toBe(429);
  });

  it('leaves health and discovery unlimited', async () => {
    for (let i = 0; i < 10; i += 1) expect((await fetch(`${server.url}/health/live`)).headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('per-tenant limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_LOGIN: '1000/60' });
    await createTenant(server.ctx, { id: 'tight', name: 'Tight', rateLimits: { login: { points: 2, duration: 60 } } }, { actorId: 'test' });
    await makeTenant(server.ctx, 'loose');
  });
  afterAll(() => server.stop());

  const login = (tenant: string) =>
    fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': tenant },
      body: JSON.stringify({ usernameOrEmail: 'nobody@x.test', password: 'whatever!' }),
    });

  it("apply the tenant's own limit to requests that name it, and the global one to others", async () => {
    const first = await login('tight');
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect((await login('tight')).status).toBe(401);
    const third = await login('tight');
    expect(third.status).toBe(429);
    expect(withoutRequestId(await readJson(third))).toEqual(GUIDE_RATE_LIMITED);
    const other = await login('loose');
    expect(other.status).toBe(401);
    expect(other.headers.get('x-ratelimit-limit')).toBe('1000');
  });
});

describe('sign-in limits (docs/security.md "Sign-in limits and lockout")', () => {
  let server: TestServer;
  const PASSWORD = 'correct horse battery';
  const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
  let rp: oidc.Configuration;
  beforeAll(async () => {
    server = await startTestServer({
      TRUST_PROXY: 'true',
      RATE_LIMIT_LOGIN: '3/60',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/900',
      IP_BLOCK_AFTER_ACCOUNTS: '100',
    });
    for (const tenant of ['acme', 'other']) await makeTenant(server.ctx, tenant);
    for (let i = 0; i < 6; i += 1) await makeUser(server.ctx, 'acme', `staff${i}@acme.test`, PASSWORD);
    await makeUser(server.ctx, 'acme', 'pat@acme.test', PASSWORD);
    await makeUser(server.ctx, 'other', 'pat@acme.test', PASSWORD);
    rp = await makeFirstPartyRp(server.ctx, server.url, 'acme', REDIRECT_URI);
  });
  afterAll(() => server.stop());

  const login = (ip: string, tenant: string, usernameOrEmail: string, password: string) =>
    fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': tenant, 'X-Forwarded-For': ip },
      body: JSON.stringify({ usernameOrEmail, password }),
    });

  it('per IP counts failures only: an office behind one address signs everyone in, a guesser is stopped', async () => {
    const office = '192.0.2.10';
    for (let i = 0; i < 6; i += 1) expect((await login(office, 'acme', `staff${i}@acme.test`, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await login(office, 'acme', `staff${i}@acme.test`, 'wrong password!')).status).toBe(401);
    const limited = await login(office, 'acme', 'staff5@acme.test', PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('per account, keyed by tenant and shared by the JSON API and the login pages', async () => {
    // Two wrong passwords in the JSON API and one on the login page, each from another address...
    expect((await login('192.0.2.21', 'acme', 'pat@acme.test', 'wrong password!')).status).toBe(401);
    expect((await login('192.0.2.22', 'acme', 'PAT@acme.test', 'wrong password!')).status).toBe(401);
    const browser = new FormBrowser();
    const start = await browser.follow(
      await authorizeUrl({ rp, redirectUri: REDIRECT_URI }, oidc.randomPKCECodeVerifier(), oidc.randomState()),
      server.url,
    );
    const page = await submitLogin(browser, server.url, await start.res.text(), 'pat@acme.test', 'wrong password!');
    expect(page.status).toBe(401);
    // ...spend the account's budget of 3 in acme, whatever the surface or the address.
    const limited = await login('192.0.2.23', 'acme', 'pat@acme.test', PASSWORD);
    expect(limited.status).toBe(429);
    expect((await readJson(limited)).errors[0].code).toBe('RATE_LIMIT_EXCEEDED');
    // The same email in another tenant is another account.
    expect((await login('192.0.2.24', 'other', 'pat@acme.test', PASSWORD)).status).toBe(200);
  });

  it('counts a sign-in route however its path is spelt: another case or a trailing slash meets the same limit', async () => {
    // The routers match paths case-insensitively and with a trailing slash; so must the limits.
    const post = (path: string, ip: string, login: string) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': 'acme', 'X-Forwarded-For': ip },
        body: JSON.stringify({ usernameOrEmail: login, password: 'wrong password!' }),
      });
    const statuses: number[] = [];
    // Another unknown login each time: only the address's limit can stop these.
    for (const [i, path] of ['/api/v1/auth/LOGIN', '/api/v1/auth/login/', '/api/v1/auth/Login', '/api/v1/auth/login/'].entries())
      statuses.push((await post(path, '192.0.2.30', `nobody${i}@acme.test`)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);

    // The device flow's user-code page (RFC 8628 §5.1: guessing codes must be limited), spelt another way.
    const ip = '192.0.2.31';
    const opened = await fetch(`${server.url}/oauth2/device`, { headers: { 'X-Forwarded-For': ip, Accept: 'text/html' } });
    const cookies = new Map<string, string>();
    const keepCookies = (res: Response) => {
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      }
    };
    keepCookies(opened);
    // Each page carries a fresh form token (the library's xsrf, tied to the browser session).
    let page = await opened.text();
    const guesses: number[] = [];
    for (const [path, code] of [
      ['/oauth2/device/', 'BBBB-BBBB'],
      ['/oauth2/Device', 'CCCC-CCCC'],
      ['/OAUTH2/device/', 'DDDD-DDDD'],
      ['/oauth2/device/', 'FFFF-FFFF'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Forwarded-For': ip,
          Accept: 'text/html',
          Cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
        body: new URLSearchParams({ xsrf: /name="xsrf" value="([^"]*)"/.exec(page)?.[1] ?? '', user_code: code }),
      });
      keepCookies(res);
      guesses.push(res.status);
      page = await res.text();
    }
    expect(guesses).toEqual([401, 401, 401, 429]);
  });
});

describe('behind a trusted proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      TRUST_PROXY: 'true',
      RATE_LIMIT_API: '3/60',
      RATE_LIMIT_LOGIN: '1000/60',
      IP_BLOCK_AFTER_ACCOUNTS: '20',
      IP_BLOCK_SECONDS: '3600',
      TRUSTED_CIDRS: '198.51.100.0/24',
    });
    await makeTenant(server.ctx, 'acme');
    await makeUser(server.ctx, 'acme', 'real@acme.test', 'correct horse battery');
  });
  afterAll(() => server.stop());

  const from = (ip: string, path = '/api/v1/auth/me', init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'X-Forwarded-For': ip } });
  const login = (ip: string, usernameOrEmail: string, password = 'wrong password!') =>
    from(ip, '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': 'acme' },
      body: JSON.stringify({ usernameOrEmail, password }),
    });

  it('keys limits by the address the proxy appended, not by what the client claims', async () => {
    for (let i = 0; i < 3; i += 1) expect((await from('192.0.2.1')).status).toBe(401);
    expect((await from('192.0.2.1')).status).toBe(429);
    expect((await from('192.0.2.2')).status).toBe(401);
    // A client-written first hop does not help: the proxy's entry (the last) is what counts.
    expect((await from('10.9.9.9, 192.0.2.1')).status).toBe(429);
  });

  it('exempts trusted CIDRs', async () => {
    for (let i = 0; i < 10; i += 1) {
      const res = await from('198.51.100.7');
      expect(res.status).toBe(401);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('blocks an address that fails logins across many accounts, and an unblock restores access', async () => {
    const attacker = '192.0.2.66';
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) statuses.push((await login(attacker, `victim${i}@acme.test`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 403)).toBe(true);

    const blocked = await login(attacker, 'real@acme.test', 'correct horse battery');
    expect(blocked.status).toBe(403);
    expect(withoutRequestId(await readJson(blocked))).toEqual(GUIDE_IP_BLOCKED);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Other addresses are unaffected.
    expect((await login('192.0.2.67', 'real@acme.test', 'correct horse battery')).status).toBe(200);

    expect((await listIpBlocks(server.ctx)).map((b) => [b.ip, b.reason])).toEqual([[attacker, 'failed_logins_across_accounts']]);
    expect(await server.ctx.db('audit_events').where({ type: 'ip.blocked' }).whereRaw("data->>'ip' = ?", [attacker]).first()).toBeDefined();

    expect(await liftIpBlock(server.ctx, attacker, { actorId: 'test-admin' })).toBe(1);
    expect((await login(attacker, 'real@acme.test', 'correct horse battery')).status).toBe(200);
    expect(await listIpBlocks(server.ctx)).toEqual([]);
  });
});

describeWithSharedServices('shared by processes, and without Redis', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env.destroy());

  it('two server processes share one limit exactly', async () => {
    const shared = { ...env.vars, RATE_LIMIT_API: '10/60', LOG_LEVEL: 'info' };
    const [a, b] = [
      await spawnServer({ ...shared, PORT: String(await freePort()) }),
      await spawnServer({ ...shared, PORT: String(await freePort()) }),
    ];
    try {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/api/v1/auth/me`).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);

  it('answers 503 on limited endpoints while Redis is down, and recovers by itself', async () => {
    const redisUrl = new URL(env.vars.REDIS_URL as string);
    const proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    redisUrl.host = `127.0.0.1:${proxy.port}`;
    const server = await startTestServer({ REDIS_URL: redisUrl.toString(), REDIS_KEY_PREFIX: `${env.vars.REDIS_KEY_PREFIX}down:` }, env);
    try {
      expect((await fetch(`${server.url}/api/v1/auth/me`)).status).toBe(401);
      await proxy.cut();
      let res = await fetch(`${server.url}/api/v1/auth/me`);
      for (let i = 0; i < 20 && res.status !== 503; i += 1) res = await fetch(`${server.url}/api/v1/auth/me`);
      expect(res.status).toBe(503);
      expect((await readJson(res)).errors[0].code).toBe('SERVICE_UNAVAILABLE');
      await proxy.restore();
      const deadline = Date.now() + 15_000;
      do {
        res = await fetch(`${server.url}/api/v1/auth/me`);
        if (res.status === 401) break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < deadline);
      expect(res.status).toBe(401);
      expect(res.headers.get('x-ratelimit-limit')).not.toBeNull();
    } finally {
      await server.stop();
      await proxy.close();
    }
  }, 60_000);

  it('gatehouse ip unblock lifts a live block', async () => {
    const server = await startTestServer({ TRUST_PROXY: 'true', IP_BLOCK_AFTER_TRIPS: '1', RATE_LIMIT_API: '1/60' }, env);
    try {
      const hit = () => fetch(`${server.url}/api/v1/auth/me`, { headers: { 'X-Forwarded-For': '192.0.2.99' } });
      expect((await hit()).status).toBe(401);
      expect((await hit()).status).toBe(429); // the trip that blocks
      expect((await hit()).status).toBe(403);
      const res = await runScript('bin/gatehouse.js', ['ip', 'unblock', '--ip', '192.0.2.99'], env.vars);
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual({ ip: '192.0.2.99', lifted: 1 });
      expect((await hit()).status).not.toBe(403);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
