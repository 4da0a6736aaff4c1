// Our own clients sign ID tokens with ES256 (a fraction of RS256's CPU on every sign-in and refresh): each
// tenant's JSON API client and the first-party clients that name no algorithm. Other clients keep the RS256 they
// have relied on; new clients get ES256 unless they ask for RS256 (docs/configuration.md).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `UPDATE clients SET metadata = metadata || '{"id_token_signed_response_alg": "ES256"}'::jsonb, updated_at = now()
      WHERE (first_party OR client_id = tenant_id || '_api') AND metadata->>'id_token_signed_response_alg' IS NULL`,
  );
}

export async function down(): Promise<void> {
  // Which clients named no algorithm before is not kept: ES256 stays, and RS256 can be set per client.
}
