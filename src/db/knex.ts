// knex over PostgreSQL (DATABASE_URL) or embedded PGlite under DATA_DIR; the same migrations run on both.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { DEFAULT_DEADLINES, type Config } from '../config/index.ts';
import type { Logger } from '../logger.ts';
import { acquireDirectoryLock } from './directory-lock.ts';

export type Db = Knex;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'databasePoolMax' | 'dataDir'> & Partial<Pick<Config, 'deadlines'>>,
  logger?: Logger,
): Database {
  // knex prints to the console by default; its messages belong in the structured log.
  const log = logger && {
    warn: (message: unknown) => logger.warn({ knex: String(message) }, 'database warning'),
    error: (message: unknown) => logger.error({ knex: String(message) }, 'database error'),
    deprecate: (message: unknown) => logger.warn({ knex: String(message) }, 'database deprecation'),
    debug: (message: unknown) => logger.debug({ knex: String(message) }, 'database debug'),
  };
  if (config.databaseUrl) {
    // Every call ends (docs/operations.md, "Deadlines and faults"): opening a connection, waiting for one from the
    // pool, the statement on the server (statement_timeout, which cancels it cleanly) and, for a server that never
    // answers at all, the client's own read deadline (query_timeout). The errors they raise are mapped to
    // SERVICE_UNAVAILABLE in errors/dependency-errors.ts.
    const deadlines = config.deadlines ?? DEFAULT_DEADLINES;
    const db = knex({
      ...(log && { log }),
      client: 'pg',
      connection: {
        connectionString: config.databaseUrl,
        connectionTimeoutMillis: deadlines.databaseConnectMs,
        statement_timeout: deadlines.databaseStatementMs,
        query_timeout: deadlines.databaseQueryMs,
        // A session that stays idle in a transaction (its client vanished) releases its locks.
        idle_in_transaction_session_timeout: Math.max(deadlines.databaseQueryMs * 2, 10_000),
      },
      pool: { min: 0, max: config.databasePoolMax, idleTimeoutMillis: 30_000 },
      acquireConnectionTimeout: deadlines.databaseAcquireMs,
    });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = join(config.dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  // PGlite is single-process: a second process opening the same files would corrupt them.
  const lock = acquireDirectoryLock(join(config.dataDir, 'pgdata.lock'));
  const db = knex({ client: ClientPgLite, dialect: 'postgres', connection: { filename: dir }, ...(log && { log }) } as Knex.Config);
  return {
    db,
    kind: 'pglite',
    close: async () => {
      try {
        await db.destroy();
      } finally {
        lock.release();
      }
    },
  };
}

/** Rows a DELETE removed: knex-pglite answers with the driver's result object, pg with the count. */
export function deletedRows(result: unknown): number {
  return typeof result === 'number' ? result : Number((result as { rowCount?: number } | undefined)?.rowCount ?? 0);
}

/**
 * Query options that make a hot statement a named prepared statement: each connection parses and plans it once
 * and then only binds and executes it (planning the token-with-grant join cost more than running it). The name
 * must belong to one SQL text. PGlite ignores it.
 */
export function prepared(name: string): { name: string } {
  return { name };
}

/**
 * A page of a tenant's rows of `table` in creation order (keyset pagination on `created_at`, then `idColumn`),
 * starting after the row `afterId`. The cursor row's own timestamp is compared in SQL, at the database's
 * microsecond precision (a JS Date would round it). Callers add their filters.
 */
export function creationOrderPage(
  db: Knex,
  table: 'users' | 'clients',
  idColumn: string,
  tenantId: string,
  page: { afterId?: string | undefined; limit: number },
): Knex.QueryBuilder {
  const q = db(table)
    .where({ tenant_id: tenantId })
    .orderBy([{ column: 'created_at' }, { column: idColumn }])
    .limit(page.limit);
  if (page.afterId) {
    q.andWhereRaw('(created_at, ??) > (SELECT created_at, ?? FROM ?? WHERE tenant_id = ? AND ?? = ?)', [
      idColumn,
      idColumn,
      table,
      tenantId,
      idColumn,
      page.afterId,
    ]);
  }
  return q;
}
