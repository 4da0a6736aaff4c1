// TOTP MFA (RFC 6238): the secret encrypted at rest, the last accepted time step (no replay), and single-use
// backup codes stored as keyed hashes.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_mfa', (t) => {
    t.uuid('user_id').primary().references('users.id').onDelete('CASCADE');
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.text('secret_encrypted').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.bigInteger('last_time_step').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('activated_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE user_mfa ADD CONSTRAINT user_mfa_status CHECK (status IN ('pending', 'active'))`);
  await knex.schema.createTable('mfa_backup_codes', (t) => {
    t.text('code_hash').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('used_at', { useTz: true });
  });
  await knex.raw('CREATE INDEX mfa_backup_codes_user ON mfa_backup_codes (tenant_id, user_id) WHERE used_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mfa_backup_codes');
  await knex.schema.dropTable('user_mfa');
}
