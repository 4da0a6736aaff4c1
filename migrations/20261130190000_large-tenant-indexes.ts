// Indexes for a large tenant's audit log (1,000,000 events and more): each filter of the audit query, newest
// first by id as the query orders, gets an index that starts with the tenant, so no query reads other tenants' events
// or sorts a whole tenant's. The type index moves from time order to id order; the time index stays for ranges.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX audit_events_tenant_id ON audit_events (tenant_id, id DESC)');
  await knex.raw('DROP INDEX audit_events_tenant_type');
  await knex.raw('CREATE INDEX audit_events_tenant_type ON audit_events (tenant_id, type, id DESC)');
  await knex.raw('CREATE INDEX audit_events_tenant_subject ON audit_events (tenant_id, subject_id, id DESC) WHERE subject_id IS NOT NULL');
  await knex.raw('CREATE INDEX audit_events_tenant_actor ON audit_events (tenant_id, actor_id, id DESC) WHERE actor_id IS NOT NULL');
  await knex.raw('CREATE INDEX audit_events_tenant_client ON audit_events (tenant_id, client_id, id DESC) WHERE client_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX audit_events_tenant_client');
  await knex.raw('DROP INDEX audit_events_tenant_actor');
  await knex.raw('DROP INDEX audit_events_tenant_subject');
  await knex.raw('DROP INDEX audit_events_tenant_type');
  await knex.raw('CREATE INDEX audit_events_tenant_type ON audit_events (tenant_id, type, created_at DESC)');
  await knex.raw('DROP INDEX audit_events_tenant_id');
}
