// Every hot query uses an index in a large tenant: 100,000 users (with their sessions, grants and refresh tokens)
// and 1,000,000 audit events. The real query functions run with PostgreSQL's auto_explain reporting each executed
// plan back to the connection, so the test checks the SQL the code sends, by plan shape (never by time). Small
// tables hide a missing index: the planner reads 20 users with a sequential scan in no time.
import knex, { type Knex } from 'knex';
import type pg from 'pg';
import { findAuditEvents } from '../../src/db/queries/audit-events.ts';
import { findClientsPage } from '../../src/db/queries/clients.ts';
import { findOidcPayloadWithGrant, rotateOidcPayload } from '../../src/db/queries/oidc-payloads.ts';
import {
  findLiveSessionIdsBeyond,
  findLiveSessionsOfUser,
  findLiveSessionWithGrant,
  findSessionByPayloadId,
  touchSession,
} from '../../src/db/queries/sessions.ts';
import { findUserByLogin, findUsersPage } from '../../src/db/queries/users.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { serviceMode } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

const USERS = 100_000;
const AUDIT_EVENTS = 1_000_000;
/** The tables that grow with a tenant: none of them may be read whole by a hot query. */
const BIG_TABLES = ['users', 'sessions', 'session_grants', 'oidc_payloads', 'audit_events', 'clients'];

let env: TestEnv;
let db: Knex;
/** Plans auto_explain reported since the last `plansOf` (text format, one per executed statement). */
const plans: string[] = [];

/** Runs `work` and returns the plans of the statements it executed, joined. */
async function plansOf(work: () => Promise<unknown>): Promise<string> {
  plans.length = 0;
  await work();
  expect(plans.length).toBeGreaterThan(0);
  return plans.join('\n');
}

function expectIndexed(plan: string): void {
  for (const table of BIG_TABLES) expect(plan).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`));
}

/**
 * Loads the large tenant `big` and a small tenant `small` in one transaction: generated rows (INSERT … SELECT),
 * the secondary indexes dropped during the load and built again after it (much faster than row by row).
 */
async function loadLargeTenant(): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('set local synchronous_commit = off');
    await trx.raw(`set local maintenance_work_mem = '256MB'`);
    const { rows: indexes } = (await trx.raw(
      `select indexname, indexdef from pg_indexes
        where schemaname = current_schema() and tablename in ('users', 'audit_events', 'sessions', 'session_grants', 'oidc_payloads')
          and indexname not like '%pkey'`,
    )) as { rows: Array<{ indexname: string; indexdef: string }> };
    for (const index of indexes) await trx.raw(`drop index ${index.indexname}`);

    await trx.raw(`insert into tenants (id, name) values ('big', 'Big'), ('small', 'Small')`);
    await trx.raw(
      `insert into users (tenant_id, email, username, password_hash, created_at)
       select 'big', 'user' || i || '@big.test', case when i % 2 = 0 then 'name' || i end, 'x',
              now() - make_interval(secs => ? - i)
         from generate_series(1, ?) i`,
      [USERS, USERS],
    );
    await trx.raw(
      `insert into users (tenant_id, email, password_hash) select 'small', 'user' || i || '@small.test', 'x' from generate_series(1, 20) i`,
    );
    await trx.raw(
      `insert into clients (client_id, tenant_id, name, created_at)
       select 'client' || i, 'big', 'Client ' || i, now() - make_interval(secs => 5000 - i) from generate_series(1, 5000) i`,
    );
    // One session per user (every fourth ended), each with a grant and a refresh token.
    await trx.raw(
      `insert into sessions (id, tenant_id, user_id, client_id, expires_at, ended_at, created_at)
       select 's' || n, 'big', id, 'client' || (n % 100 + 1), now() + interval '1 day', case when n % 4 = 0 then now() end, created_at
         from (select id, created_at, row_number() over (order by created_at) n from users where tenant_id = 'big') u`,
    );
    await trx.raw(`insert into session_grants (grant_id, session_id, client_id) select 'g' || substr(id, 2), id, client_id from sessions`);
    await trx.raw(
      `insert into oidc_payloads (model_name, id, payload, grant_id, expires_at)
       select m.model, case m.model when 'Grant' then 'g' else 'r' end || substr(s.id, 2),
              jsonb_build_object('accountId', s.user_id, 'clientId', s.client_id, 'grantId', 'g' || substr(s.id, 2)),
              'g' || substr(s.id, 2), now() + interval '1 day'
         from sessions s cross join (values ('Grant'), ('RefreshToken')) m(model)`,
    );
    await trx.raw(
      `insert into audit_events (tenant_id, type, subject_id, client_id, created_at)
       select 'big', case when i % 3 = 0 then 'signin.succeeded' else 'token.refreshed' end, 'subject' || (i % 50000),
              'client' || (i % 100 + 1), now() - make_interval(secs => ? - i)
         from generate_series(1, ?) i`,
      [AUDIT_EVENTS, AUDIT_EVENTS],
    );
    await trx.raw(`insert into audit_events (tenant_id, type) select 'small', 'signin.succeeded' from generate_series(1, 50)`);
    await trx.raw(`insert into audit_events (tenant_id, type) select null, 'ip.blocked' from generate_series(1, 50)`);

    for (const index of indexes) await trx.raw(index.indexdef);
  });
  await db.raw('analyze');
}

/**
 * One connection, so every statement runs where auto_explain is loaded and reports its plan to us (into `into`);
 * `settings` are more statements run on it first.
 */
function explainingKnex(url: string, into: string[], settings = ''): Knex {
  return knex({
    client: 'pg',
    connection: url,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: pg.Client, done: (err: Error | null, conn: unknown) => void) => {
        conn.on('notice', (notice) => {
          if (/plan:/.test(notice.message ?? '')) into.push(notice.message as string);
        });
        conn.query(
          `load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_level = notice;
           set client_min_messages = notice; ${settings}`,
          (err) => done(err, conn),
        );
      },
    },
  });
}

(serviceMode() === 'services' ? describe : describe.skip)('hot queries in a large tenant', () => {
  beforeAll(async () => {
    env = await createTestEnv();
    db = explainingKnex(env.vars.DATABASE_URL as string, plans);
    await migrateToLatest(db);
    await loadLargeTenant();
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await env?.destroy();
  });

  it('finds a user by email or username through the email and username indexes, known or not', async () => {
    for (const login of ['user77777@big.test', 'NAME4242', 'nobody@big.test']) {
      const plan = await plansOf(() => findUserByLogin(db, 'big', login));
      expectIndexed(plan);
      expect(plan).toMatch(/users_tenant_email_unique/);
    }
    const byUsername = await findUserByLogin(db, 'big', 'NAME4242');
    expect(byUsername?.email).toBe('user4242@big.test');
    expect(await findUserByLogin(db, 'small', 'user7@big.test')).toBeUndefined();
  });

  it('redeems and rotates a refresh token, and touches its session, by key', async () => {
    const found = await findOidcPayloadWithGrant(db, 'RefreshToken', 'r1234', 5);
    expect(found?.session?.id).toBe('s1234');
    expect(found?.account?.tenantId).toBe('big');
    expectIndexed(await plansOf(() => findOidcPayloadWithGrant(db, 'RefreshToken', 'r1235', 5)));
    const plan = await plansOf(async () => {
      const rotated = await rotateOidcPayload(
        db,
        { modelName: 'RefreshToken', id: 'r1235' },
        { modelName: 'RefreshToken', id: 'r1235-next', payload: { grantId: 'g1235' }, grantId: 'g1235', expiresAt: null },
        { tenantId: 'big', type: 'token.refreshed' },
      );
      expect(rotated).toBe(true);
      await touchSession(db, 'big', 's1235');
    });
    expectIndexed(plan);
  });

  it('introspects a JWT against its live session and grant, and lists a user’s sessions, by index', async () => {
    const { id: userId } = (await db('users').where({ tenant_id: 'big', email: 'user1235@big.test' }).first('id')) as { id: string };
    const plan = await plansOf(async () => {
      expect((await findLiveSessionWithGrant(db, 'big', 's1235', 'client36'))?.hasLiveGrant).toBe(true);
      expect(await findLiveSessionsOfUser(db, 'big', userId)).toHaveLength(1);
      // A sign-in's session-limit check: under the limit, nothing to evict; at a limit of one, the one session.
      expect(await findLiveSessionIdsBeyond(db, 'big', userId, 9)).toEqual([]);
      expect(await findLiveSessionIdsBeyond(db, 'big', userId, 0)).toEqual(['s1235']);
    });
    expectIndexed(plan);
  });

  it('pages through users and clients in creation order by index', async () => {
    const firstPage = await findUsersPage(db, 'big', { limit: 51 });
    expect(firstPage).toHaveLength(51);
    const plan = await plansOf(async () => {
      await findUsersPage(db, 'big', { limit: 51 });
      await findUsersPage(db, 'big', { limit: 51, afterId: firstPage[50]?.id, status: 'active' });
      await findClientsPage(db, 'big', { limit: 51, afterId: 'client4000' });
    });
    expectIndexed(plan);
  });

  it('queries the audit log of a large and a small tenant, filtered or not, by index', async () => {
    const [newest] = await findAuditEvents(db, 'big', { limit: 1 });
    const plan = await plansOf(async () => {
      expect(await findAuditEvents(db, 'big', { limit: 51 })).toHaveLength(51);
      expect(await findAuditEvents(db, 'big', { limit: 51, beforeId: newest?.id })).toHaveLength(51);
      expect(await findAuditEvents(db, 'big', { limit: 51, type: 'signin.succeeded' })).toHaveLength(51);
      expect(await findAuditEvents(db, 'big', { limit: 51, userId: 'subject42' })).toHaveLength(20);
      // A person's own security activity (the account center): events about them only.
      expect(await findAuditEvents(db, 'big', { limit: 150, subjectId: 'subject42' })).toHaveLength(20);
      expect(await findAuditEvents(db, 'big', { limit: 51, clientId: 'client7' })).toHaveLength(51);
      await findAuditEvents(db, 'big', { limit: 51, from: new Date(Date.now() - 3_600_000), to: new Date() });
      expect(await findAuditEvents(db, 'small', { limit: 51 })).toHaveLength(50);
      expect(await findAuditEvents(db, 'small', { limit: 200, includeUntenanted: true })).toHaveLength(100);
    });
    expectIndexed(plan);
  });
});

// A young installation: the planner's statistics still describe nearly empty tables while thousands of grants and
// refresh tokens have arrived, and a prepared statement runs its generic plan. The refresh lookup must still read
// each part by its key; as plain joins it read every Grant and every refresh token per refresh (4–5 ms instead of
// 0.05 ms at 20,000 grants).
(serviceMode() === 'services' ? describe : describe.skip)('the refresh lookup under stale statistics', () => {
  let young: TestEnv;
  let ydb: Knex;
  const seen: string[] = [];

  beforeAll(async () => {
    young = await createTestEnv();
    ydb = explainingKnex(young.vars.DATABASE_URL as string, seen, 'set plan_cache_mode = force_generic_plan');
    await migrateToLatest(ydb);
    await ydb.raw(
      `insert into tenants (id, name) values ('young', 'Young');
       insert into users (id, tenant_id, email, password_hash) values ('00000000-0000-4000-8000-000000000001', 'young', 'a@young.test', 'x');
       insert into oidc_payloads (model_name, id, payload, expires_at) values ('Grant', 'g0', '{}', now() + interval '1 day');
       analyze`,
    );
    for (const table of ['oidc_payloads', 'sessions', 'session_grants', 'users'])
      await ydb.raw(`alter table ${table} set (autovacuum_enabled = false)`);
    await ydb.raw(
      `insert into oidc_payloads (model_name, id, payload, expires_at)
         select 'Grant', 'g' || i, '{}', now() + interval '1 day' from generate_series(1, 5000) i;
       insert into oidc_payloads (model_name, id, payload, grant_id, expires_at)
         select 'RefreshToken', 'r' || i, '{"accountId": "00000000-0000-4000-8000-000000000001"}', 'g' || i, now() + interval '1 day'
           from generate_series(1, 5000) i;
       insert into sessions (id, tenant_id, user_id, expires_at)
         select 's' || i, 'young', '00000000-0000-4000-8000-000000000001', now() + interval '1 day' from generate_series(1, 5000) i;
       insert into session_grants (grant_id, session_id, client_id) select 'g' || i, 's' || i, 'app' from generate_series(1, 5000) i`,
    );
  }, 60_000);

  afterAll(async () => {
    await ydb?.destroy();
    await young?.destroy();
  });

  it('reads the token, its grant, successor, session and account each by key', async () => {
    seen.length = 0;
    const found = await findOidcPayloadWithGrant(ydb, 'RefreshToken', 'r4321', 5);
    expect(found?.grant).toBeDefined();
    expect(found?.session?.id).toBe('s4321');
    expect(found?.account?.email).toBe('a@young.test');
    const plan = seen.join('\n');
    expect(plan).toMatch(/Index Cond: \(\(model_name = 'Grant'::text\) AND \(id = t\.grant_id\)\)/);
    expect(plan).toMatch(/Index Cond: \(\(model_name = t\.model_name\) AND \(id = t\.successor_id\)\)/);
    expect(plan).toMatch(/Index Cond: \(grant_id = t\.grant_id\)/);
    expect(plan).toMatch(/Index Cond: \(id = sg\.session_id\)/);
    // No part is read whole and matched afterwards (the roles subquery's tables are empty here, and may be).
    expect(plan).not.toMatch(/Join Filter: .*\b(g|nx|sg|s|u)\.(id|grant_id|session_id)\b/);
  });

  it('finds the session of a JSON API refresh token by key', async () => {
    seen.length = 0;
    expect((await findSessionByPayloadId(ydb, 'RefreshToken', 'r2468'))?.id).toBe('s2468');
    const plan = seen.join('\n');
    expect(plan).toMatch(/Index Cond: \(grant_id = t\.grant_id\)/);
    expect(plan).toMatch(/Index Cond: \(id = sg\.session_id\)/);
    expect(plan).not.toMatch(/Seq Scan on (sessions|session_grants|oidc_payloads)\b/);
  });
});
