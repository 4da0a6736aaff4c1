// Custom roles of a tenant (docs/security.md): a name, a description and permission strings. The built-in `admin` and
// `member` roles cannot be changed or deleted.
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
import { PERMISSIONS } from './permissions.ts';

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
): Promise<Role> {
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
): Promise<Role> {
  await assertCustomRole(deps, tenantId, name);
  return deps.db.transaction(async (trx) => {
    const permissions = changes.permissions && [...new Set(changes.permissions)];
    const role = await updateRoleRow(trx, tenantId, name, { description: changes.description, permissions });
    if (!role) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
    await recordAudit(trx, { tenantId, type: 'role.updated', subjectId: name, data: { permissions: role.permissions } }, meta);
    return role;
  });
}

/** Deletes a custom role; users who held it simply lose it. */
export async function deleteRole(deps: ServiceDeps, tenantId: string, name: string, meta: AuditMeta): Promise<void> {
  await assertCustomRole(deps, tenantId, name);
  await deps.db.transaction(async (trx) => {
    if (!(await deleteRoleRow(trx, tenantId, name))) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
    await recordAudit(trx, { tenantId, type: 'role.deleted', subjectId: name }, meta);
  });
}

async function assertCustomRole(deps: ServiceDeps, tenantId: string, name: string): Promise<void> {
  const role = await findRoleByName(deps.db, tenantId, name);
  if (!role) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
  if (role.builtIn)
    throw new AppError('INVALID_FORMAT', { field: 'name', constraint: 'BUILT_IN_ROLE', detail: 'built-in roles are fixed' });
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
