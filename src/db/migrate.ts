// Runs the knex migrations of migrations/ (listed statically so they load the same way under node and jest).
import type { Knex } from 'knex';
import { MIGRATIONS } from '../../migrations/index.ts';
import type { Db } from './knex.ts';

/** What a migration may need besides the schema: SECRET_KEY, for rewriting stored secrets to their keyed hash. */
export interface MigrationOptions {
  secretKey?: string;
}

function sourceWith(options: MigrationOptions): Knex.MigrationSource<string> {
  return {
    getMigrations: async () => MIGRATIONS.map(([name]) => name),
    getMigrationName: (name) => name,
    getMigration: async (name) => {
      const found = MIGRATIONS.find(([n]) => n === name);
      if (!found) throw new Error(`unknown migration ${name}`);
      const migration = found[1];
      return { up: (knex: Knex) => migration.up(knex, options), down: (knex: Knex) => migration.down(knex, options) };
    },
  };
}

/** Brings the schema up to date; returns the names applied now (empty when already current). */
export async function migrateToLatest(db: Db, options: MigrationOptions = {}): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const [, applied] = (await db.migrate.latest({ migrationSource: sourceWith(options) })) as [number, string[]];
      return applied;
    } catch (err) {
      // Another process is migrating the same database: wait for it rather than fail the start.
      if ((err as Error).name !== 'MigrationLocked' || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
