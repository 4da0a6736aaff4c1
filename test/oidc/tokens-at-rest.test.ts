// docs/security.md, "Tokens at rest": a copy of the database (every table) or of the test's Redis keys holds none of
// the live secrets a client or browser just obtained — refresh tokens, authorization codes, initial access tokens,
// session and interaction cookies — only keyed hashes of them.
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { up as hashStoredIds } from '../../migrations/20261130160000_hash-oidc-token-ids.ts';
import { openDatabase } from '../../src/db/knex.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { PostgresAdapter } from '../../src/oidc/adapters/postgres-adapter.ts';
import { hashTokenId, storedIdOf } from '../../src/oidc/adapters/token-ids.ts';
import { createInitialAccessToken } from '../../src/oidc/registration.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { createTestEnv, TEST_SECRET_KEY } from '../helpers/test-env.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';

let server: TestServer;
let rp: oidc.Configuration;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeUser(server.ctx, 'acme', 'ann@acme.test', 'correct horse battery');
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Acme CRM',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
    firstParty: true,
  });
  rp = await discoverRp(server.url, client.clientId, clientSecret);
}, 60_000);
afterAll(() => server.stop());

/** Every row of every table of the server's database, as text. */
async function databaseDump(): Promise<string> {
  const { rows: tables } = await server.ctx.db.raw<{ rows: Array<{ table_name: string }> }>(
    `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`,
  );
  expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['oidc_payloads', 'sessions', 'session_grants', 'audit_events']));
  const parts: string[] = [];
  for (const { table_name: table } of tables) parts.push(JSON.stringify(await server.ctx.db(table).select('*')));
  return parts.join('\n');
}

/** Every key of the test's Redis prefix with its value. */
async function redisDump(): Promise<string> {
  const prefix = server.env.vars.REDIS_KEY_PREFIX;
  if (!prefix) return '';
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const parts: string[] = [];
    for (const key of await redis.keys(`${prefix}*`)) {
      const type = await redis.type(key);
      const value = type === 'string' ? await redis.get(key) : type === 'set' ? await redis.smembers(key) : await redis.dump(key);
      parts.push(`${key} ${JSON.stringify(value)}`);
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

it('stores no live refresh token, code, initial access token or cookie value in the database or Redis', async () => {
  const { callback, verifier, state, browser } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: 'ann@acme.test',
    password: 'correct horse battery',
  });
  const code = callback.searchParams.get('code') as string;
  const sessionCookie = browser.cookie('_session') as string;
  expect(sessionCookie).toEqual(expect.any(String));
  const first = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  const rotated = await oidc.refreshTokenGrant(rp, first.refresh_token as string);

  // The JSON API's sign-in and an initial access token (the one secret an admin is shown once).
  const api = authApi(() => server.url);
  const login = await api('POST', '/login', {
    tenant: 'acme',
    body: { usernameOrEmail: 'ann@acme.test', password: 'correct horse battery' },
  });
  expect(login.status).toBe(200);
  const { token: initialAccessToken } = await createInitialAccessToken(server.ctx, server.oidc.provider(), 'acme', 600, {
    actorId: 'test',
  });

  // A second browser stops at the login page: its interaction is live.
  const pending = await signInAbandoned();

  const secrets = {
    code,
    sessionCookie,
    firstRefresh: first.refresh_token as string,
    liveRefresh: rotated.refresh_token as string,
    apiRefresh: login.body.data.refreshToken as string,
    initialAccessToken,
    interaction: pending,
  };
  for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(20);

  const [database, redis] = [await databaseDump(), await redisDump()];
  // The dump is real: the rows are there, under other ids.
  expect(database).toContain('"model_name":"RefreshToken"');
  for (const [name, value] of Object.entries(secrets)) {
    expect({ name, inDatabase: database.includes(value), inRedis: redis.includes(value) }).toEqual({
      name,
      inDatabase: false,
      inRedis: false,
    });
  }

  // And the stored forms still work: the live refresh token rotates, the initial access token registers a client.
  await expect(oidc.refreshTokenGrant(rp, secrets.liveRefresh)).resolves.toMatchObject({ refresh_token: expect.any(String) });
  const registered = await fetch(`${server.url}/oauth2/register`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${initialAccessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ redirect_uris: ['https://app.example/cb'], client_name: 'Registered' }),
  });
  expect(registered.status).toBe(201);
});

/** Starts an authorization in a fresh browser and returns its interaction id (the cookie and the page URL carry it). */
async function signInAbandoned(): Promise<string> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const res = await fetch(url.href.replace(/^https?:\/\/[^/]+/, server.url), { redirect: 'manual' });
  const location = res.headers.get('location') as string;
  const uid = /\/interaction\/([^/?#]+)/.exec(location)?.[1];
  expect(uid).toEqual(expect.any(String));
  return uid as string;
}

it('migrates rows stored before hashing: their ids become the keyed hash, jti leaves the payload, and they still work', async () => {
  const env = await createTestEnv();
  const database = openDatabase(env.config());
  try {
    await migrateToLatest(database.db, { secretKey: TEST_SECRET_KEY });
    const now = Math.floor(Date.now() / 1000);
    const legacy = (model: string, id: string, extra: Record<string, unknown> = {}) => ({
      model_name: model,
      id,
      payload: JSON.stringify({ iat: now, exp: now + 600, kind: model, jti: id, ...extra }),
      grant_id: (extra.grantId as string | undefined) ?? null,
      expires_at: new Date(Date.now() + 600_000),
    });
    await database
      .db('oidc_payloads')
      .insert([
        legacy('RefreshToken', 'legacy-refresh-token-0123456789', { grantId: 'g-legacy', clientId: 'c-1', accountId: 'a-1' }),
        legacy('Session', 'legacy-session-cookie-0123456789', { uid: 'u-legacy', accountId: 'a-1' }),
        legacy('Grant', 'g-legacy', { clientId: 'c-1', accountId: 'a-1' }),
      ]);
    await expect(hashStoredIds(database.db, {})).rejects.toThrow(/SECRET_KEY/);

    await hashStoredIds(database.db, { secretKey: TEST_SECRET_KEY });
    const rows = await database.db('oidc_payloads').orderBy('model_name').select('model_name', 'id', 'payload');
    expect(rows).toEqual([
      { model_name: 'Grant', id: 'g-legacy', payload: expect.objectContaining({ jti: 'g-legacy' }) },
      { model_name: 'RefreshToken', id: hashTokenId(TEST_SECRET_KEY, 'legacy-refresh-token-0123456789'), payload: expect.any(Object) },
      { model_name: 'Session', id: hashTokenId(TEST_SECRET_KEY, 'legacy-session-cookie-0123456789'), payload: expect.any(Object) },
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/legacy-(refresh-token|session-cookie)/);
    const refreshTokens = new PostgresAdapter(database.db, 'RefreshToken', { storedId: storedIdOf(TEST_SECRET_KEY) });
    expect(await refreshTokens.find('legacy-refresh-token-0123456789')).toMatchObject({
      jti: 'legacy-refresh-token-0123456789',
      grantId: 'g-legacy',
    });
  } finally {
    await database.close();
    await env.destroy();
  }
});
