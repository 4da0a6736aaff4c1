// The admin API (issue 7): client names unique per tenant regardless of case, the built-in admin role holds
// every permission of the current list, and users and clients are listed in a stable, indexed order.
import type { Knex } from 'knex';

const ADMIN_PERMISSIONS = [
  'users:read',
  'users:write',
  'roles:read',
  'roles:write',
  'clients:read',
  'clients:write',
  'sessions:read',
  'sessions:write',
  'audit:read',
  'outbox:read',
  'tenants:read',
  'tenants:write',
  'ip-blocks:read',
  'ip-blocks:write',
];

export async function up(knex: Knex): Promise<void> {
  // Earlier clients may share a name in another case: the older keeps it, later ones get their id appended.
  await knex.raw(`UPDATE clients c SET name = c.name || ' (' || c.client_id || ')'
    WHERE EXISTS (SELECT 1 FROM clients o WHERE o.tenant_id = c.tenant_id AND lower(o.name) = lower(c.name)
                  AND (o.created_at, o.client_id) < (c.created_at, c.client_id))`);
  await knex.raw('ALTER TABLE clients DROP CONSTRAINT clients_tenant_name_unique');
  await knex.raw('CREATE UNIQUE INDEX clients_tenant_lower_name_unique ON clients (tenant_id, lower(name))');
  await knex.raw('CREATE INDEX users_tenant_created ON users (tenant_id, created_at, id)');
  await knex.raw('CREATE INDEX clients_tenant_created ON clients (tenant_id, created_at, client_id)');
  await knex('roles').where({ built_in: true, name: 'admin' }).update({ permissions: ADMIN_PERMISSIONS });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX clients_tenant_created');
  await knex.raw('DROP INDEX users_tenant_created');
  await knex.raw('DROP INDEX clients_tenant_lower_name_unique');
  await knex.raw('ALTER TABLE clients ADD CONSTRAINT clients_tenant_name_unique UNIQUE (tenant_id, name)');
}
