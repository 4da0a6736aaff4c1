// Platform permissions (tenants:*, ip-blocks:*) exist only in roles of the platform tenant (docs/security.md,
// "Permissions and escalation"): every other tenant's roles lose them, the built-in admin role included.
import type { Knex } from 'knex';

const PLATFORM_PERMISSIONS = ['tenants:read', 'tenants:write', 'ip-blocks:read', 'ip-blocks:write'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `UPDATE roles SET permissions = ARRAY(SELECT p FROM unnest(permissions) AS p WHERE NOT (p = ANY(?::text[])))
      WHERE tenant_id <> 'platform' AND permissions && ?::text[]`,
    [PLATFORM_PERMISSIONS, PLATFORM_PERMISSIONS],
  );
}

export async function down(knex: Knex): Promise<void> {
  // The built-in admin roles listed them before (harmlessly: the guard ignored them outside platform).
  await knex.raw(`UPDATE roles SET permissions = permissions || ?::text[] WHERE tenant_id <> 'platform' AND built_in AND name = 'admin'`, [
    PLATFORM_PERMISSIONS,
  ]);
}
