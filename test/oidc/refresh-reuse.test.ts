// Refresh token reuse (docs/security.md, "Refresh token reuse and the reuse interval"): concurrent redemptions of one
// token revoke the whole grant whichever request loses, on /oauth2/token and /api/v1/auth/refresh alike; within
// REFRESH_REUSE_INTERVAL_SECONDS a client retrying with the token it just rotated (its answer was lost, even with the
// process killed after the commit) gets a fresh successor instead, while a stolen token used after the interval, or
// after the chain moved on, still revokes the grant. Also pins the oidc-provider call order the rotation relies on.
import { jest } from '@jest/globals';
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { createLogger } from '../../src/logger.ts';
import { apiClientId } from '../../src/services/api-client.ts';
import { hashTokenId } from '../../src/oidc/adapters/token-ids.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { spawnServer } from '../helpers/processes.ts';
import { createTestEnv, TEST_SECRET_KEY, type TestEnv } from '../helpers/test-env.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';
const INVALID_REFRESH = '{"error":"invalid_grant","error_description":"Refresh token is invalid or expired"}';

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** One server with its tenant, user and an introspecting client. */
async function setUp(overrides: Record<string, string>, env?: TestEnv) {
  const server = await startTestServer(overrides, env);
  await makeTenant(server.ctx, 'acme');
  await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD);
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Acme back office',
    redirectUris: ['http://127.0.0.1:7777/callback'],
    grantTypes: ['client_credentials'],
    firstParty: true,
  });
  return { server, introspector: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}` };
}

function client(baseUrl: () => string, introspector: () => string) {
  const api = authApi(baseUrl);
  const login = async (): Promise<Tokens> => {
    const res = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } });
    expect(res.status).toBe(200);
    return { accessToken: res.body.data.accessToken, refreshToken: res.body.data.refreshToken };
  };
  /** A refresh on either endpoint; the tokens on success, the status and body otherwise. */
  const refresh = async (
    endpoint: 'oauth' | 'api',
    refreshToken: string,
    signal?: AbortSignal,
  ): Promise<{ ok: true; tokens: Tokens } | { ok: false; status: number; body: string }> => {
    if (endpoint === 'api') {
      const res = await fetch(`${baseUrl()}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': 'acme' },
        body: JSON.stringify({ refreshToken }),
        signal,
      });
      const body = await res.text();
      if (res.status !== 200) return { ok: false, status: res.status, body };
      const data = JSON.parse(body).data;
      return { ok: true, tokens: { accessToken: data.accessToken, refreshToken: data.refreshToken } };
    }
    const res = await fetch(`${baseUrl()}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: apiClientId('acme') }),
      signal,
    });
    const body = await res.text();
    if (res.status !== 200) return { ok: false, status: res.status, body };
    const parsed = JSON.parse(body);
    return { ok: true, tokens: { accessToken: parsed.access_token, refreshToken: parsed.refresh_token } };
  };
  const me = async (accessToken: string) => (await api('GET', '/me', { tenant: 'acme', token: accessToken })).status;
  const introspect = async (token: string): Promise<boolean> => {
    const res = await fetch(`${baseUrl()}/oauth2/introspect`, {
      method: 'POST',
      headers: { Authorization: introspector(), 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ token }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { active: boolean }).active;
  };
  /** The family is dead: the refresh token is refused, its access token too (by /me and by introspection). */
  const expectRevoked = async (tokens: Tokens, endpoint: 'oauth' | 'api') => {
    const again = await refresh(endpoint, tokens.refreshToken);
    expect(again.ok).toBe(false);
    expect(await me(tokens.accessToken)).toBe(401);
    expect(await introspect(tokens.accessToken)).toBe(false);
  };
  return { login, refresh, me, introspect, expectRevoked };
}

describe('without a reuse interval (REFRESH_REUSE_INTERVAL_SECONDS=0)', () => {
  let server: TestServer;
  let introspector: string;
  const c = client(
    () => server.url,
    () => introspector,
  );
  beforeAll(async () => {
    ({ server, introspector } = await setUp({ REFRESH_REUSE_INTERVAL_SECONDS: '0' }));
  }, 60_000);
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => server.stop());

  it('pins the order oidc-provider calls the adapter in on a rotation: find, consume, then save the successor', async () => {
    const tokens = await c.login();
    const adapter = server.oidc.provider().RefreshToken.adapter;
    const calls: string[] = [];
    for (const method of ['find', 'consume', 'upsert', 'destroy', 'revokeByGrantId'] as const) {
      const original = adapter[method].bind(adapter) as (...args: unknown[]) => Promise<unknown>;
      jest.spyOn(adapter, method).mockImplementation((...args: unknown[]) => {
        calls.push(method);
        return original(...args) as never;
      });
    }
    const rotated = await c.refresh('oauth', tokens.refreshToken);
    expect(rotated.ok).toBe(true);
    // The rotation statement (consume + save + audit in one) depends on exactly this: an oidc-provider upgrade that
    // saves before consuming, or stops consuming, must fail here rather than rotate without spending the old token.
    expect(calls).toEqual(['find', 'consume', 'upsert']);
    const [row] = await server.ctx
      .db('oidc_payloads')
      .where({ model_name: 'RefreshToken', id: hashTokenId(TEST_SECRET_KEY, tokens.refreshToken) });
    expect(row.consumed_at).toBeInstanceOf(Date);
  });

  it('revokes the whole grant on every concurrent reuse, on both endpoints, whichever request loses', async () => {
    const trials = 16;
    for (let trial = 0; trial < trials; trial += 1) {
      const endpoint = trial % 2 === 0 ? 'oauth' : 'api';
      const tokens = await c.login();
      if (trial === 0) expect(await c.me(tokens.accessToken)).toBe(200);
      const racers = 2 + (trial % 4);
      const results = await Promise.all(Array.from({ length: racers }, () => c.refresh(endpoint, tokens.refreshToken)));
      const winners = results.flatMap((r) => (r.ok ? [r.tokens] : []));
      expect({ trial, endpoint, winners: winners.length }).toEqual({ trial, endpoint, winners: 1 });
      for (const r of results) if (!r.ok && endpoint === 'oauth') expect(r.body).toBe(INVALID_REFRESH);
      for (const r of results) if (!r.ok && endpoint === 'api') expect(r.status).toBe(401);
      await c.expectRevoked(winners[0] as Tokens, endpoint);
    }
    const reuses = await server.ctx.db('audit_events').where({ type: 'token.refresh_reuse', tenant_id: 'acme' }).count({ n: '*' });
    expect(Number(reuses[0]?.n)).toBeGreaterThanOrEqual(trials);
  }, 120_000);
});

describe('with a reuse interval', () => {
  let server: TestServer;
  let introspector: string;
  const c = client(
    () => server.url,
    () => introspector,
  );
  beforeAll(async () => {
    ({ server, introspector } = await setUp({ REFRESH_REUSE_INTERVAL_SECONDS: '60' }));
  }, 60_000);
  afterAll(() => server.stop());

  const storedId = (token: string) => hashTokenId(TEST_SECRET_KEY, token);
  const consumedAt = async (token: string) =>
    (
      await server.ctx
        .db('oidc_payloads')
        .where({ model_name: 'RefreshToken', id: storedId(token) })
        .first('consumed_at')
    )?.consumed_at;

  it.each(['oauth', 'api'] as const)(
    'lets a retry of a rotation whose answer was lost succeed (%s), and the lost successor dies',
    async (endpoint) => {
      const first = await c.login();
      // The rotation commits, but the client never reads the answer.
      const abort = new AbortController();
      const lost = c.refresh(endpoint, first.refreshToken, abort.signal).catch(() => undefined);
      await waitFor(async () => (await consumedAt(first.refreshToken)) instanceof Date);
      abort.abort();
      await lost;
      const [lostSuccessor] = await server.ctx
        .db('oidc_payloads')
        .where({ model_name: 'RefreshToken', id: storedId(first.refreshToken) })
        .pluck('successor_id');

      const retried = await c.refresh(endpoint, first.refreshToken);
      if (!retried.ok) throw new Error(`retry refused: ${retried.status} ${retried.body}`);
      expect(await c.me(retried.tokens.accessToken)).toBe(200);
      // The successor the lost answer carried is spent: only the retry's token goes on.
      const superseded = await server.ctx
        .db('oidc_payloads')
        .where({ model_name: 'RefreshToken', id: lostSuccessor })
        .first('consumed_at', 'revoked_at');
      expect(superseded).toEqual({ consumed_at: expect.any(Date), revoked_at: null });
      const next = await c.refresh(endpoint, retried.tokens.refreshToken);
      expect(next.ok).toBe(true);
    },
  );

  it('still revokes the grant when a rotated token comes back after the interval', async () => {
    const first = await c.login();
    const rotated = await c.refresh('oauth', first.refreshToken);
    if (!rotated.ok) throw new Error('rotation refused');
    // The interval has passed for this token (moved back in time rather than waited for).
    await server.ctx
      .db('oidc_payloads')
      .where({ model_name: 'RefreshToken', id: storedId(first.refreshToken) })
      .update({ consumed_at: new Date(Date.now() - 61_000) });
    const stolen = await c.refresh('oauth', first.refreshToken);
    expect(stolen).toEqual({ ok: false, status: 400, body: INVALID_REFRESH });
    await c.expectRevoked(rotated.tokens, 'oauth');
  });

  it('still revokes the grant when a rotated token comes back after its successor was used, however soon', async () => {
    const first = await c.login();
    const second = await c.refresh('api', first.refreshToken);
    if (!second.ok) throw new Error('rotation refused');
    const third = await c.refresh('api', second.tokens.refreshToken);
    if (!third.ok) throw new Error('rotation refused');
    const stolen = await c.refresh('api', first.refreshToken);
    expect(stolen.ok).toBe(false);
    await c.expectRevoked(third.tokens, 'api');
  });

  it('revokes the grant when a superseded successor (the answer the retry replaced) is used', async () => {
    const first = await c.login();
    const lostAnswer = await c.refresh('oauth', first.refreshToken);
    const retried = await c.refresh('oauth', first.refreshToken);
    if (!lostAnswer.ok || !retried.ok) throw new Error('rotation refused');
    const late = await c.refresh('oauth', lostAnswer.tokens.refreshToken);
    expect(late).toEqual({ ok: false, status: 400, body: INVALID_REFRESH });
    await c.expectRevoked(retried.tokens, 'oauth');
  });

  it('leaves at most one live refresh token after concurrent uses of one token', async () => {
    for (let trial = 0; trial < 6; trial += 1) {
      const tokens = await c.login();
      const results = await Promise.all(Array.from({ length: 2 + (trial % 3) }, () => c.refresh('oauth', tokens.refreshToken)));
      const issued = results.flatMap((r) => (r.ok ? [r.tokens.refreshToken] : []));
      expect(issued.length).toBeGreaterThanOrEqual(1);
      const live = (await Promise.all(issued.map((t) => c.introspect(t)))).filter(Boolean);
      expect(live.length).toBeLessThanOrEqual(1);
    }
  }, 60_000);
});

// Two server processes on one database: embedded PGlite is single-process.
describeWithSharedServices('a process killed after the rotation committed, before answering', () => {
  let env: TestEnv;
  let database: Database;
  afterAll(async () => {
    await database?.close();
    await env?.destroy();
  });

  it('lets the client retry with its old token on another process within the interval', async () => {
    env = await createTestEnv();
    const port = await freePort();
    const vars = {
      ...env.vars,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      REFRESH_REUSE_INTERVAL_SECONDS: '60',
    };
    const doomed = await spawnServer(vars);
    let survivor: TestServer | undefined;
    try {
      database = openDatabase(env.config(vars));
      const deps = { config: env.config(vars), db: database.db, logger: createLogger({ logLevel: 'silent' }) };
      await makeTenant(deps, 'acme');
      await makeUser(deps, 'acme', 'ann@acme.test', PASSWORD);
      const c = client(
        () => doomed.url,
        () => '',
      );
      const first = await c.login();

      const lost = c.refresh('api', first.refreshToken).catch(() => undefined);
      await waitFor(async () => {
        const row = await database
          .db('oidc_payloads')
          .where({ model_name: 'RefreshToken', id: hashTokenId(TEST_SECRET_KEY, first.refreshToken) })
          .first('consumed_at');
        return row?.consumed_at instanceof Date;
      });
      await doomed.stop('SIGKILL');
      await lost;

      // Another process of the same deployment (same address, database and Redis) takes over.
      survivor = await startTestServer({ PORT: String(port), REFRESH_REUSE_INTERVAL_SECONDS: '60' }, env);
      const after = client(
        () => (survivor as TestServer).url,
        () => '',
      );
      const retried = await after.refresh('api', first.refreshToken);
      if (!retried.ok) throw new Error(`retry refused: ${retried.status} ${retried.body}`);
      expect(await after.me(retried.tokens.accessToken)).toBe(200);
    } finally {
      await doomed.stop('SIGKILL');
      await survivor?.stop();
    }
  }, 120_000);
});

/** Polls a condition (the state another process writes) until it holds. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
