// The real entry point as a process: embedded boot from scratch, configuration errors, graceful shutdown.
import { readJson } from './helpers/http.ts';
import { request } from 'node:http';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runScript, SERVER_NODE_FLAGS, spawnServer } from './helpers/processes.ts';
import { FormBrowser } from './helpers/form-browser.ts';
import { submitLogin } from './helpers/oidc-flow.ts';
import { freePort } from './helpers/test-server.ts';
import { describeWithSharedServices } from './helpers/services.ts';
import { createTestEnv } from './helpers/test-env.ts';

const freshDir = () => mkdtempSync(join(tmpdir(), 'gatehouse-main-'));
const embedded = (dataDir: string) => ({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, BCRYPT_COST: '4', LOG_LEVEL: 'info' });

describe('npm start on a fresh machine (embedded PGlite, in-memory store)', () => {
  it('migrates, seeds the demo data once, serves /health/ready 200 and stops cleanly on SIGTERM', async () => {
    const dataDir = freshDir();
    const port = await freePort();
    const server = await spawnServer({ ...embedded(dataDir), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }, 90_000);
    try {
      const res = await fetch(`${server.url}/health/ready`);
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual({ status: 'ready', checks: { database: 'up', store: 'up' } });
      expect(server.output()).toMatch(/"database":"pglite","store":"memory"/);
      // The demo block is printed once the server is up: it may arrive just after the "listening" line.
      expect(await server.waitForOutput('Sign in now')).toMatch(/Demo data created[\s\S]*user@demo\.test\s+password \S{12,}/);
      expect(existsSync(join(dataDir, 'secret-key'))).toBe(true);
      await signInWithPrintedDemo(server.output(), server.url);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.output()).toMatch(/"msg":"shut down"/);

    // A second start on the same DATA_DIR keeps the data and does not seed again.
    const again = await spawnServer(embedded(dataDir), 90_000);
    try {
      expect((await fetch(`${again.url}/health/ready`)).status).toBe(200);
      expect(again.output()).not.toMatch(/Demo data created/);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 180_000);
});

describe('how the server is started', () => {
  it('npm start, npm run dev, the Docker image and the tests start it with the same Node flags', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const flags = SERVER_NODE_FLAGS.join(' ');
    expect(scripts['start']).toBe(`node ${flags} src/main.ts`);
    expect(scripts['dev']).toBe(`node ${flags} --watch src/main.ts`);
    // The suite's own process too: AsyncLocalStorage behaves as in production in the in-process servers.
    expect(scripts['test']).toContain(`node ${flags} `);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(
      `CMD ["node", ${SERVER_NODE_FLAGS.map((f) => JSON.stringify(f)).join(', ')}, "src/main.ts"]`,
    );
  });
});

describe('configuration errors', () => {
  it('PORT=abc stops the process with one line naming the variable', async () => {
    const { code, stdout, stderr } = await runScript('src/main.ts', [], { PORT: 'abc', DATA_DIR: freshDir() });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('gatehouse: configuration error: PORT: must be a whole number from 0 to 65535 (got "abc")\n');
  });

  it('production without SECRET_KEY refuses to start', async () => {
    const { code, stderr } = await runScript('src/main.ts', [], { NODE_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:1/x' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'gatehouse: configuration error: SECRET_KEY: required when NODE_ENV=production (at least 32 characters)',
    ]);
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request after SIGTERM, then exits 0', async () => {
    const server = await spawnServer(embedded(freshDir()), 90_000);
    const url = new URL(`${server.url}/api/v1/slow-upload`);
    // A request whose body is still arriving when the signal comes.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': '17' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write('{"hello":');
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end('"world"}'), 300);
      }, 200);
    });
    const { status, body } = await response;
    expect(status).toBe(404);
    expect(JSON.parse(body).errors[0].code).toBe('NOT_FOUND');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/"signal":"SIGTERM"[\s\S]*"msg":"shut down"/);
    // New connections are refused once the server has stopped.
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
  }, 120_000);
});

describe('graceful shutdown under sign-in load', () => {
  it('completes JSON sign-ins and refreshes in flight when SIGTERM arrives: their tokens need no call to our own listener', async () => {
    // bcrypt at cost 10 keeps the sign-ins queued behind the hash gate while the signal comes.
    const server = await spawnServer({ ...embedded(freshDir()), BCRYPT_COST: '10' }, 90_000);
    const demo = await server.waitForOutput('Sign in now');
    const userPassword = /user@demo\.test\s+password (\S+)/.exec(demo)?.[1] as string;
    const adminPassword = /admin@demo\.test\s+password (\S+)/.exec(demo)?.[1] as string;
    // One fresh connection per request (no keep-alive pool), so every request is on the wire before the signal.
    const call = (path: string, body: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const payload = JSON.stringify(body);
        const url = new URL(`${server.url}/api/v1/auth${path}`);
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            agent: false,
            headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'X-Tenant-ID': 'demo' },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    const signIn = (email: string, password: string) => call('/login', { usernameOrEmail: email, password });
    // The refreshes belong to another user than the sign-ins: at the tenant's session limit a new sign-in ends
    // that user's oldest session, and the refresh of an ended session is refused, as it should be.
    const refreshTokens: string[] = [];
    for (let i = 0; i < 4; i += 1) refreshTokens.push(JSON.parse((await signIn('admin@demo.test', adminPassword)).body).data.refreshToken);

    const inFlight = [
      ...Array.from({ length: 8 }, () => signIn('user@demo.test', userPassword)),
      ...refreshTokens.map((refreshToken) => call('/refresh', { refreshToken })),
    ].map((p) => p.then((res) => res.status));
    inFlight.forEach((p) => p.catch(() => {})); // each is awaited below
    // Once the first answer is back, the others have been sent and are being worked on.
    await Promise.race(inFlight);
    server.child.kill('SIGTERM');
    const statuses = await Promise.all(inFlight);
    expect(statuses).toEqual(statuses.map(() => 200));
    expect(await server.exited).toBe(0);
  }, 120_000);
});

/** What a newcomer does with the banner: open the link, sign in as the demo user, redeem the code. */
async function signInWithPrintedDemo(output: string, url: string): Promise<void> {
  const password = /user@demo\.test\s+password (\S+)/.exec(output)?.[1] as string;
  const [, clientId, clientSecret] = /client\s+(\S+)\s+secret (\S+)/.exec(output) as RegExpExecArray;
  const authorize = /^\s+(http\S+\/oauth2\/authorize\S+)$/m.exec(output)?.[1] as string;
  const browser = new FormBrowser();
  const page = await browser.follow(authorize, url);
  const posted = await submitLogin(browser, url, await page.res.text(), 'user@demo.test', password);
  const callback = await browser.follow(new URL(posted.headers.get('location') as string, url).href, url);
  expect(callback.url).toContain('/demo/callback?code=');
  expect(await callback.res.text()).toContain('Signed in');
  const code = new URL(callback.url).searchParams.get('code') as string;
  const res = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: new URL(callback.url).origin + '/demo/callback' }),
  });
  expect(res.status).toBe(200);
  expect(await readJson(res)).toMatchObject({ token_type: 'Bearer', id_token: expect.any(String), refresh_token: expect.any(String) });
}

describeWithSharedServices('WORKERS', () => {
  it('runs several processes on one port, each answering, and stops them all on SIGTERM', async () => {
    const env = await createTestEnv();
    try {
      const port = await freePort();
      const server = await spawnServer(
        { ...env.vars, WORKERS: '2', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info' },
        90_000,
      );
      try {
        // Both workers start listening; requests are spread over them.
        const deadline = Date.now() + 30_000;
        while ((server.output().match(/"msg":"listening"/g) ?? []).length < 2 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        for (let i = 0; i < 20; i += 1) expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
        const pids = new Set(
          [...server.output().matchAll(/"pid":(\d+),"requestId":"[^"]+","method":"GET","path":"\/health\/ready"/g)].map((m) => m[1]),
        );
        expect(pids.size).toBe(2);
      } finally {
        expect(await server.stop('SIGTERM')).toBe(0);
      }
      expect((server.output().match(/"msg":"shut down"/g) ?? []).length).toBe(2);
    } finally {
      await env.destroy();
    }
  }, 120_000);
});
