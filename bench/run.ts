// `npm run bench`: starts Gatehouse (child process, real PostgreSQL and Redis, WORKERS=1 then 2), a bare
// oidc-provider (bench/bare-provider.ts) in memory and with its models in PostgreSQL (`bare-pg`), and the peer (bench/peer-server.ts: @node-oauth/oauth2-server on Koa),
// loads each with autocannon, prints req/s, p50, p99, errors, CPU per request and the ratios to the bare provider,
// and cleans up its database and Redis keys. Figures come from here, never from tests.
//   npm run bench -- [--duration 10] [--only client_credentials,refresh_token] [--workers 1,2] [--json out.json] [--profile]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Options, type Result } from 'autocannon';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcrypt';
import { Redis } from 'ioredis';
import pg from 'pg';
import { FormBrowser, formAction, hiddenField } from '../test/helpers/form-browser.ts';
import { SERVER_NODE_FLAGS } from '../test/helpers/processes.ts';
import { freePort } from '../test/helpers/test-server.ts';
import { BARE_CLIENT, BARE_OPAQUE_CLIENT, BARE_REDIRECT_URI, PEER_CLIENT } from './bare-clients.ts';
import { cpuSnapshot, cpuUse, type CpuUse } from './cpu.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');
const SCENARIOS = [
  'client_credentials',
  'refresh_token',
  'introspection',
  'discovery',
  'jwks',
  'login',
  'json_refresh',
  'code_flow',
  'login_large_unknown',
  'login_large_known',
  'login_argon2id',
] as const;
type Scenario = (typeof SCENARIOS)[number];
/** Hash-bound scenarios run on one worker only: more processes do not add cores. */
const SINGLE_WORKER_ONLY = new Set<Scenario>(['login', 'json_refresh', 'code_flow', 'login_large_unknown', 'login_large_known']);
/** Scenarios of Gatehouse alone (no bare or peer counterpart). */
const GATEHOUSE_ONLY = new Set<Scenario>(['login', 'json_refresh', 'login_large_unknown', 'login_large_known', 'login_argon2id']);
/** The peer serves the token endpoint only. */
const PEER_SCENARIOS = new Set<Scenario>(['client_credentials', 'refresh_token']);
/** The large tenant: this many users, signed in to by unknown and by known emails. */
const LARGE_TENANT_USERS = 100_000;
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const PASSWORD = 'bench password, long enough';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
    workers: { type: 'string', default: '1,2' },
    json: { type: 'string' },
    'bcrypt-cost': { type: 'string', default: '12' },
    'log-level': { type: 'string', default: 'info' },
    'pool-max': { type: 'string', default: '10' },
    /** Unmeasured seconds of each scenario on each server before its first measured run (the JIT's compile threads). */
    warmup: { type: 'string', default: '5' },
    /** Writes V8 CPU profiles of the Gatehouse processes to bench/results/profiles (open in Chrome DevTools). */
    profile: { type: 'boolean', default: false },
  },
});
const DURATION = Number(args.duration);
/** Side-by-side scenarios run in this many rounds of DURATION / ROUNDS seconds per target. */
const ROUNDS = Number(args.rounds);
/** Seconds of the autocannon run in progress. */
let roundSeconds = DURATION;
const WARMUP = Number(args.warmup);
/** `scenario|target` pairs already warmed up. */
const warmed = new Set<string>();
const CONNECTIONS = Number(args.connections);
const FLOW_CONCURRENCY = 10;
const only = new Set((args.only?.split(',') ?? SCENARIOS).map((s) => s.trim()) as Scenario[]);
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s} (${SCENARIOS.join(', ')})`);
const workerCounts = args.workers.split(',').map(Number);

interface Row {
  scenario: Scenario;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** answers other than 2xx (counted in errors unless the scenario expects them) */
  nonOk?: number;
  requests: number;
  /** CPU spent during the run (server, PostgreSQL, Redis per request; machine shares) */
  cpu?: CpuUse;
}

interface Target {
  name: string;
  url: string;
  ccBasic: string;
  flowBasic: string;
  introspectBasic: string;
  flowClientId: string;
  /** Pool of unused refresh tokens for the flow client: each request takes one and puts back the one it gets. */
  refreshPool: string[];
  introspectToken: string;
  login?: { tenant: string; email: string };
  /** The large tenant's tenant id and one of its users' emails. */
  large?: { tenant: string; email: string };
  /** Pool of unused JSON API refresh tokens (from JSON sign-ins), used like refreshPool by `json_refresh`. */
  jsonRefreshPool: string[];
  /** Runs one complete authorization-code flow and returns its tokens. */
  flow(): Promise<{ access_token: string; refresh_token: string }>;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

// ---------------------------------------------------------------------------------------------------------------
// Processes

interface Child {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a script of the repository with its output in `logFile`; resolves once `ready` says so. */
function startChild(script: string, env: Record<string, string>, logFile: string, ready: () => Promise<boolean>): Promise<Child> {
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return (async () => {
    const started = Date.now();
    for (;;) {
      if (await ready().catch(() => false)) return { child, stop };
      if (child.exitCode !== null || Date.now() - started > 60_000) {
        await stop();
        throw new Error(`${script} did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
}

const answers = async (url: string) => (await fetch(url)).ok;

/** The CLI as a script uses it: JSON on stdout (stdout is a pipe); `stdin` answers --password-stdin. */
function runCli(env: Record<string, string>, cliArgs: string[], stdin = ''): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...cliArgs], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`gatehouse ${cliArgs.join(' ')}: ${err}`)),
    );
    child.stdin.end(stdin);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Authorization-code flows with plain HTTP (cookies, redirects, the login form)

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function redeem(url: string, basicAuth: string, callback: string, verifier: string) {
  const code = new URL(callback).searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback}`);
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...FORM, authorization: basicAuth },
    body: form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { access_token: string; refresh_token: string };
}

function authorizeUrl(base: string, path: string, clientId: string, challenge: string): string {
  const query = form({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid offline_access',
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  });
  return `${base}${path}?${query}`;
}

async function gatehouseFlow(base: string, clientId: string, basicAuth: string, email: string) {
  const browser = new FormBrowser();
  const { verifier, challenge } = pkce();
  const page = await browser.follow(authorizeUrl(base, '/oauth2/authorize', clientId, challenge), base);
  const html = await page.res.text();
  if (page.res.status !== 200) throw new Error(`login page answered ${page.res.status}: ${html.slice(0, 300)}`);
  const action = new URL(formAction(html, '/login'), base).href;
  const posted = await browser.post(action, { csrf: hiddenField(html, 'csrf'), usernameOrEmail: email, password: PASSWORD });
  const done = await browser.follow(action, base, posted);
  if (!done.url.startsWith(REDIRECT_URI)) throw new Error(`flow ended at ${done.url} (${done.res.status})`);
  return redeem(`${base}/oauth2/token`, basicAuth, done.url, verifier);
}

async function bareFlow(base: string) {
  const browser = new FormBrowser();
  const { verifier, challenge } = pkce();
  const done = await browser.follow(authorizeUrl(base, '/auth', BARE_CLIENT.id, challenge), base);
  if (!done.url.startsWith(BARE_REDIRECT_URI)) throw new Error(`bare flow ended at ${done.url} (${done.res.status})`);
  return redeem(`${base}/token`, basic(BARE_CLIENT.id, BARE_CLIENT.secret), done.url, verifier);
}

/** JSON API sign-ins (one bcrypt each) until the pool of JSON refresh tokens has `size` of them. */
async function fillJsonRefreshPool(target: Target, size: number): Promise<void> {
  const login = target.login;
  if (!login) throw new Error('json_refresh has no bare counterpart');
  const missing = Math.max(0, size - target.jsonRefreshPool.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: FLOW_CONCURRENCY }, async () => {
      while (next < missing) {
        next += 1;
        const res = await fetch(`${target.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tenant-id': login.tenant },
          body: JSON.stringify({ usernameOrEmail: login.email, password: PASSWORD }),
        });
        if (res.status !== 200) throw new Error(`JSON sign-in answered ${res.status}`);
        target.jsonRefreshPool.push(((await res.json()) as { data: { refreshToken: string } }).data.refreshToken);
      }
    }),
  );
}

async function fillRefreshPool(target: Target, size: number): Promise<void> {
  const missing = Math.max(0, size - target.refreshPool.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: FLOW_CONCURRENCY }, async () => {
      while (next < missing) {
        next += 1;
        target.refreshPool.push((await target.flow()).refresh_token);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

function toRow(scenario: Scenario, target: string, r: Result): Row {
  return {
    scenario,
    target,
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    nonOk: r.non2xx,
    requests: r.requests.total,
  };
}

async function load(scenario: Scenario, t: Target, oidcPaths: { token: string; introspect: string }): Promise<Row> {
  // The sign-ins measured for their CPU each run with two connections per core: enough to keep the cores busy,
  // few enough that the requests still queued when the run ends are not a large share of it.
  const connections = scenario.startsWith('login_') ? Math.min(CONNECTIONS, 2 * availableParallelism()) : CONNECTIONS;
  const run = async (options: Options) => toRow(scenario, t.name, await autocannon({ connections, duration: roundSeconds, ...options }));
  const tokenUrl = `${t.url}${oidcPaths.token}`;
  switch (scenario) {
    case 'client_credentials':
      return run({
        url: tokenUrl,
        method: 'POST',
        headers: { ...FORM, authorization: t.ccBasic },
        body: form({ grant_type: 'client_credentials' }),
      });
    case 'refresh_token': {
      const pool = t.refreshPool;
      return run({
        url: tokenUrl,
        method: 'POST',
        headers: { ...FORM, authorization: t.flowBasic },
        requests: [
          {
            setupRequest: (req) => ({ ...req, body: form({ grant_type: 'refresh_token', refresh_token: pool.shift() ?? 'pool-empty' }) }),
            onResponse: (status, body) => {
              if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
            },
          },
        ],
      });
    }
    case 'introspection':
      return run({
        url: `${t.url}${oidcPaths.introspect}`,
        method: 'POST',
        headers: { ...FORM, authorization: t.introspectBasic },
        body: form({ token: t.introspectToken }),
      });
    case 'discovery':
      return run({ url: `${t.url}/.well-known/openid-configuration` });
    case 'jwks':
      return run({ url: `${t.url}${t.name.startsWith('bare') ? '/jwks' : '/.well-known/jwks.json'}` });
    case 'login':
    case 'login_argon2id':
    case 'login_large_unknown':
    case 'login_large_known': {
      const account = scenario.startsWith('login_large') ? t.large : t.login;
      if (!account) throw new Error(`${scenario} has no bare counterpart`);
      // Unknown emails (a new one each time) are refused with 401 after the same one hash: anything else is an error.
      const unknown = scenario === 'login_large_unknown';
      let n = 0;
      let wrong = 0;
      const row = await run({
        url: `${t.url}/api/v1/auth/login`,
        method: 'POST',
        timeout: 120,
        headers: { 'content-type': 'application/json', 'x-tenant-id': account.tenant },
        body: JSON.stringify({ usernameOrEmail: account.email, password: PASSWORD }),
        ...(unknown && {
          requests: [
            {
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({ usernameOrEmail: `nobody${(n += 1)}@large.test`, password: PASSWORD }),
              }),
              onResponse: (status) => {
                if (status !== 401) wrong += 1;
              },
            },
          ],
        }),
      });
      return unknown ? { ...row, errors: row.errors - (row.nonOk ?? 0) + wrong } : row;
    }
    case 'json_refresh': {
      if (!t.login) throw new Error('json_refresh has no bare counterpart');
      const pool = t.jsonRefreshPool;
      return run({
        url: `${t.url}/api/v1/auth/refresh`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-id': t.login.tenant },
        requests: [
          {
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ refreshToken: pool.shift() ?? 'pool-empty' }) }),
            onResponse: (status, body) => {
              if (status === 200) pool.push((JSON.parse(body) as { data: { refreshToken: string } }).data.refreshToken);
            },
          },
        ],
      });
    }
    case 'code_flow':
      return flowsPerSecond(t);
  }
}

/** One row of several rounds of a scenario on one target: their requests, errors and CPU added up. */
function mergeRounds(rounds: Row[]): Row {
  const first = rounds[0] as Row;
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const sum = (f: (r: Row) => number) => rounds.reduce((n, r) => n + f(r), 0);
  const weighted = (f: (c: CpuUse) => number) => sum((r) => (r.cpu ? f(r.cpu) * r.requests : 0)) / (requests || 1);
  const mean = (f: (c: CpuUse) => number) => sum((r) => (r.cpu ? f(r.cpu) : 0)) / rounds.length;
  return {
    ...first,
    rps: sum((r) => r.rps) / rounds.length,
    p50: sum((r) => r.p50 * r.requests) / (requests || 1),
    p99: Math.max(...rounds.map((r) => r.p99)),
    errors: sum((r) => r.errors),
    requests,
    ...(first.cpu && {
      cpu: {
        serverMs: weighted((c) => c.serverMs),
        serverSys: mean((c) => c.serverSys),
        postgresMs: weighted((c) => c.postgresMs),
        redisMs: weighted((c) => c.redisMs),
        busy: mean((c) => c.busy),
        steal: mean((c) => c.steal),
      },
    }),
  };
}

/** The pids of the PostgreSQL backends connected to the benchmark's database (set once it exists). */
let benchBackends: () => Promise<Set<number>> = async () => new Set();

/** Runs a scenario and adds the CPU it cost; the refresh pool is filled (code flows, bcrypt) before measuring. */
async function measured(
  serverPid: number | undefined,
  scenario: Scenario,
  t: Target,
  oidcPaths: { token: string; introspect: string },
): Promise<Row> {
  const fillPools = async () => {
    if (scenario === 'refresh_token') await fillRefreshPool(t, CONNECTIONS + 20);
    if (scenario === 'json_refresh') await fillJsonRefreshPool(t, CONNECTIONS + 20);
  };
  await fillPools();
  // A fresh process spends its first seconds compiling (V8's optimising compiler runs on threads of the process
  // and its CPU counts): each server runs each scenario unmeasured first, so the figures are of warm servers.
  if (WARMUP > 0 && scenario !== 'code_flow' && !warmed.has(`${scenario}|${t.name}`)) {
    warmed.add(`${scenario}|${t.name}`);
    const measuredSeconds = roundSeconds;
    roundSeconds = WARMUP;
    await load(scenario, t, oidcPaths);
    roundSeconds = measuredSeconds;
    await fillPools(); // the tokens of the responses cut off at the end are lost
    // Requests cut off at the end of the warm-up are still being served (a queue of password hashes can take
    // seconds): their CPU must not fall into the measured run.
    if (serverPid !== undefined) await settled(serverPid);
  }
  const before = serverPid === undefined ? undefined : cpuSnapshot(serverPid, await benchBackends());
  const row = await load(scenario, t, oidcPaths);
  if (before && serverPid !== undefined) row.cpu = cpuUse(before, cpuSnapshot(serverPid, await benchBackends()), row.requests);
  return row;
}

/** Waits (up to 30 s) until the server's process tree uses less than a tenth of a core. */
async function settled(serverPid: number): Promise<void> {
  const until = Date.now() + 30_000;
  let last = cpuSnapshot(serverPid, new Set()).server;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = cpuSnapshot(serverPid, new Set()).server;
    if (now - last < 25) return;
    last = now;
  }
}

/** Complete authorization-code flows per second with FLOW_CONCURRENCY browsers; each flow's refresh token joins the pool. */
async function flowsPerSecond(t: Target): Promise<Row> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + DURATION * 1000;
  await Promise.all(
    Array.from({ length: FLOW_CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const begun = performance.now();
        try {
          t.refreshPool.push((await t.flow()).refresh_token);
          latencies.push(performance.now() - begun);
        } catch (err) {
          errors += 1;
          if (errors <= 3) process.stderr.write(`  code flow failed: ${(err as Error).message}\n`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    scenario: 'code_flow',
    target: t.name,
    rps: latencies.length / elapsed,
    p50: Math.round(pct(50)),
    p99: Math.round(pct(99)),
    errors,
    requests: latencies.length + errors,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Setup, run, report, clean up

/**
 * The bcrypt ceiling: 1/hash-time per core times the cores (the issue's definition), and what bcrypt alone reaches
 * right now with every core busy (`measured`): on a shared machine the second is the fairer yardstick.
 */
async function bcryptCeiling(cost: number) {
  const hash = await bcrypt.hash(PASSWORD, cost);
  const rounds = 8;
  let started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) await bcrypt.compare(PASSWORD, hash);
  const hashMs = (performance.now() - started) / rounds;
  const hashCpuMs = cpuMsSince(cpu) / rounds;
  let done = 0;
  started = performance.now();
  const until = started + Math.max(2000, hashMs * 10);
  await Promise.all(
    Array.from({ length: availableParallelism() }, async () => {
      while (performance.now() < until) {
        await bcrypt.compare(PASSWORD, hash);
        done += 1;
      }
    }),
  );
  const measured = done / ((performance.now() - started) / 1000);
  return { cost, hashMs, hashCpuMs, perCore: 1000 / hashMs, ceiling: (1000 / hashMs) * availableParallelism(), measured };
}

/** CPU ms of this process (all its threads: libuv's pool hashes) since `start`. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** argon2id at the default settings (m=19 MiB, t=2, p=1): one verify's CPU time, and the hashes/s per core it allows. */
async function argon2Ceiling() {
  const hash = await argon2Hash(PASSWORD, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const rounds = 20;
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) await argon2Verify(hash, PASSWORD);
  const hashCpuMs = cpuMsSince(cpu) / rounds;
  return { hashCpuMs, perCore: 1000 / hashCpuMs };
}

/**
 * The large tenant: LARGE_TENANT_USERS verified users generated in one INSERT … SELECT, all with the same hash of
 * PASSWORD (the lookup is what scales, not the hash), half of them with a username.
 */
async function loadLargeTenant(databaseUrl: string, tenantId: string, passwordHash: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into users (tenant_id, email, username, password_hash, email_verified)
       select $1, 'user' || i || '@large.test', case when i % 2 = 0 then 'large' || i end, $2, true from generate_series(1, $3::int) i`,
      [tenantId, passwordHash, LARGE_TENANT_USERS],
    );
    await client.query('analyze users');
  } finally {
    await client.end();
  }
}

function printTable(
  rows: Row[],
  ceiling: Awaited<ReturnType<typeof bcryptCeiling>>,
  workers: number[],
  argon2: Awaited<ReturnType<typeof argon2Ceiling>> | undefined,
) {
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : '—');
  const cpuNum = (ms: number) => ms.toFixed(ms >= 10 ? 0 : 2);
  const targets = [
    'gatehouse-w1',
    ...workers.filter((w) => w !== 1).map((w) => `gatehouse-w${w}`),
    'gatehouse-argon2id',
    'bare',
    'bare-pg',
    'peer',
  ];
  const cpuOf = (r: Row) => (r.cpu ? r.cpu.serverMs + r.cpu.postgresMs : NaN);
  const lines = [
    `${pad('scenario', 20)}${pad('target', 15)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}${pad('cpu ms/req srv+pg', 26)}${pad('busy/steal', 12)}ratio`,
  ];
  for (const scenario of SCENARIOS) {
    const bare = rows.find((r) => r.scenario === scenario && r.target === 'bare');
    for (const target of targets) {
      const r = rows.find((x) => x.scenario === scenario && x.target === target);
      if (!r) continue;
      let ratio = '';
      if (target !== 'bare' && bare) ratio = `cpu ${(cpuOf(r) / cpuOf(bare)).toFixed(2)}× bare, req/s ${(r.rps / bare.rps).toFixed(2)}×`;
      const barePg = rows.find((x) => x.scenario === scenario && x.target === 'bare-pg');
      if (target === 'gatehouse-w1' && barePg) ratio += `, cpu ${(cpuOf(r) / cpuOf(barePg)).toFixed(2)}× bare-pg`;
      if (scenario === 'login' || scenario.startsWith('login_large'))
        ratio = `non-hash cpu ${(cpuOf(r) - ceiling.hashCpuMs).toFixed(1)} ms`;
      if (scenario === 'login')
        ratio += `; ${((r.rps / ceiling.ceiling) * 100).toFixed(0)}% of bcrypt ceiling (${((r.rps / ceiling.measured) * 100).toFixed(0)}% of measured)`;
      if (scenario === 'login_argon2id' && argon2)
        ratio = `non-hash cpu ${(cpuOf(r) - argon2.hashCpuMs).toFixed(1)} ms; ${(1000 / cpuOf(r)).toFixed(0)} logins/s per core of server+pg CPU`;
      if (target.startsWith('gatehouse-w') && target !== 'gatehouse-w1') {
        const w1 = rows.find((x) => x.scenario === scenario && x.target === 'gatehouse-w1');
        if (w1) ratio += `${ratio ? ', ' : ''}${(r.rps / w1.rps).toFixed(2)}× w1`;
      }
      const cpu = r.cpu ? `${cpuNum(r.cpu.serverMs)}+${cpuNum(r.cpu.postgresMs)} (${r.cpu.serverSys.toFixed(0)}% sys)` : '';
      const machine = r.cpu ? `${r.cpu.busy.toFixed(0)}%/${r.cpu.steal.toFixed(0)}%` : '';
      lines.push(
        `${pad(scenario, 20)}${pad(target, 15)}${pad(num(r.rps), 10)}${pad(num(r.p50), 9)}${pad(num(r.p99), 9)}${pad(String(r.errors), 8)}${pad(cpu, 26)}${pad(machine, 12)}${ratio}`,
      );
    }
  }
  lines.push(
    '',
    'cpu ms/req: CPU time of the server process tree + PostgreSQL per request (from /proc), and the kernel share of the',
    "server's; busy/steal: the machine's time over the run.",
    `bcrypt cost ${ceiling.cost}: ${ceiling.hashMs.toFixed(1)} ms per hash (${ceiling.hashCpuMs.toFixed(1)} ms of CPU) → ${ceiling.perCore.toFixed(1)}/s per core, ceiling ${ceiling.ceiling.toFixed(1)}/s on ${availableParallelism()} cores; measured with every core hashing: ${ceiling.measured.toFixed(1)}/s`,
    ...(argon2
      ? [`argon2id m=19 MiB t=2 p=1: ${argon2.hashCpuMs.toFixed(1)} ms of CPU per hash → ${argon2.perCore.toFixed(0)}/s per core`]
      : []),
    'non-hash cpu: server + PostgreSQL CPU per sign-in less one hash of the configured kind.',
  );
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const stamp = `${Date.now()}`;
  const dbName = `gh_bench_${stamp}`;
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).href;
  const redisPrefix = `gh_bench_${stamp}:`;
  const machine = { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  process.stdout.write(
    `machine: ${machine.nproc} cores, ${machine.cpu}, Node ${machine.node}; ${DURATION} s per scenario, ${CONNECTIONS} connections\n`,
  );

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  benchBackends = async () =>
    new Set((await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [dbName])).rows.map((r) => r.pid));
  const children: Child[] = [];
  const rows: Row[] = [];
  try {
    const port = await freePort();
    const randomSecret = randomBytes(48).toString('base64url');
    const gatehouseEnv = (workers: number, extra: Record<string, string> = {}): Record<string, string> => ({
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: redisPrefix,
      SECRET_KEY: randomSecret,
      BCRYPT_COST: args['bcrypt-cost'],
      WORKERS: String(workers),
      NODE_OPTIONS: [args.profile && `--cpu-prof --cpu-prof-dir=${join(RESULTS, 'profiles')}`, process.env.BENCH_SERVER_NODE_OPTIONS]
        .filter(Boolean)
        .join(' '),
      LOG_LEVEL: args['log-level'],
      DATABASE_POOL_MAX: args['pool-max'],
      // The limits stay on (their Redis round trips are part of the cost) but high enough not to refuse the load.
      RATE_LIMIT_TOKEN: '100000000/60',
      RATE_LIMIT_LOGIN: '100000000/60',
      RATE_LIMIT_LOGIN_ACCOUNT: '100000000/60',
      RATE_LIMIT_AUTHORIZE: '100000000/60',
      RATE_LIMIT_API: '100000000/60',
      IP_BLOCK_AFTER_TRIPS: '100000',
      IP_BLOCK_AFTER_ACCOUNTS: '100000',
      ...(process.env.BENCH_GATEHOUSE_ENV ? (JSON.parse(process.env.BENCH_GATEHOUSE_ENV) as Record<string, string>) : {}),
      ...extra,
    });
    const cliEnv = gatehouseEnv(1);
    await runCli(cliEnv, ['migrate']);
    const tenant = 'bench';
    await runCli(cliEnv, [
      'tenant',
      'create',
      '--id',
      tenant,
      '--name',
      'Bench',
      '--session-limit',
      '1000',
      '--session-strategy',
      'evict_oldest',
    ]);
    await runCli(cliEnv, ['user', 'create', '--tenant', tenant, '--email', 'login@bench.test', '--password-stdin'], `${PASSWORD}\n`);
    if (only.has('login_argon2id')) {
      await runCli(cliEnv, ['user', 'create', '--tenant', tenant, '--email', 'argon2@bench.test', '--password-stdin'], `${PASSWORD}\n`);
    }
    const large = { tenant: 'large', email: `user${LARGE_TENANT_USERS / 2}@large.test` };
    if (only.has('login_large_unknown') || only.has('login_large_known')) {
      // The same session policy as the bench tenant: one account signs in over and over.
      await runCli(cliEnv, [
        'tenant',
        'create',
        '--id',
        large.tenant,
        '--name',
        'Large',
        '--session-limit',
        '1000',
        '--session-strategy',
        'evict_oldest',
      ]);
      await loadLargeTenant(databaseUrl, large.tenant, await bcrypt.hash(PASSWORD, Number(args['bcrypt-cost'])));
    }
    // Browser flows sign in as several people, as real ones do (one person's sign-ins serialise on their session limit).
    const flowUsers = Array.from({ length: FLOW_CONCURRENCY }, (_, i) => `flow${i}@bench.test`);
    await Promise.all(
      flowUsers.map((email) =>
        runCli(cliEnv, ['user', 'create', '--tenant', tenant, '--email', email, '--password-stdin'], `${PASSWORD}\n`),
      ),
    );
    let nextFlowUser = 0;
    const cc = await runCli(cliEnv, [
      'client',
      'create',
      '--tenant',
      tenant,
      '--name',
      'Bench service',
      '--grant-type',
      'client_credentials',
    ]);
    const app = await runCli(cliEnv, [
      'client',
      'create',
      '--tenant',
      tenant,
      '--name',
      'Bench app',
      '--first-party',
      '--redirect-uri',
      REDIRECT_URI,
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
    ]);
    const ceiling = await bcryptCeiling(Number(args['bcrypt-cost']));

    const gatehouseTarget = (name: string): Target => {
      const url = `http://127.0.0.1:${port}`;
      const flowBasic = basic(app.client_id as string, app.client_secret as string);
      return {
        name,
        url,
        ccBasic: basic(cc.client_id as string, cc.client_secret as string),
        flowBasic,
        introspectBasic: basic(cc.client_id as string, cc.client_secret as string),
        flowClientId: app.client_id as string,
        refreshPool: [],
        jsonRefreshPool: [],
        introspectToken: '',
        login: { tenant, email: 'login@bench.test' },
        large,
        flow: () => gatehouseFlow(url, app.client_id as string, flowBasic, flowUsers[nextFlowUser++ % flowUsers.length] as string),
      };
    };

    const barePort = await freePort();
    const bare = await startChild('bench/bare-provider.ts', { PORT: String(barePort) }, join(RESULTS, 'bare.log'), () =>
      answers(`http://127.0.0.1:${barePort}/.well-known/openid-configuration`),
    );
    children.push(bare);
    const bareUrl = `http://127.0.0.1:${barePort}`;
    const bareTarget: Target = {
      name: 'bare',
      url: bareUrl,
      ccBasic: basic(BARE_CLIENT.id, BARE_CLIENT.secret),
      flowBasic: basic(BARE_CLIENT.id, BARE_CLIENT.secret),
      introspectBasic: basic(BARE_OPAQUE_CLIENT.id, BARE_OPAQUE_CLIENT.secret),
      flowClientId: BARE_CLIENT.id,
      refreshPool: [],
      jsonRefreshPool: [],
      introspectToken: '',
      flow: () => bareFlow(bareUrl),
    };
    // The bare provider answers only stored tokens at introspection: it introspects an opaque one.
    const opaque = await fetch(`${bareUrl}/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: bareTarget.introspectBasic },
      body: form({ grant_type: 'client_credentials' }),
    });
    bareTarget.introspectToken = ((await opaque.json()) as { access_token: string }).access_token;
    // The same provider with its models in PostgreSQL (bench/bare-provider.ts): the library plus a database, no more.
    const barePgPort = await freePort();
    const barePg = await startChild(
      'bench/bare-provider.ts',
      { PORT: String(barePgPort), DATABASE_URL: databaseUrl },
      join(RESULTS, 'bare-pg.log'),
      () => answers(`http://127.0.0.1:${barePgPort}/.well-known/openid-configuration`),
    );
    children.push(barePg);
    const barePgUrl = `http://127.0.0.1:${barePgPort}`;
    const barePgTarget: Target = {
      ...bareTarget,
      name: 'bare-pg',
      url: barePgUrl,
      refreshPool: [],
      introspectToken: '',
      flow: () => bareFlow(barePgUrl),
    };
    const peerPort = await freePort();
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const peer = await startChild(
      'bench/peer-server.ts',
      { PORT: String(peerPort), DATABASE_URL: databaseUrl },
      join(RESULTS, 'peer.log'),
      async () => (await fetch(`${peerUrl}/token`, { method: 'POST' })).status === 400,
    );
    children.push(peer);
    const peerBasic = basic(PEER_CLIENT.id, PEER_CLIENT.secret);
    const peerTarget: Target = {
      name: 'peer',
      url: peerUrl,
      ccBasic: peerBasic,
      flowBasic: peerBasic,
      introspectBasic: peerBasic,
      flowClientId: PEER_CLIENT.id,
      refreshPool: [],
      jsonRefreshPool: [],
      introspectToken: '',
      // Its first refresh tokens come from the password grant (a fixed account, no hash): the peer has no login page.
      flow: async () => {
        const res = await fetch(`${peerUrl}/token`, {
          method: 'POST',
          headers: { ...FORM, authorization: peerBasic },
          body: form({ grant_type: 'password', username: 'bench', password: 'bench' }),
        });
        if (res.status !== 200) throw new Error(`peer token endpoint answered ${res.status}: ${await res.text()}`);
        return (await res.json()) as { access_token: string; refresh_token: string };
      },
    };

    const gatehousePaths = { token: '/oauth2/token', introspect: '/oauth2/introspect' };
    const barePaths = { token: '/token', introspect: '/token/introspection' };
    const peerPaths = { token: '/token', introspect: '/none' };
    const refreshPool: string[] = [];
    let introspectToken = '';

    // Side by side: Gatehouse (one process), the bare provider and the peer take turns, ROUNDS short runs each per
    // scenario, so that what the neighbours on a shared machine do falls on all three alike.
    const sideBySide = SCENARIOS.filter((s) => only.has(s) && PEER_SCENARIOS.has(s));
    if (sideBySide.length > 0 && workerCounts.includes(1)) {
      const name = 'gatehouse-w1';
      process.stdout.write(`starting Gatehouse with WORKERS=1 for ${ROUNDS} rounds side by side with bare and peer\n`);
      const server = await startChild('src/main.ts', gatehouseEnv(1), join(RESULTS, `${name}.log`), () =>
        answers(`http://127.0.0.1:${port}/health/ready`),
      );
      children.push(server);
      const target = { ...gatehouseTarget(name), refreshPool };
      const turns: Array<[Target, number, { token: string; introspect: string }]> = [
        [target, server.child.pid as number, gatehousePaths],
        [bareTarget, bare.child.pid as number, barePaths],
        [barePgTarget, barePg.child.pid as number, barePaths],
        [peerTarget, peer.child.pid as number, peerPaths],
      ];
      roundSeconds = Math.max(2, Math.round(DURATION / ROUNDS));
      const byTarget = new Map<string, Row[]>();
      for (let round = 1; round <= ROUNDS; round += 1) {
        for (const scenario of sideBySide) {
          for (const [t, pid, paths] of turns) {
            process.stdout.write(`  round ${round}: ${t.name} ${scenario}…\n`);
            const key = `${scenario}|${t.name}`;
            byTarget.set(key, [...(byTarget.get(key) ?? []), await measured(pid, scenario, t, paths)]);
          }
        }
      }
      roundSeconds = DURATION;
      rows.push(...[...byTarget.values()].map(mergeRounds));
      await server.stop();
      children.splice(children.indexOf(server), 1);
    }
    for (const workers of workerCounts) {
      const name = `gatehouse-w${workers}`;
      const logFile = join(RESULTS, `${name}.log`);
      process.stdout.write(`starting Gatehouse with WORKERS=${workers} (log: ${logFile})\n`);
      const server = await startChild('src/main.ts', gatehouseEnv(workers), logFile, () =>
        answers(`http://127.0.0.1:${port}/health/ready`),
      );
      // Readiness answers once the first worker listens; give the others a moment to join.
      if (workers > 1) await new Promise((r) => setTimeout(r, 3000));
      children.push(server);
      const target = { ...gatehouseTarget(name), refreshPool };
      introspectToken ||= (await target.flow()).access_token;
      target.introspectToken = introspectToken;
      for (const scenario of SCENARIOS) {
        if (!only.has(scenario) || scenario === 'login_argon2id' || (workers !== 1 && SINGLE_WORKER_ONLY.has(scenario))) continue;
        if (workers === 1 && sideBySide.includes(scenario)) continue;
        process.stdout.write(`  ${name} ${scenario}…\n`);
        rows.push(await measured(server.child.pid, scenario, target, gatehousePaths));
        // autocannon stops with its last requests still queued at the server: a login run leaves ~50 hashes to do.
        if (scenario.startsWith('login')) {
          const queued = scenario === 'login' ? CONNECTIONS : 2 * availableParallelism();
          await new Promise((r) => setTimeout(r, (queued / ceiling.measured) * 1000 + 1000));
        }
      }
      await server.stop();
      children.splice(children.indexOf(server), 1);
    }

    let argon2: Awaited<ReturnType<typeof argon2Ceiling>> | undefined;
    if (only.has('login_argon2id')) {
      const name = 'gatehouse-argon2id';
      process.stdout.write(`starting Gatehouse with WORKERS=1 PASSWORD_HASH=argon2id\n`);
      const server = await startChild('src/main.ts', gatehouseEnv(1, { PASSWORD_HASH: 'argon2id' }), join(RESULTS, `${name}.log`), () =>
        answers(`http://127.0.0.1:${port}/health/ready`),
      );
      children.push(server);
      const target = { ...gatehouseTarget(name), login: { tenant, email: 'argon2@bench.test' } };
      // The first sign-in moves the CLI's bcrypt hash to argon2id; the measured ones verify argon2id only.
      const first = await fetch(`${target.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-id': tenant },
        body: JSON.stringify({ usernameOrEmail: 'argon2@bench.test', password: PASSWORD }),
      });
      if (first.status !== 200) throw new Error(`argon2id warm-up sign-in answered ${first.status}`);
      process.stdout.write(`  ${name} login…\n`);
      rows.push(await measured(server.child.pid, 'login_argon2id', target, gatehousePaths));
      await server.stop();
      children.splice(children.indexOf(server), 1);
      argon2 = await argon2Ceiling();
    }

    for (const scenario of SCENARIOS) {
      if (!only.has(scenario) || GATEHOUSE_ONLY.has(scenario) || sideBySide.includes(scenario)) continue;
      process.stdout.write(`  bare ${scenario}…\n`);
      rows.push(await measured(bare.child.pid, scenario, bareTarget, barePaths));
    }

    printTable(rows, ceiling, workerCounts, argon2);
    if (args.json) {
      writeFileSync(
        args.json,
        `${JSON.stringify({ machine, duration: DURATION, connections: CONNECTIONS, bcrypt: ceiling, argon2, rows }, null, 2)}\n`,
      );
      process.stdout.write(`\nwrote ${args.json}\n`);
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

await main();
