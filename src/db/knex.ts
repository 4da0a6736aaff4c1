// knex over PostgreSQL (DATABASE_URL) or embedded PGlite under DATA_DIR; the same migrations run on both.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Config } from '../config/index.ts';
import type { Logger } from '../logger.ts';
import { acquireDirectoryLock } from './directory-lock.ts';

export type Db = Knex;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export function openDatabase(config: Pick<Config, 'databaseUrl' | 'databasePoolMax' | 'dataDir'>, logger?: Logger): Database {
  // knex prints to the console by default; its messages belong in the structured log.
  const log = logger && {
    warn: (message: unknown) => logger.warn({ knex: String(message) }, 'database warning'),
    error: (message: unknown) => logger.error({ knex: String(message) }, 'database error'),
    deprecate: (message: unknown) => logger.warn({ knex: String(message) }, 'database deprecation'),
    debug: (message: unknown) => logger.debug({ knex: String(message) }, 'database debug'),
  };
  if (config.databaseUrl) {
    const db = knex({
      ...(log && { log }),
      client: 'pg',
      connection: { connectionString: config.databaseUrl, connectionTimeoutMillis: 3000 },
      pool: { min: 0, max: config.databasePoolMax, idleTimeoutMillis: 30_000 },
      acquireConnectionTimeout: 5000,
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
