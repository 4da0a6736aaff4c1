// The oidc-provider adapter contract, run over every backend a model can land on: PostgreSQL (durable models),
// Redis and process memory (short-lived ones). Each pair of adapters stands for two processes: two knex pools,
// two Redis clients.
import { randomUUID } from 'node:crypto';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { openDatabase, type Database } from '../../../src/db/knex.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { deleteExpiredOidcPayloads } from '../../../src/db/queries/oidc-payloads.ts';
import { createLogger } from '../../../src/logger.ts';
import { PostgresAdapter } from '../../../src/oidc/adapters/postgres-adapter.ts';
import { StoreAdapter } from '../../../src/oidc/adapters/store-adapter.ts';
import { decryptSecret, encryptSecret } from '../../../src/services/encryption.ts';
import { hashTokenId, storedIdOf } from '../../../src/oidc/adapters/token-ids.ts';
import type { KvStore } from '../../../src/store/kv-store.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { RedisStore } from '../../../src/store/redis-store.ts';
import { serviceMode } from '../../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../../helpers/test-env.ts';

const logger = createLogger({ logLevel: 'silent' });
const SECRET_KEY = 'adapter-contract-test-secret-key-0123456789';
const storedId = storedIdOf(SECRET_KEY);
let env: TestEnv;
const databases: Database[] = [];
const stores: KvStore[] = [];

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  for (const d of databases) await d.close();
  await env.destroy();
});

type Pair = (model: string) => [Adapter, Adapter];

/** The file's one migrated database (PGlite must not be opened twice on one directory). */
async function primaryDatabase(): Promise<Database> {
  if (!databases[0]) {
    databases.push(openDatabase(env.config()));
    await migrateToLatest(databases[0]!.db);
  }
  return databases[0]!;
}

async function postgresPair(): Promise<Pair> {
  const first = await primaryDatabase();
  // PGlite is one process by design: there the "second process" shares the one connection.
  const second = first.kind === 'postgres' ? openDatabase(env.config()) : first;
  if (second !== first) databases.push(second);
  return (model) => [new PostgresAdapter(first.db, model, { storedId }), new PostgresAdapter(second.db, model, { storedId })];
}

async function memoryPair(): Promise<Pair> {
  const store = new MemoryStore();
  stores.push(store);
  return (model) => [new StoreAdapter(store, model, storedId), new StoreAdapter(store, model, storedId)];
}

async function redisPair(): Promise<Pair> {
  const open = async () => {
    const store = new RedisStore(env.vars.REDIS_URL as string, env.vars.REDIS_KEY_PREFIX as string, logger);
    await store.connect();
    stores.push(store);
    return store;
  };
  const [a, b] = [await open(), await open()];
  return (model) => [new StoreAdapter(a, model, storedId), new StoreAdapter(b, model, storedId)];
}

// [name, open, a model that backend serves in production]
const backends: Array<[string, () => Promise<Pair>, string]> = [
  ['postgres', postgresPair, 'RefreshToken'],
  ['memory store', memoryPair, 'AuthorizationCode'],
];
if (serviceMode() === 'services') backends.push(['redis store', redisPair, 'AuthorizationCode']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Math.floor(Date.now() / 1000);

function tokenPayload(grantId: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  return { iat: now(), exp: now() + 600, kind: 'RefreshToken', jti: randomUUID(), grantId, accountId: 'acc-1', clientId: 'c-1', ...extra };
}

describe.each(backends)('%s adapter', (_name, open, model) => {
  let pair: Pair;
  let a: Adapter;
  let b: Adapter;

  beforeAll(async () => {
    pair = await open();
    [a, b] = pair(model);
  });

  it('upserts, finds (from another process) and destroys', async () => {
    const id = randomUUID();
    const payload = tokenPayload('g-basic', { jti: id, scope: 'openid offline_access' });
    await a.upsert(id, payload, 600);
    expect(await b.find(id)).toEqual(payload);

    const updated = { ...payload, scope: 'openid' };
    await b.upsert(id, updated, 600);
    expect(await a.find(id)).toEqual(updated);

    await b.destroy(id);
    expect(await a.find(id)).toBeUndefined();
    expect(await a.find(randomUUID())).toBeUndefined();
  });

  it('keeps models apart: one id in two models is two records', async () => {
    const id = randomUUID();
    const [other] = pair('Grant');
    await a.upsert(id, tokenPayload('g-models', { jti: id }), 600);
    expect(await other!.find(id)).toBeUndefined();
  });

  it('treats an expired record as absent', async () => {
    const id = randomUUID();
    await a.upsert(id, tokenPayload('g-expiry', { jti: id }), 1);
    expect(await b.find(id)).toBeDefined();
    await sleep(1300);
    expect(await b.find(id)).toBeUndefined();
    await expect(b.consume(id)).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('consumes once: find then reports when, and a second consume throws InvalidGrant', async () => {
    const id = randomUUID();
    await a.upsert(id, tokenPayload('g-consume', { jti: id }), 600);
    expect((await b.find(id))?.consumed).toBeUndefined();

    await a.consume(id);
    const consumed = (await b.find(id))?.consumed;
    expect(typeof consumed).toBe('number');
    expect(Math.abs((consumed as number) - now())).toBeLessThanOrEqual(5);

    await expect(b.consume(id)).rejects.toBeInstanceOf(errors.InvalidGrant);
    await expect(a.consume(id)).rejects.toMatchObject({ error: 'invalid_grant', statusCode: 400 });
  });

  it('refuses to consume what does not exist', async () => {
    await expect(a.consume(randomUUID())).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('stays consumed when the record is saved again, and a destroyed id starts afresh', async () => {
    const id = randomUUID();
    const payload = tokenPayload('g-resave', { jti: id });
    await a.upsert(id, payload, 600);
    await a.consume(id);
    await b.upsert(id, payload, 600);
    expect((await a.find(id))?.consumed).toEqual(expect.any(Number));

    await a.destroy(id);
    await a.upsert(id, payload, 600);
    expect((await b.find(id))?.consumed).toBeUndefined();
  });

  it('lets exactly one of 20 concurrent consumes from two processes win', async () => {
    const id = randomUUID();
    await a.upsert(id, tokenPayload('g-race', { jti: id }), 600);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume(id)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected).toHaveLength(19);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(errors.InvalidGrant);
  });

  it('revokes every token of a grant and leaves other grants alone', async () => {
    const grantId = randomUUID();
    const mine = [randomUUID(), randomUUID(), randomUUID()];
    const other = randomUUID();
    for (const [i, id] of mine.entries()) await (i % 2 ? a : b).upsert(id, tokenPayload(grantId, { jti: id }), 600 + i * 60);
    await a.upsert(other, tokenPayload(randomUUID(), { jti: other }), 600);
    await a.consume(mine[0]!);

    await b.revokeByGrantId(grantId);

    for (const id of mine) expect(await a.find(id)).toBeUndefined();
    expect(await a.find(other)).toBeDefined();
    await expect(a.consume(mine[1]!)).rejects.toBeInstanceOf(errors.InvalidGrant);
    await b.revokeByGrantId(grantId);
    await b.revokeByGrantId(randomUUID());
  });

  it('revokes by grant within its own model (in PostgreSQL: the whole grant, every model, at once)', async () => {
    const grantId = randomUUID();
    const id = randomUUID();
    const [otherModel] = pair('AccessToken');
    await a.upsert(id, tokenPayload(grantId, { jti: id }), 600);
    await otherModel!.revokeByGrantId(grantId);
    if (_name === 'postgres') expect(await a.find(id)).toBeUndefined();
    else expect(await a.find(id)).toBeDefined();
  });

  it('finds a session by its uid', async () => {
    const [sessions, otherProcess] = pair('Session');
    const id = randomUUID();
    const uid = randomUUID();
    const session = { iat: now(), exp: now() + 600, kind: 'Session', jti: id, uid, accountId: 'acc-1', loginTs: now() };
    await sessions!.upsert(id, session, 600);
    // Found by uid, a session has no jti: the stored record never holds its cookie value.
    const { jti: _jti, ...stored } = session;
    expect(await otherProcess!.findByUid(uid)).toEqual(stored);
    expect(await otherProcess!.findByUid(randomUUID())).toBeUndefined();

    // A regenerated session id keeps its uid (oidc-provider destroys the old id first).
    const renewed = randomUUID();
    await sessions!.destroy(id);
    await sessions!.upsert(renewed, { ...session, jti: renewed, loginTs: session.loginTs + 1 }, 600);
    expect((await otherProcess!.findByUid(uid))?.loginTs).toBe(session.loginTs + 1);
    expect((await otherProcess!.find(renewed))?.jti).toBe(renewed);

    await sessions!.destroy(renewed);
    expect(await otherProcess!.findByUid(uid)).toBeUndefined();
  });
});

describe.each(backends.filter(([name]) => name !== 'postgres'))('%s adapter, device flow', (_name, open) => {
  it('finds a device code by its user code', async () => {
    const [codes, otherProcess] = (await open())('DeviceCode');
    const id = randomUUID();
    const payload = { iat: now(), exp: now() + 600, kind: 'DeviceCode', jti: id, userCode: 'WDJB-MJHT', clientId: 'c-1', grantId: 'g-d' };
    await codes!.upsert(id, payload, 600);
    const { jti: _jti, ...stored } = payload;
    expect(await otherProcess!.findByUserCode('WDJB-MJHT')).toEqual(stored);
    expect(await otherProcess!.findByUserCode('NOPE-NOPE')).toBeUndefined();
  });
});

describe('store adapter, device code found by its user code in production', () => {
  it('gives back the id, sealed under SECRET_KEY in the stored value, so the approval lands on the polled record', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const sealer = { seal: (id: string) => encryptSecret(SECRET_KEY, id), open: (sealed: string) => decryptSecret(SECRET_KEY, sealed) };
    const codes = new StoreAdapter(store, 'DeviceCode', storedId, sealer);
    const id = randomUUID();
    await codes.upsert(id, { iat: now(), exp: now() + 600, kind: 'DeviceCode', jti: id, userCode: 'BCDF-GHJK', clientId: 'c-1' }, 600);
    const found = await codes.findByUserCode('BCDF-GHJK');
    expect(found).toMatchObject({ jti: id, userCode: 'BCDF-GHJK' });
    expect(found).not.toHaveProperty('sealedJti');
    // What oidc-provider does on approval: save the found record under its jti; the device polls with the real id.
    await codes.upsert(found!.jti as string, { ...found!, accountId: 'user-1' }, 600);
    expect(await codes.find(id)).toMatchObject({ jti: id, accountId: 'user-1' });
    expect(await codes.find(id)).not.toHaveProperty('sealedJti');
    // The store holds the id only sealed: neither the value nor any key names it.
    const raw = await store.get(`oidc:{DeviceCode:${storedId('DeviceCode', id)}}`);
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(id);
    // Without the key, a different adapter (another SECRET_KEY) cannot open it.
    const stranger = new StoreAdapter(store, 'DeviceCode', storedId, {
      seal: (v) => encryptSecret('another secret key that is long enough', v),
      open: (v) => decryptSecret('another secret key that is long enough', v),
    });
    await expect(stranger.findByUserCode('BCDF-GHJK')).rejects.toThrow();
  });
});

describe('postgres payload table', () => {
  let database: Database;
  let adapter: PostgresAdapter;

  beforeAll(async () => {
    database = await primaryDatabase();
    adapter = new PostgresAdapter(database.db, 'RefreshToken', { storedId });
  });

  it('keeps durable records without an expiry (registration access tokens)', async () => {
    const tokens = new PostgresAdapter(database.db, 'RegistrationAccessToken', { storedId });
    const id = randomUUID();
    await tokens.upsert(id, { iat: now(), kind: 'RegistrationAccessToken', jti: id, clientId: 'c-1' });
    const row = await database
      .db('oidc_payloads')
      .where({ model_name: 'RegistrationAccessToken', id: hashTokenId(SECRET_KEY, id) })
      .first('expires_at');
    expect(row.expires_at).toBeNull();
    expect(await tokens.find(id)).toMatchObject({ clientId: 'c-1' });
  });

  it('writes grant id, uid, expiry and consumption into their columns', async () => {
    const id = randomUUID();
    await adapter.upsert(id, tokenPayload('g-columns', { jti: id }), 600);
    await adapter.consume(id);
    const row = await database
      .db('oidc_payloads')
      .where({ model_name: 'RefreshToken', id: hashTokenId(SECRET_KEY, id) })
      .first();
    expect(row.grant_id).toBe('g-columns');
    expect(row.consumed_at).toBeInstanceOf(Date);
    expect(row.payload.consumed).toBeUndefined(); // the column marks it; the payload is not rewritten
    expect(JSON.stringify(row)).not.toContain(id); // neither the id nor a jti copy of it
    expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + 590_000);
    // What oidc-provider reads back carries `consumed`, from the column.
    expect((await adapter.find(id))?.consumed).toBe(Math.floor(row.consumed_at.getTime() / 1000));
  });

  it('still knows the grant of a revoked refresh token (the reuse audit needs it), though find does not', async () => {
    const id = randomUUID();
    await adapter.upsert(id, tokenPayload('g-audit', { jti: id }), 600);
    await adapter.revokeByGrantId('g-audit');
    expect(await adapter.find(id)).toBeUndefined();
    const row = await database
      .db('oidc_payloads')
      .where({ model_name: 'RefreshToken', id: hashTokenId(SECRET_KEY, id) })
      .first('grant_id');
    expect(row?.grant_id).toBe('g-audit');
  });

  it('sweeps expired rows and only those', async () => {
    const [expired, live, forever] = [randomUUID(), randomUUID(), randomUUID()];
    await adapter.upsert(expired, tokenPayload('g-sweep', { jti: expired }), 1);
    await adapter.upsert(live, tokenPayload('g-sweep', { jti: live }), 600);
    await new PostgresAdapter(database.db, 'InitialAccessToken', { storedId }).upsert(forever, {
      iat: now(),
      kind: 'InitialAccessToken',
      jti: forever,
    });
    await sleep(1300);
    expect(await deleteExpiredOidcPayloads(database.db)).toBeGreaterThanOrEqual(2);
    const stored = (id: string) => hashTokenId(SECRET_KEY, id);
    const left = await database.db('oidc_payloads').whereIn('id', [expired, live, forever].map(stored)).pluck('id');
    expect(left.sort()).toEqual([live, forever].map(stored).sort());
  });
});
