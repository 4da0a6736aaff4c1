// The KvStore contract, run over Redis (two clients, as two processes would hold), a real three-node Redis Cluster
// and process memory.
import { createLogger } from '../../src/logger.ts';
import type { KvStore } from '../../src/store/kv-store.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisStore } from '../../src/store/redis-store.ts';
import { redisClusterAvailable, startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { serviceMode } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

const logger = createLogger({ logLevel: 'silent' });
let env: TestEnv;
const opened: KvStore[] = [];
let cluster: RedisCluster | undefined;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await cluster?.stop();
  await env.destroy();
});

async function redisPair(): Promise<[KvStore, KvStore]> {
  const make = async () => {
    const store = new RedisStore(env.vars.REDIS_URL as string, env.vars.REDIS_KEY_PREFIX as string, logger);
    await store.connect();
    opened.push(store);
    return store;
  };
  return [await make(), await make()];
}

async function redisClusterPair(): Promise<[KvStore, KvStore]> {
  cluster = await startRedisCluster();
  const url = cluster.url;
  const make = async () => {
    const store = new RedisStore(url, 'gh_t_cluster:', logger, { cluster: true });
    await store.connect();
    opened.push(store);
    return store;
  };
  return [await make(), await make()];
}

const kinds: Array<[string, () => Promise<[KvStore, KvStore]>]> = [
  [
    'memory',
    async () => {
      const store = new MemoryStore();
      opened.push(store);
      return [store, store];
    },
  ],
];
if (serviceMode() === 'services') kinds.push(['redis', redisPair]);
if (redisClusterAvailable() || process.env.CI === 'true') kinds.push(['redis cluster', redisClusterPair]);

describe.each(kinds)('%s store', (_kind, open) => {
  let a: KvStore;
  let b: KvStore;
  let n = 0;
  const key = (name: string) => `test:{${name}-${(n += 1)}}`;

  beforeAll(async () => {
    [a, b] = await open();
  });

  it('sets, reads and deletes, across clients', async () => {
    const k = key('basic');
    await a.set(k, 'v1', 60);
    expect(await b.get(k)).toBe('v1');
    expect(await b.ttl(k)).toBeGreaterThan(55);
    expect(await b.del(k)).toBe(1);
    expect(await a.get(k)).toBeNull();
    expect(await a.ttl(k)).toBe(-2);
  });

  it('expires values', async () => {
    const k = key('expiry');
    await a.set(k, 'v', 1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await b.get(k)).toBeNull();
  });

  it('takes a value at most once', async () => {
    const k = key('take');
    await a.set(k, 'once', 60);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).take(k)));
    expect(results.filter((r) => r === 'once')).toHaveLength(1);
  });

  it('counts with a TTL set on the first increment', async () => {
    const k = key('count');
    expect(await Promise.all([a.incr(k, 60), b.incr(k, 60), a.incr(k, 60)])).toEqual(expect.arrayContaining([1, 2, 3]));
    expect(await a.ttl(k)).toBeGreaterThan(55);
  });

  it('consumes a record exactly once under a race', async () => {
    const record = key('code');
    await a.set(record, '{}', 60);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consumeOnce(record, `${record}:consumed`, 'now')),
    );
    expect(outcomes.filter((o) => o === 'consumed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already')).toHaveLength(19);
    expect(await a.ttl(`${record}:consumed`)).toBeGreaterThan(55);
  });

  it('does not consume a record deleted in the meantime (a grant revoked by another request)', async () => {
    const record = key('revoked');
    await a.set(record, '{}', 60);
    await b.del(record, `${record}:consumed`);
    expect(await a.consumeOnce(record, `${record}:consumed`, 'now')).toBe('missing');
    expect(await a.get(`${record}:consumed`)).toBeNull();
  });

  it('keeps set members until taken, with the longest TTL', async () => {
    const k = key('set');
    expect(await a.setAdd(k, 'one', 10)).toBe(1);
    expect(await b.setAdd(k, 'two', 60)).toBe(2);
    expect(await a.setAdd(k, 'one', 5)).toBe(2);
    expect(await a.ttl(k)).toBeGreaterThan(55);
    expect((await b.setTake(k)).sort()).toEqual(['one', 'two']);
    expect(await a.setTake(k)).toEqual([]);
  });
});

// The abuse protection's one round trip per request: the block's TTL and its rate counters together, in the layout
// rate-limiter-flexible keeps (the sign-in routes still count through the library, on the same keys).
describe('RedisStore.ttlAndCount', () => {
  const run = serviceMode() === 'services' ? it : it.skip;

  run('reads a TTL and counts fixed windows that rate-limiter-flexible reads and continues', async () => {
    const [store] = await redisPair();
    const redis = (store as RedisStore).client;
    const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'test:rl', points: 3, duration: 60 });
    const id = `${Date.now()}-${Math.random()}`;
    await store.set(`test:block:${id}`, 'x', 120);

    const first = await (store as RedisStore).ttlAndCount(`test:block:${id}`, [
      { key: limiter.getKey(`ip:${id}`), windowSeconds: 60 },
      { key: limiter.getKey(`client:${id}`), windowSeconds: 30 },
    ]);
    expect(first?.ttl).toBeGreaterThan(100);
    expect(first?.counts.map((c) => c.consumed)).toEqual([1, 1]);
    expect(first?.counts[0]?.msLeft).toBeGreaterThan(55_000);
    expect(first?.counts[1]?.msLeft).toBeLessThanOrEqual(30_000);

    // The library sees the count and carries on from it; the next combined call sees the library's.
    expect((await limiter.get(`ip:${id}`))?.consumedPoints).toBe(1);
    await limiter.consume(`ip:${id}`);
    const second = await (store as RedisStore).ttlAndCount(`test:none:${id}`, [{ key: limiter.getKey(`ip:${id}`), windowSeconds: 60 }]);
    expect(second).toEqual({ ttl: -2, counts: [{ consumed: 3, msLeft: expect.any(Number) }] });
    await expect(limiter.consume(`ip:${id}`)).rejects.toMatchObject({ consumedPoints: 4, remainingPoints: 0 });
  });

  const clusterRun = redisClusterAvailable() || process.env.CI === 'true' ? it : it.skip;
  clusterRun('declines on a Redis Cluster, whose keys of one script must share a slot', async () => {
    const store = new RedisStore(cluster?.url ?? (await startRedisCluster().then((c) => ((cluster = c), c.url))), 'gh_t_cluster:', logger, {
      cluster: true,
    });
    opened.push(store);
    await store.connect();
    expect(await store.ttlAndCount('test:block:{x}', [{ key: 'test:rl:{y}', windowSeconds: 60 }])).toBeUndefined();
  });
});
