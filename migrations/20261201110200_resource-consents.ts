// What each person has allowed each client on each API resource, one row per scope, so a later request for more
// asks only for the scopes not allowed yet.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('resource_consents', (t) => {
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('client_id').notNullable().references('clients.client_id').onDelete('CASCADE');
    t.uuid('resource_id').notNullable().references('api_resources.id').onDelete('CASCADE');
    t.text('scope').notNullable();
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'user_id', 'client_id', 'resource_id', 'scope']);
    t.index(['resource_id'], 'resource_consents_resource_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('resource_consents');
}
