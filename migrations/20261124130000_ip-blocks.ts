// IP blocks (docs/security.md): an address that keeps tripping rate limits or failing logins across accounts is blocked
// for a while; blocks are kept here for listing, lifting and the record.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ip_blocks', (t) => {
    t.bigIncrements('id').primary();
    t.text('ip').notNullable();
    t.text('reason').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('lifted_at', { useTz: true });
    t.text('lifted_by');
  });
  await knex.raw('CREATE INDEX ip_blocks_active ON ip_blocks (ip, expires_at) WHERE lifted_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ip_blocks');
}
