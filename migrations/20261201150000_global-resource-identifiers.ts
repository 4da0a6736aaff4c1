// An API resource's identifier names one API in the whole deployment, not only in its tenant: every tenant's access
// tokens share one issuer, so a second resource with the same identifier (another tenant's, or one shadowing a
// platform resource) would mint tokens, with scopes of its own choosing, that the first API accepts by issuer,
// audience and scope. The per-tenant unique index gives way to a deployment-wide one.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE UNIQUE INDEX api_resources_identifier_unique ON api_resources (identifier)');
  await knex.raw('ALTER TABLE api_resources DROP CONSTRAINT api_resources_tenant_identifier_unique');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE api_resources ADD CONSTRAINT api_resources_tenant_identifier_unique UNIQUE (tenant_id, identifier)');
  await knex.raw('DROP INDEX api_resources_identifier_unique');
}
