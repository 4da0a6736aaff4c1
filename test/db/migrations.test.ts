// The same migrations on PostgreSQL and embedded PGlite; the audit log is append-only at the database level.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { MIGRATIONS } from '../../migrations/index.ts';
import { serviceMode } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

async function schemaOf(database: Database): Promise<string[]> {
  const { rows } = await database.db.raw<{ rows: { table_name: string; column_name: string; data_type: string }[] }>(
    `select table_name, column_name, data_type from information_schema.columns
     where table_schema = current_schema() and table_name not like 'knex_%' order by table_name, column_name`,
  );
  return rows.map((r) => `${r.table_name}.${r.column_name}:${r.data_type}`);
}

describe('migrations', () => {
  let env: TestEnv;
  const opened: Database[] = [];
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    for (const d of opened) await d.close();
    await env.destroy();
  });

  it('apply all files once, then nothing', async () => {
    const database = openDatabase(env.config());
    opened.push(database);
    expect(await migrateToLatest(database.db)).toEqual(MIGRATIONS.map(([name]) => name));
    expect(await migrateToLatest(database.db)).toEqual([]);
  });

  it('produce the same schema on PostgreSQL and PGlite', async () => {
    if (serviceMode() !== 'services') return expect(serviceMode()).toBe('embedded');
    const pgDb = opened[0] as Database;
    const lite = openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'gatehouse-lite-')), databaseUrl: undefined, databasePoolMax: 1 });
    opened.push(lite);
    await migrateToLatest(lite.db);
    const [onPg, onLite] = [await schemaOf(pgDb), await schemaOf(lite)];
    expect(onPg.length).toBeGreaterThan(50);
    expect(onLite).toEqual(onPg);
  }, 60_000);

  it('refuse to update or delete audit events', async () => {
    const { db } = opened[0] as Database;
    await db('audit_events').insert({ tenant_id: null, type: 'test.event' });
    await expect(db('audit_events').update({ type: 'changed' })).rejects.toThrow(/append-only/);
    await expect(db('audit_events').delete()).rejects.toThrow(/append-only/);
    const rows = await db('audit_events').where({ type: 'test.event' }).select('type');
    expect(rows).toEqual([{ type: 'test.event' }]);
  });

  it('enforce one email per tenant regardless of case', async () => {
    const { db } = opened[0] as Database;
    await db('tenants').insert({ id: 'acme', name: 'Acme' });
    await db('users').insert({ tenant_id: 'acme', email: 'Ann@Example.com', password_hash: 'x' });
    await expect(db('users').insert({ tenant_id: 'acme', email: 'ann@example.COM', password_hash: 'x' })).rejects.toMatchObject({
      code: '23505',
    });
    await expect(db('tenants').insert({ id: 'Bad Slug', name: 'x' })).rejects.toMatchObject({ code: '23514' });
  });
});
