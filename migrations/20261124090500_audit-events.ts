// The append-only audit log (docs/security.md): the database itself refuses UPDATE and DELETE on it.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.text('tenant_id');
    t.text('type').notNullable();
    t.text('outcome').notNullable().defaultTo('success');
    t.text('actor_id');
    t.text('subject_id');
    t.text('client_id');
    t.text('ip');
    t.text('user_agent');
    t.text('request_id');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, created_at DESC, id DESC)');
  await knex.raw('CREATE INDEX audit_events_tenant_type ON audit_events (tenant_id, type, created_at DESC)');
  await knex.raw(`CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$`);
  await knex.raw(`CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.raw('DROP FUNCTION audit_events_append_only()');
}
