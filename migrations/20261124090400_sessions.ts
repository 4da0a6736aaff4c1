// Sign-in sessions (docs/security.md), shared by the JSON API and the login pages.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    t.text('id').primary();
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('client_id');
    t.specificType('amr', 'text[]').notNullable().defaultTo('{}');
    t.text('ip');
    t.text('user_agent');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('ended_at', { useTz: true });
    t.text('end_reason');
  });
  await knex.raw('CREATE INDEX sessions_live_by_user ON sessions (tenant_id, user_id, created_at) WHERE ended_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions');
}
