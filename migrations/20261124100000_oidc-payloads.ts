// Durable oidc-provider models (sessions, grants, refresh tokens, registration tokens) in one payload table.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.text('model_name').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('uid');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model_name', 'id']);
  });
  await knex.raw('CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL');
  await knex.raw('CREATE INDEX oidc_payloads_uid ON oidc_payloads (model_name, uid) WHERE uid IS NOT NULL');
  await knex.raw('CREATE INDEX oidc_payloads_expires ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('oidc_payloads');
}
