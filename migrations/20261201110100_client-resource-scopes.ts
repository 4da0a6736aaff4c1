// Which scopes of which API resource each client may ask for: a client never gets a resource scope not listed here.
// The row lives in the client's tenant; the resource is the tenant's own or a platform one.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('client_resource_scopes', (t) => {
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.text('client_id').notNullable().references('clients.client_id').onDelete('CASCADE');
    t.uuid('resource_id').notNullable().references('api_resources.id').onDelete('CASCADE');
    t.text('scope').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'client_id', 'resource_id', 'scope']);
    t.index(['resource_id'], 'client_resource_scopes_resource_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('client_resource_scopes');
}
