// The application context: config, logger, database and store, built once per server (or CLI run) and
// passed down explicitly, so a test can start two servers in one process.
import type { Config } from './config/index.ts';
import { openDatabase, type Database, type Db } from './db/knex.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { Logger } from './logger.ts';
import type { MailTransport } from './services/mail.ts';
import { createMetrics, type Metrics } from './services/metrics.ts';
import { cacheChannel, createEntityCache, type CacheInvalidation, type EntityCache } from './store/entity-cache.ts';
import type { KvStore } from './store/kv-store.ts';
import { MemoryStore } from './store/memory-store.ts';
import { RedisStore } from './store/redis-store.ts';

export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  database: Database;
  store: KvStore;
  /** Tenants and clients for the hot paths, invalidated across processes (store/entity-cache.ts). */
  cache: EntityCache;
  metrics: Metrics;
  /** Set once SIGTERM arrives: readiness fails so load balancers stop sending traffic. */
  shuttingDown: boolean;
  /** Where queued mail is delivered instead of SMTP_URL's server: tests read their mail here, as a user would. */
  mailTransport?: MailTransport;
  /** The back-channel logout worker of this process (set by the OIDC runtime): woken when a session ends. */
  backchannelLogouts?: { kick(): void };
}

/**
 * What services need: no HTTP, no store unless they ask for it. A service that changes a tenant or client announces
 * it through `cache` (the CLI has no cache of its own but publishes too); one that signs people in counts in `metrics`.
 */
export type ServiceDeps = Pick<AppContext, 'config' | 'logger' | 'db'> & { cache?: CacheInvalidation | EntityCache; metrics?: Metrics };

export async function createAppContext(config: Config, logger: Logger, options: { migrate?: boolean } = {}): Promise<AppContext> {
  const database = openDatabase(config, logger);
  try {
    if (options.migrate ?? true) {
      const applied = await migrateToLatest(database.db, { secretKey: config.secretKey });
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const store = config.redisUrl
    ? new RedisStore(config.redisUrl, config.redisKeyPrefix, logger, {
        cluster: config.redisCluster,
        connectTimeout: config.deadlines.redisConnectMs,
        commandTimeout: config.deadlines.redisCommandMs,
      })
    : new MemoryStore();
  if (store instanceof RedisStore) await store.connect();
  const cache = createEntityCache({
    db: database.db,
    logger,
    ttlSeconds: config.cacheTtlSeconds,
    channel: cacheChannel(config.redisKeyPrefix),
    ...(store instanceof RedisStore && {
      publisher: store.client,
      subscriber: store.subscriberConnection(),
    }),
  });
  logger.info({ database: database.kind, store: store.kind }, 'storage ready');
  const metrics = createMetrics(database.db, config.databasePoolMax);
  return { config, logger, db: database.db, database, store, cache, metrics, shuttingDown: false };
}

export async function closeAppContext(ctx: AppContext): Promise<void> {
  await Promise.allSettled([ctx.cache.close(), ctx.store.close(), ctx.database.close()]);
}
