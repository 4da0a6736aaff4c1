// API resources (RFC 8707 resource servers): what a tenant — or the platform, for APIs every tenant may use — registers
// so that apps get access tokens for it. The identifier is the tokens' `aud`, unique within its tenant; the scopes
// carry the plain-words descriptions the consent page shows (docs/api.md, "API resources").
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_resources', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('tenant_id').notNullable().references('tenants.id').onDelete('CASCADE');
    t.text('identifier').notNullable();
    t.text('name').notNullable();
    t.jsonb('scopes').notNullable().defaultTo('[]');
    t.integer('access_token_ttl').notNullable();
    t.text('signing_alg').notNullable();
    t.boolean('allow_refresh_tokens').notNullable().defaultTo(true);
    t.boolean('consent_required').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'identifier'], { indexName: 'api_resources_tenant_identifier_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_resources');
}
