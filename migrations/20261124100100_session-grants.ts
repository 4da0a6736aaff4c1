// Links sign-in sessions to the OAuth grants issued under them, so ending a session revokes its grants and a
// JWT access token can be checked against both (docs/security.md).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.text('oidc_session_uid');
  });
  await knex.raw('CREATE INDEX sessions_oidc_session_uid ON sessions (oidc_session_uid) WHERE oidc_session_uid IS NOT NULL');
  await knex.schema.createTable('session_grants', (t) => {
    t.text('grant_id').primary();
    t.text('session_id').notNullable().references('sessions.id').onDelete('CASCADE');
    t.text('client_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', { useTz: true });
  });
  await knex.raw('CREATE INDEX session_grants_by_session ON session_grants (session_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('session_grants');
  await knex.schema.alterTable('sessions', (t) => {
    t.dropColumn('oidc_session_uid');
  });
}
