// SQL for roles and user_roles.
import type { Knex } from 'knex';

export interface Role {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  permissions: string[];
  builtIn: boolean;
}

interface RoleRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  permissions: string[];
  built_in: boolean;
}

const toRole = (r: RoleRow): Role => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  description: r.description,
  permissions: r.permissions,
  builtIn: r.built_in,
});

export async function insertRoles(
  db: Knex,
  tenantId: string,
  roles: ReadonlyArray<{ name: string; description: string; permissions: readonly string[]; builtIn: boolean }>,
): Promise<Role[]> {
  const rows = await db<RoleRow>('roles')
    .insert(
      roles.map((r) => ({
        tenant_id: tenantId,
        name: r.name,
        description: r.description,
        permissions: [...r.permissions],
        built_in: r.builtIn,
      })),
    )
    .returning('*');
  return (rows as RoleRow[]).map(toRole);
}

export async function findRolesByNames(db: Knex, tenantId: string, names: readonly string[]): Promise<Role[]> {
  if (names.length === 0) return [];
  const rows = await db<RoleRow>('roles')
    .where({ tenant_id: tenantId })
    .whereIn('name', [...names]);
  return rows.map(toRole);
}

export async function assignRoles(db: Knex, userId: string, roleIds: readonly string[]): Promise<void> {
  if (roleIds.length === 0) return;
  await db('user_roles')
    .insert(roleIds.map((roleId) => ({ user_id: userId, role_id: roleId })))
    .onConflict(['user_id', 'role_id'])
    .ignore();
}

export async function findRoleNamesOfUser(db: Knex, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db('user_roles as ur')
    .join('roles as r', 'r.id', 'ur.role_id')
    .where({ 'ur.user_id': userId, 'r.tenant_id': tenantId })
    .orderBy('r.name')
    .select<{ name: string }[]>('r.name');
  return rows.map((r) => r.name);
}
