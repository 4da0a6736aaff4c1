// Runs once before the suite: picks real services or the embedded fallback, and drops test databases that
// crashed runs left behind.
import pg from 'pg';
import { postgresAnswers, redisAnswers, TEST_DATABASE_URL } from './services.ts';

const STALE_AFTER_SECONDS = 3600;

export default async function globalSetup(): Promise<void> {
  const [postgres, redis] = await Promise.all([postgresAnswers(), redisAnswers()]);
  if (postgres && redis) {
    process.env.GATEHOUSE_TEST_MODE = 'services';
    await dropStaleTestDatabases();
    return;
  }
  const missing = [!postgres && 'PostgreSQL', !redis && 'Redis'].filter(Boolean).join(' and ');
  if (process.env.CI === 'true') {
    throw new Error(`CI=true needs real services, but ${missing} did not answer (TEST_DATABASE_URL / TEST_REDIS_URL)`);
  }
  process.env.GATEHOUSE_TEST_MODE = 'embedded';
  process.stdout.write(
    `\n${missing} not reachable: running on embedded PGlite and the in-memory store; tests that need shared servers are skipped.\n`,
  );
}

async function dropStaleTestDatabases(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like 'gh_t_%'");
    const now = Math.floor(Date.now() / 1000);
    for (const { datname } of rows) {
      const created = Number(datname.split('_')[2]);
      if (created && now - created > STALE_AFTER_SECONDS) await client.query(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await client.end();
  }
}
