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

describe('the issue-15 data migrations', () => {
  let env: TestEnv;
  let database: Database;
  const source = {
    getMigrations: async () => MIGRATIONS.map(([name]) => name),
    getMigrationName: (name: string) => name,
    getMigration: async (name: string) => (MIGRATIONS.find(([n]) => n === name) as (typeof MIGRATIONS)[number])[1],
  };
  beforeAll(async () => {
    env = await createTestEnv();
    database = openDatabase(env.config());
  });
  afterAll(async () => {
    await database.close();
    await env.destroy();
  });

  it('take platform permissions out of other tenants, and every live token out of the database', async () => {
    const { db } = database;
    const pending = async () => ((await db.migrate.list({ migrationSource: source })) as [unknown[], Array<{ file: string } | string>])[1];
    const nameOf = (m: { file: string } | string) => (typeof m === 'string' ? m : m.file);
    // Up to just before the first of them, so the rows below are in the old shape.
    while (nameOf((await pending())[0] ?? '') !== '20261130150000_platform-permissions-only-in-platform') {
      await db.migrate.up({ migrationSource: source });
    }
    const all = ['users:read', 'tenants:write', 'ip-blocks:read'];
    await db('tenants').insert([
      { id: 'acme', name: 'Acme' },
      { id: 'platform', name: 'Platform' },
    ]);
    await db('roles').insert([
      { tenant_id: 'acme', name: 'admin', permissions: all, built_in: true },
      { tenant_id: 'acme', name: 'custom', permissions: ['tenants:read'], built_in: false },
      { tenant_id: 'platform', name: 'admin', permissions: all, built_in: true },
    ]);
    const [user] = await db('users').insert({ tenant_id: 'acme', email: 'ann@acme.test', password_hash: 'x' }).returning('id');
    await db('user_tokens').insert({
      token_hash: 'unkeyed-sha256',
      tenant_id: 'acme',
      user_id: user.id,
      purpose: 'password_reset',
      expires_at: new Date(Date.now() + 3_600_000),
    });
    const token = 'A'.repeat(43);
    await db('mail_outbox').insert({
      tenant_id: 'acme',
      to_address: 'ann@acme.test',
      subject: 's',
      body: `Use:\n\n${token}\n`,
      kind: 'password_reset',
    });

    await migrateToLatest(db);
    const permissions = Object.fromEntries(
      (await db('roles').select('tenant_id', 'name', 'permissions')).map((r) => [`${r.tenant_id}.${r.name}`, r.permissions]),
    );
    expect(permissions).toEqual({ 'acme.admin': ['users:read'], 'acme.custom': [], 'platform.admin': all });
    expect(await db('user_tokens')).toEqual([]);
    const mail = await db('mail_outbox').first();
    expect(mail.body).toBe('Use:\n\n[redacted]\n');
    expect(mail.sent_at).not.toBeNull();
  });
});
