// Tenants: a slug id, a name, a status and the per-tenant policies of docs/security.md.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenants', (t) => {
    t.text('id').primary();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.integer('session_limit').notNullable().defaultTo(5);
    t.text('session_strategy').notNullable().defaultTo('reject');
    t.text('mfa_policy').notNullable().defaultTo('optional');
    t.integer('lockout_max_failures').notNullable().defaultTo(5);
    t.integer('lockout_duration_seconds').notNullable().defaultTo(900);
    t.jsonb('rate_limits').notNullable().defaultTo('{}');
    t.jsonb('branding').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE tenants
    ADD CONSTRAINT tenants_id_slug CHECK (id ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9]){0,1}$'),
    ADD CONSTRAINT tenants_status CHECK (status IN ('active', 'suspended')),
    ADD CONSTRAINT tenants_session_strategy CHECK (session_strategy IN ('reject', 'evict_oldest')),
    ADD CONSTRAINT tenants_mfa_policy CHECK (mfa_policy IN ('off', 'optional', 'required')),
    ADD CONSTRAINT tenants_session_limit CHECK (session_limit >= 1)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tenants');
}
