// The refresh token a rotation issued, kept on the token it replaced: a retry within the reuse interval supersedes
// that successor instead of revoking the grant (docs/security.md, "Refresh token reuse and the reuse interval").
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.text('successor_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oidc_payloads', (t) => {
    t.dropColumn('successor_id');
  });
}
