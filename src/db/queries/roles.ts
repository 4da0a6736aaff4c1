// SQL for roles and user_roles.
import type { Knex } from 'knex';
import { deletedRows, prepared } from '../knex.ts';

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

/** Gives a user of the tenant roles of the same tenant; ids of another tenant's user or roles change nothing. */
export async function assignRoles(db: Knex, tenantId: string, userId: string, roleIds: readonly string[]): Promise<void> {
  if (roleIds.length === 0) return;
  await db.raw(
    `INSERT INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM users u JOIN roles r ON r.tenant_id = u.tenant_id
        WHERE u.id = ? AND u.tenant_id = ? AND r.id = ANY(?::uuid[])
     ON CONFLICT (user_id, role_id) DO NOTHING`,
    [userId, tenantId, [...roleIds]],
  );
}

/** Sorted; prepared, as every token minted for a user reads them (its `roles` claim). */
export async function findRoleNamesOfUser(db: Knex, tenantId: string, userId: string): Promise<string[]> {
  const { rows } = (await db
    .raw('select r.name from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ? and r.tenant_id = ? order by r.name', [
      userId,
      tenantId,
    ])
    .options(prepared('gh_role_names_of_user'))) as { rows: Array<{ name: string }> };
  return rows.map((r) => r.name);
}

/** The union of the permissions of a user's roles in one tenant. */
export async function findPermissionsOfUser(db: Knex, tenantId: string, userId: string): Promise<string[]> {
  const rows = await db('user_roles as ur')
    .join('roles as r', 'r.id', 'ur.role_id')
    .where({ 'ur.user_id': userId, 'r.tenant_id': tenantId })
    .select<{ permission: string }[]>(db.raw('DISTINCT unnest(r.permissions) AS permission'));
  return rows.map((r) => r.permission);
}

/** Role names of several users of one tenant at once (a page of the admin user list). */
export async function findRoleNamesOfUsers(db: Knex, tenantId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return byUser;
  const rows = await db('user_roles as ur')
    .join('roles as r', 'r.id', 'ur.role_id')
    .where('r.tenant_id', tenantId)
    .whereIn('ur.user_id', [...userIds])
    .orderBy('r.name')
    .select<{ user_id: string; name: string }[]>('ur.user_id', 'r.name');
  for (const row of rows) byUser.get(row.user_id)?.push(row.name);
  return byUser;
}

/** Replaces the roles of a user of the tenant with `roleIds` of the same tenant. */
export async function replaceUserRoles(db: Knex, tenantId: string, userId: string, roleIds: readonly string[]): Promise<void> {
  await db('user_roles')
    .where({ user_id: userId })
    .whereIn('user_id', db('users').select('id').where({ tenant_id: tenantId }))
    .delete();
  await assignRoles(db, tenantId, userId, roleIds);
}

export async function findRoles(db: Knex, tenantId: string): Promise<Role[]> {
  return (await db<RoleRow>('roles').where({ tenant_id: tenantId }).orderBy('name')).map(toRole);
}

export async function findRoleByName(db: Knex, tenantId: string, name: string): Promise<Role | undefined> {
  const row = await db<RoleRow>('roles').where({ tenant_id: tenantId, name }).first();
  return row && toRole(row);
}

export async function updateRole(
  db: Knex,
  tenantId: string,
  name: string,
  changes: { description?: string | undefined; permissions?: readonly string[] | undefined },
): Promise<Role | undefined> {
  const [row] = await db<RoleRow>('roles')
    .where({ tenant_id: tenantId, name, built_in: false })
    .update({
      ...(changes.description !== undefined && { description: changes.description }),
      ...(changes.permissions !== undefined && { permissions: [...changes.permissions] }),
      updated_at: db.fn.now() as unknown as Date,
    } as Partial<RoleRow>)
    .returning('*');
  return row && toRole(row as RoleRow);
}

export async function deleteRole(db: Knex, tenantId: string, name: string): Promise<boolean> {
  return deletedRows(await db('roles').where({ tenant_id: tenantId, name, built_in: false }).delete()) === 1;
}

/**
 * Locks the tenant's role row named `name` until the transaction ends: changes that could remove the last holder
 * of the built-in admin role queue behind each other instead of each seeing the other admin still there.
 */
export async function lockRoleByName(db: Knex, tenantId: string, name: string): Promise<void> {
  await db('roles').where({ tenant_id: tenantId, name }).forUpdate().first('id');
}

/** How many active users of the tenant hold the role, leaving out `exceptUserId`. */
export async function countActiveHoldersOfRole(db: Knex, tenantId: string, name: string, exceptUserId: string): Promise<number> {
  const row = await db('user_roles as ur')
    .join('roles as r', 'r.id', 'ur.role_id')
    .join('users as u', 'u.id', 'ur.user_id')
    .where({ 'r.tenant_id': tenantId, 'r.name': name, 'u.tenant_id': tenantId, 'u.status': 'active' })
    .whereNot('u.id', exceptUserId)
    .count<{ count: string }[]>('* as count')
    .first();
  return Number(row?.count ?? 0);
}
