// KvStore over Redis (ioredis), shared by every process and machine: one node, or a Redis Cluster discovered
// from that node (REDIS_CLUSTER). Commands fail fast while Redis is unreachable (no offline queue) and fail
// after REDIS_COMMAND_TIMEOUT_MS when it accepts but never answers, so callers answer 503 instead of hanging
// (docs/operations.md, "Deadlines and faults"); ioredis reconnects by itself.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_DEADLINES } from '../config/index.ts';
import type { KvStore } from './kv-store.ts';
import type { Logger } from '../logger.ts';

/** KEYS[1] record, KEYS[2] marker, ARGV[1] marker value. Returns 1 consumed, 0 already, -1 missing. */
const CONSUME_ONCE = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return -1 end
if ttl < 0 then ttl = 86400000 end
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl, 'NX') then return 1 end
return 0`;

export type RedisClient = Redis | Cluster;

// TTL of KEYS[1], then a fixed-window counter for each further key, laid out as rate-limiter-flexible's
// RateLimiterRedis keeps its own (SET NX with the window, INCRBY, PTTL), so both read and write the same counters.
// ARGV[i] is the window in seconds of KEYS[i + 1]. Returns { ttl, consumed1, msLeft1, consumed2, msLeft2, ... }.
const TTL_AND_COUNT = `
local out = { redis.call('TTL', KEYS[1]) }
for i = 2, #KEYS do
  local window = ARGV[i - 1]
  redis.call('SET', KEYS[i], 0, 'EX', window, 'NX')
  local consumed = redis.call('INCRBY', KEYS[i], 1)
  local ms = redis.call('PTTL', KEYS[i])
  if ms == -1 then
    redis.call('EXPIRE', KEYS[i], window)
    ms = 1000 * window
  end
  out[#out + 1] = consumed
  out[#out + 1] = ms
end
return out`;

type ScriptedRedis = RedisClient & {
  consumeOnce(record: string, marker: string, value: string): Promise<number>;
  ttlAndCount(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number[]>;
};

/** One counter of `ttlAndCount`: its count in the current window, and the milliseconds left of that window. */
export interface WindowCount {
  consumed: number;
  msLeft: number;
}

export interface RedisTarget {
  url: string;
  /** The URL names one node of a Redis Cluster. */
  cluster: boolean;
  keyPrefix?: string;
}

/**
 * One client for REDIS_URL. In cluster mode the URL's node is the seed the client discovers the cluster from;
 * the node options (credentials, TLS, timeouts) apply to every node it finds. Keys that one command or script
 * touches together share a hash slot (`{…}` tags), so everything Gatehouse sends works on a cluster.
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  if (!target.cluster) return new Redis(target.url, { ...(target.keyPrefix && { keyPrefix: target.keyPrefix }), ...options });
  const url = new URL(target.url);
  const { lazyConnect, enableOfflineQueue, retryStrategy, ...nodeOptions } = options;
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    ...(target.keyPrefix && { keyPrefix: target.keyPrefix }),
    ...(lazyConnect !== undefined && { lazyConnect }),
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
    ...(retryStrategy && { clusterRetryStrategy: (attempts: number) => retryStrategy(attempts) ?? null }),
    redisOptions: {
      ...nodeOptions,
      ...(url.username && { username: decodeURIComponent(url.username) }),
      ...(url.password && { password: decodeURIComponent(url.password) }),
      ...(url.protocol === 'rediss:' && { tls: {} }),
    },
  });
}

export class RedisStore implements KvStore {
  readonly kind = 'redis';
  readonly client: ScriptedRedis;

  readonly #target: RedisTarget;
  readonly #subscriberConnectTimeout: number;

  constructor(url: string, keyPrefix: string, logger: Logger, options: RedisOptions & { cluster?: boolean } = {}) {
    const { cluster = false, ...redisOptions } = options;
    this.#target = { url, cluster, keyPrefix };
    this.client = createRedisClient(this.#target, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: DEFAULT_DEADLINES.redisConnectMs,
      commandTimeout: DEFAULT_DEADLINES.redisCommandMs,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      ...redisOptions,
    }) as ScriptedRedis;
    this.#subscriberConnectTimeout = redisOptions.connectTimeout ?? DEFAULT_DEADLINES.redisConnectMs;
    this.client.defineCommand('consumeOnce', { numberOfKeys: 2, lua: CONSUME_ONCE });
    this.client.defineCommand('ttlAndCount', { lua: TTL_AND_COUNT });
    let down = false;
    this.client.on('error', (err: Error) => {
      if (!down) logger.warn({ err: err.message }, 'redis unavailable');
      down = true;
    });
    this.client.on('ready', () => {
      if (down) logger.info('redis available again');
      down = false;
    });
  }

  /**
   * A connection of its own for subscriber mode (pub/sub). Its offline queue holds the one SUBSCRIBE until Redis
   * answers (bounded: nothing else is ever sent on it, and no request waits on it), so it has no command timeout;
   * ioredis subscribes again after every reconnect. A subscriber that hears nothing costs only freshness, which
   * CACHE_TTL_SECONDS bounds.
   */
  subscriberConnection(): RedisClient {
    return createRedisClient(this.#target, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      connectTimeout: this.#subscriberConnectTimeout,
    });
  }

  /** Connects once at start; a Redis that is down now is not fatal, readiness reports it until it returns. */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch {
      // ioredis keeps retrying in the background.
    }
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds === undefined) await this.client.set(key, value);
    else await this.client.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    return (await this.client.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
  }

  async take(key: string): Promise<string | null> {
    return this.client.getdel(key);
  }

  async del(...keys: string[]): Promise<number> {
    return keys.length === 0 ? 0 : this.client.del(...keys);
  }

  async incr(key: string, ttlSeconds: number): Promise<number> {
    const [[incrErr, count] = [], [expireErr] = []] =
      (await this.client
        .multi()
        .incr(key)
        .expire(key, Math.max(1, Math.ceil(ttlSeconds)), 'NX')
        .exec()) ?? [];
    if (incrErr || expireErr) throw incrErr ?? expireErr;
    return Number(count);
  }

  async ttl(key: string): Promise<number> {
    return this.client.ttl(key);
  }

  /**
   * The TTL of `key` (as `ttl`) and one more request on each fixed-window counter, in one round trip: what the abuse
   * protection asks of every limited request. Undefined on a Redis Cluster, whose keys of one script must share a
   * hash slot: the caller asks in separate commands there.
   */
  async ttlAndCount(
    key: string,
    counters: ReadonlyArray<{ key: string; windowSeconds: number }>,
  ): Promise<{ ttl: number; counts: WindowCount[] } | undefined> {
    if (this.#target.cluster) return undefined;
    const [ttl = -2, ...flat] = await this.client.ttlAndCount(
      1 + counters.length,
      key,
      ...counters.map((c) => c.key),
      ...counters.map((c) => String(c.windowSeconds)),
    );
    return { ttl, counts: counters.map((_, i) => ({ consumed: Number(flat[2 * i]), msLeft: Number(flat[2 * i + 1]) })) };
  }

  async consumeOnce(recordKey: string, markerKey: string, value: string): Promise<'consumed' | 'already' | 'missing'> {
    const result = await this.client.consumeOnce(recordKey, markerKey, value);
    return result === 1 ? 'consumed' : result === 0 ? 'already' : 'missing';
  }

  async setAdd(key: string, member: string, ttlSeconds: number): Promise<number> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    // EXPIRE NX sets the TTL of a new set; GT only ever lengthens it (Redis 7).
    const result = await this.client.multi().sadd(key, member).expire(key, ttl, 'NX').expire(key, ttl, 'GT').scard(key).exec();
    return Number(result?.[3]?.[1] ?? 0);
  }

  async setTake(key: string): Promise<string[]> {
    const result = await this.client.multi().smembers(key).del(key).exec();
    return (result?.[0]?.[1] as string[] | undefined) ?? [];
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
