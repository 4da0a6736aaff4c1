// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): the durable queue of logout tokens owed to relying
// parties when a session ends, and the per-client `sid` each ID token carried, so the logout token names the same one.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('session_grants', (t) => {
    t.text('oidc_sid');
  });
  await knex.schema.createTable('backchannel_logouts', (t) => {
    t.bigIncrements('id').primary();
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.text('client_id').notNullable();
    t.text('session_id').notNullable();
    t.text('subject').notNullable();
    t.text('sid').notNullable();
    t.text('jti').notNullable().unique();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('abandoned_at', { useTz: true });
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    'CREATE INDEX backchannel_logouts_due ON backchannel_logouts (next_attempt_at) WHERE delivered_at IS NULL AND abandoned_at IS NULL',
  );
  await knex.raw('CREATE INDEX backchannel_logouts_by_tenant ON backchannel_logouts (tenant_id, id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('backchannel_logouts');
  await knex.schema.alterTable('session_grants', (t) => {
    t.dropColumn('oidc_sid');
  });
}
