// The adapter factory: which backend each model lands on, and a real oidc-provider running on it, whose token
// endpoint redeems an authorization code or a rotating refresh token once however many requests race for it.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import { openDatabase, type Database } from '../../../src/db/knex.ts';
import { migrateToLatest } from '../../../src/db/migrate.ts';
import { createLogger } from '../../../src/logger.ts';
import { adapterBackendFor, createAdapterFactory } from '../../../src/oidc/adapters/index.ts';
import { PostgresAdapter } from '../../../src/oidc/adapters/postgres-adapter.ts';
import { StoreAdapter } from '../../../src/oidc/adapters/store-adapter.ts';
import { hashTokenId } from '../../../src/oidc/adapters/token-ids.ts';
import type { KvStore } from '../../../src/store/kv-store.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { RedisStore } from '../../../src/store/redis-store.ts';
import { serviceMode } from '../../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../../helpers/test-env.ts';

const SECRET_KEY = 'adapter-factory-test-secret-key-0123456789';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const CLIENT = { client_id: 'app', client_secret: 'app-secret-0123456789abcdefghijklmnopqrstuvwxyz' };

let env: TestEnv;
let database: Database;
let store: KvStore;

beforeAll(async () => {
  env = await createTestEnv();
  database = openDatabase(env.config());
  await migrateToLatest(database.db);
  if (serviceMode() === 'services') {
    const redis = new RedisStore(env.vars.REDIS_URL as string, env.vars.REDIS_KEY_PREFIX as string, createLogger({ logLevel: 'silent' }));
    await redis.connect();
    store = redis;
  } else {
    store = new MemoryStore();
  }
});
afterAll(async () => {
  await store.close();
  await database.close();
  await env.destroy();
});

describe('createAdapterFactory', () => {
  it.each([
    ['Session', 'postgres'],
    ['Grant', 'postgres'],
    ['RefreshToken', 'postgres'],
    ['InitialAccessToken', 'postgres'],
    ['RegistrationAccessToken', 'postgres'],
    ['AuthorizationCode', 'store'],
    ['Interaction', 'store'],
    ['PushedAuthorizationRequest', 'store'],
    ['ReplayDetection', 'store'],
    ['AccessToken', 'store'],
    ['ClientCredentials', 'store'],
    ['DeviceCode', 'store'],
    ['BackchannelAuthenticationRequest', 'store'],
    ['PreAuthorizedCode', 'store'],
    ['SomeFutureModel', 'store'],
  ])('puts %s in %s', (model, backend) => {
    expect(adapterBackendFor(model)).toBe(backend);
    const adapter = createAdapterFactory({ db: database.db, store, config: { secretKey: SECRET_KEY } })(model);
    expect(adapter).toBeInstanceOf(backend === 'postgres' ? PostgresAdapter : StoreAdapter);
  });

  it('serves Client only through the injected adapter', () => {
    expect(() => createAdapterFactory({ db: database.db, store, config: { secretKey: SECRET_KEY } })('Client')).toThrow(
      /Client model needs the 'client' option/,
    );
    class Clients {
      readonly model: string;
      constructor(model: string) {
        this.model = model;
      }
      async find(): Promise<AdapterPayload | undefined> {
        return undefined;
      }
      async upsert() {}
      async findByUid() {}
      async findByUserCode() {}
      async consume() {}
      async destroy() {}
      async revokeByGrantId() {}
    }
    const adapter = createAdapterFactory({ db: database.db, store, config: { secretKey: SECRET_KEY } }, { client: Clients })('Client');
    expect(adapter).toBeInstanceOf(Clients);
    expect((adapter as Clients).model).toBe('Client');
  });
});

describe('oidc-provider on the factory', () => {
  let provider: Provider;
  let server: Server;
  let tokenUrl: string;
  const clientLookups: string[] = [];

  class UnknownClients implements Adapter {
    async find(id: string) {
      clientLookups.push(id);
      return undefined;
    }
    async upsert() {}
    async findByUid() {}
    async findByUserCode() {}
    async consume() {}
    async destroy() {}
    async revokeByGrantId() {}
  }

  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    provider = new Provider('http://127.0.0.1', {
      jwks: { keys: [{ ...(await exportJWK(privateKey)), use: 'sig', alg: 'RS256' }] } as Configuration['jwks'],
      adapter: createAdapterFactory({ db: database.db, store, config: { secretKey: SECRET_KEY } }, { client: UnknownClients }),
      clients: [{ ...CLIENT, redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'] }],
      findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
      rotateRefreshToken: true,
      features: { devInteractions: { enabled: false } },
      ttl: { AccessToken: 600, AuthorizationCode: 600, Grant: 3600, IdToken: 600, RefreshToken: 3600, Interaction: 600, Session: 3600 },
      scopes: ['openid', 'offline_access'],
    });
    server = provider.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  async function appClient() {
    const client = await provider.Client.find(CLIENT.client_id);
    if (!client) throw new Error('static client missing');
    return client;
  }

  async function newGrant(): Promise<string> {
    const grant = new provider.Grant({ accountId: 'acc-1', clientId: CLIENT.client_id });
    grant.addOIDCScope('openid offline_access');
    return grant.save();
  }

  /** A refresh token of a new grant, as the code exchange would have issued it. */
  async function newRefreshToken(): Promise<{ grantId: string; refreshToken: string }> {
    const grantId = await newGrant();
    const refreshToken = await new provider.RefreshToken({
      client: await appClient(),
      grantId,
      accountId: 'acc-1',
      scope: 'openid offline_access',
      gty: 'authorization_code',
    }).save();
    return { grantId, refreshToken };
  }

  function redeem(params: Record<string, string>) {
    return fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams(params),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
  }

  it('stores grants in PostgreSQL and codes in the store, and asks the injected adapter for unknown clients', async () => {
    const client = await appClient();
    const grantId = await newGrant();
    const code = await new provider.AuthorizationCode({
      client,
      grantId,
      accountId: 'acc-1',
      redirectUri: REDIRECT_URI,
      scope: 'openid',
      gty: 'authorization_code',
    }).save();

    const rows = await database.db('oidc_payloads').where({ id: grantId }).pluck('model_name');
    expect(rows).toEqual(['Grant']);
    expect(await database.db('oidc_payloads').where({ id: code }).first()).toBeUndefined();
    expect(await store.get(`oidc:{AuthorizationCode:${hashTokenId(SECRET_KEY, code)}}`)).toContain(grantId);

    expect(await provider.Client.find('nobody')).toBeUndefined();
    expect(clientLookups).toEqual(['nobody']);
  });

  it('redeems an authorization code once when 20 requests race for it', async () => {
    const client = await appClient();
    const grantId = await newGrant();
    const code = await new provider.AuthorizationCode({
      client,
      grantId,
      accountId: 'acc-1',
      redirectUri: REDIRECT_URI,
      scope: 'openid offline_access',
      gty: 'authorization_code',
    }).save();

    const results = await Promise.all(
      Array.from({ length: 20 }, () => redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })),
    );
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]!.body.refresh_token).toEqual(expect.any(String));
    for (const r of results.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('rotates a refresh token once when 20 requests race for it', async () => {
    const { refreshToken } = await newRefreshToken();

    const results = await Promise.all(
      Array.from({ length: 20 }, () => redeem({ grant_type: 'refresh_token', refresh_token: refreshToken })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('revokes what a grant issued when its refresh token is reused', async () => {
    const { grantId, refreshToken: first } = await newRefreshToken();

    const rotated = await redeem({ grant_type: 'refresh_token', refresh_token: first });
    expect(rotated.status).toBe(200);
    const second = rotated.body.refresh_token as string;

    expect(await redeem({ grant_type: 'refresh_token', refresh_token: first })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect(await provider.RefreshToken.find(second)).toBeUndefined();
    expect(await provider.Grant.find(grantId)).toBeUndefined();
  });
});
