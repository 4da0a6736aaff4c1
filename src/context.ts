// The application context: config, logger, database and store, built once per server (or CLI run) and
// passed down explicitly, so a test can start two servers in one process.
import type { Config } from './config/index.ts';
import { openDatabase, type Database, type Db } from './db/knex.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { Logger } from './logger.ts';
import type { KvStore } from './store/kv-store.ts';
import { MemoryStore } from './store/memory-store.ts';
import { RedisStore } from './store/redis-store.ts';

export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  database: Database;
  store: KvStore;
  /** Set once SIGTERM arrives: readiness fails so load balancers stop sending traffic. */
  shuttingDown: boolean;
  /** This process's own address (set once listening): the JSON API redeems its codes at our token endpoint. */
  internalUrl: string;
}

/** What services need: no HTTP, no store unless they ask for it. */
export type ServiceDeps = Pick<AppContext, 'config' | 'logger' | 'db'>;

export async function createAppContext(config: Config, logger: Logger, options: { migrate?: boolean } = {}): Promise<AppContext> {
  const database = openDatabase(config, logger);
  try {
    if (options.migrate ?? true) {
      const applied = await migrateToLatest(database.db);
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    }
  } catch (err) {
    await database.close();
    throw err;
  }
  const store = config.redisUrl ? new RedisStore(config.redisUrl, config.redisKeyPrefix, logger) : new MemoryStore();
  if (store instanceof RedisStore) await store.connect();
  logger.info({ database: database.kind, store: store.kind }, 'storage ready');
  return { config, logger, db: database.db, database, store, shuttingDown: false, internalUrl: '' };
}

export async function closeAppContext(ctx: AppContext): Promise<void> {
  await Promise.allSettled([ctx.store.close(), ctx.database.close()]);
}
