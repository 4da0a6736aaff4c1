// Users: one tenant each; email unique per tenant regardless of case; lockout counters.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.text('email').notNullable();
    t.text('username');
    t.text('password_hash').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.integer('failed_login_count').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('password_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`ALTER TABLE users ADD CONSTRAINT users_status CHECK (status IN ('active', 'disabled'))`);
  await knex.raw('CREATE UNIQUE INDEX users_tenant_email_unique ON users (tenant_id, lower(email))');
  await knex.raw('CREATE UNIQUE INDEX users_tenant_username_unique ON users (tenant_id, lower(username)) WHERE username IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
