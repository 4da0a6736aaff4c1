// New tenants evict a user's oldest session at the session limit instead of refusing the sign-in (docs/security.md
// "Sign-in limits and lockout"): a person who signs in on one browser too many is never stuck. Existing tenants keep
// the strategy they have; `reject` stays available per tenant.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw("ALTER TABLE tenants ALTER COLUMN session_strategy SET DEFAULT 'evict_oldest'");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("ALTER TABLE tenants ALTER COLUMN session_strategy SET DEFAULT 'reject'");
}
