// Which backing services the suite runs on: the real PostgreSQL and Redis of this machine, or (where none
// answers, e.g. a newcomer's laptop) embedded PGlite and the in-memory store. CI=true requires the real ones.
import pg from 'pg';
import { Redis } from 'ioredis';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type ServiceMode = 'services' | 'embedded';

/** Set by global-setup for every test worker. */
export function serviceMode(): ServiceMode {
  return process.env.GATEHOUSE_TEST_MODE === 'embedded' ? 'embedded' : 'services';
}

/** `describe` for tests that need shared servers (several processes); skipped in embedded mode. */
export function describeWithSharedServices(name: string, body: () => void): void {
  (serviceMode() === 'services' ? describe : describe.skip)(name, body);
}

export async function postgresAnswers(url = TEST_DATABASE_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisAnswers(url = TEST_REDIS_URL): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
