// Custom roles of a tenant (docs/security.md): a name, a description and permission strings. The built-in `admin` and
// `member` roles cannot be changed or deleted, and nobody creates, changes or deletes a role holding a permission
// they do not hold themselves ("Permissions and escalation").
import { z } from 'zod';
import {
  deleteRole as deleteRoleRow,
  findRoleByName,
  findPermissionsOfUser,
  findRoleNamesOfUser,
  findRoles,
  insertRoles,
  updateRole as updateRoleRow,
  type Role,
} from '../db/queries/roles.ts';
import { AppError } from '../errors/app-error.ts';
import type { ServiceDeps } from '../context.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { isPlatformPermission, PERMISSIONS, permissionsNotHeld, PLATFORM_TENANT_ID, type Grantor, type Permission } from './permissions.ts';

export const roleNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);

export const roleChangesSchema = z.object({
  description: z.string().trim().max(500).optional(),
  permissions: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length).optional(),
});

export const newRoleSchema = roleChangesSchema.extend({ name: roleNameSchema });

export function listRoles(deps: ServiceDeps, tenantId: string): Promise<Role[]> {
  return findRoles(deps.db, tenantId);
}

export async function createRole(
  deps: ServiceDeps,
  tenantId: string,
  input: z.output<typeof newRoleSchema>,
  meta: AuditMeta,
  grantor?: Grantor,
): Promise<Role> {
  assertRolePermissionsGrantable(tenantId, input.permissions ?? [], grantor);
  return deps.db.transaction(async (trx) => {
    const [role] = await insertRoles(trx, tenantId, [
      { name: input.name, description: input.description ?? '', permissions: [...new Set(input.permissions ?? [])], builtIn: false },
    ]);
    await recordAudit(trx, { tenantId, type: 'role.created', subjectId: input.name, data: { permissions: role?.permissions } }, meta);
    return role as Role;
  });
}

export async function updateRole(
  deps: ServiceDeps,
  tenantId: string,
  name: string,
  changes: z.output<typeof roleChangesSchema>,
  meta: AuditMeta,
  grantor?: Grantor,
): Promise<Role> {
  const current = await assertCustomRole(deps, tenantId, name);
  // Changing a role changes what every holder may do: the grantor must hold what it had and what it gets.
  assertRolePermissionsGrantable(tenantId, [...current.permissions, ...(changes.permissions ?? [])], grantor);
  return deps.db.transaction(async (trx) => {
    const permissions = changes.permissions && [...new Set(changes.permissions)];
    const role = await updateRoleRow(trx, tenantId, name, { description: changes.description, permissions });
    if (!role) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
    await recordAudit(trx, { tenantId, type: 'role.updated', subjectId: name, data: { permissions: role.permissions } }, meta);
    return role;
  });
}

/** Deletes a custom role; users who held it simply lose it. */
export async function deleteRole(deps: ServiceDeps, tenantId: string, name: string, meta: AuditMeta, grantor?: Grantor): Promise<void> {
  const current = await assertCustomRole(deps, tenantId, name);
  assertRolePermissionsGrantable(tenantId, current.permissions, grantor);
  await deps.db.transaction(async (trx) => {
    if (!(await deleteRoleRow(trx, tenantId, name))) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
    await recordAudit(trx, { tenantId, type: 'role.deleted', subjectId: name }, meta);
  });
}

async function assertCustomRole(deps: ServiceDeps, tenantId: string, name: string): Promise<Role> {
  const role = await findRoleByName(deps.db, tenantId, name);
  if (!role) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
  if (role.builtIn)
    throw new AppError('INVALID_FORMAT', { field: 'name', constraint: 'BUILT_IN_ROLE', detail: 'built-in roles are fixed' });
  return role;
}

/** Platform permissions only in the platform tenant; and only permissions the grantor holds itself. */
function assertRolePermissionsGrantable(tenantId: string, permissions: readonly string[], grantor: Grantor | undefined): void {
  const notHeld = permissionsNotHeld(grantor, permissions);
  if (notHeld.length > 0) throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: `cannot grant ${notHeld.join(' ')}` });
  if (tenantId !== PLATFORM_TENANT_ID && permissions.some((p) => isPlatformPermission(p as Permission))) {
    throw new AppError('INVALID_FORMAT', {
      field: 'permissions',
      constraint: 'PLATFORM_PERMISSION',
      detail: 'tenants:* and ip-blocks:* exist only in the platform tenant',
    });
  }
}

export function presentRole(role: Role) {
  return { name: role.name, description: role.description, permissions: role.permissions, builtIn: role.builtIn };
}

/** The names of a user's roles (the access token's `roles` claim). */
export function roleNamesOfUser(deps: Pick<ServiceDeps, 'db'>, tenantId: string, userId: string): Promise<string[]> {
  return findRoleNamesOfUser(deps.db, tenantId, userId);
}

/** Every permission string a user holds through their roles. */
export function permissionsOfUser(deps: Pick<ServiceDeps, 'db'>, tenantId: string, userId: string): Promise<string[]> {
  return findPermissionsOfUser(deps.db, tenantId, userId);
}
