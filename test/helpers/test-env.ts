// Per-test-file isolation: an own PostgreSQL database (or PGlite dir) and an own Redis key prefix, plus a
// config built through the real loadConfig. Call `await env.destroy()` in afterAll.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { serviceMode, TEST_DATABASE_URL, TEST_REDIS_URL } from './services.ts';

export interface TestEnv {
  /** Environment variables for a server or CLI process on this file's storage. */
  vars: Record<string, string>;
  config(overrides?: Record<string, string>): Config;
  destroy(): Promise<void>;
}

export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz';

export async function createTestEnv(): Promise<TestEnv> {
  const id = `gh_t_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    SECRET_KEY: TEST_SECRET_KEY,
    BCRYPT_COST: '4',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED_DEMO: 'false',
    // Generous limits: only the abuse-protection tests are about limits, and they set their own.
    RATE_LIMIT_LOGIN: '100000/60',
    RATE_LIMIT_LOGIN_ACCOUNT: '100000/60',
    RATE_LIMIT_REGISTRATION: '100000/60',
    RATE_LIMIT_TOKEN: '100000/60',
    RATE_LIMIT_AUTHORIZE: '100000/60',
    RATE_LIMIT_API: '100000/60',
    RATE_LIMIT_ADMIN: '100000/60',
    IP_BLOCK_AFTER_TRIPS: '100000',
    IP_BLOCK_AFTER_ACCOUNTS: '100000',
  };
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(dataDir, { recursive: true, force: true })];

  if (serviceMode() === 'services') {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database "${id}"`);
    await admin.end();
    const dbUrl = new URL(TEST_DATABASE_URL);
    dbUrl.pathname = `/${id}`;
    vars.DATABASE_URL = dbUrl.toString();
    vars.REDIS_URL = TEST_REDIS_URL;
    vars.REDIS_KEY_PREFIX = `${id}:`;
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop database if exists "${id}" with (force)`);
      await client.end();
    });
    cleanups.push(() => deleteRedisKeys(`${id}:`));
  }

  return {
    vars,
    config: (overrides = {}) => loadConfig({ ...vars, ...overrides }),
    destroy: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
