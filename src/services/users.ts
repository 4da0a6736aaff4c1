// Users: creation with a bcrypt password and roles of the user's own tenant, changes, status and roles. Through the
// admin API nobody grants a role holding a permission they lack, acts on a user who holds more than they do, or
// changes their own roles; and no change leaves a tenant without an active admin (docs/security.md).
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import {
  assignRoles,
  countActiveHoldersOfRole,
  findPermissionsOfUser,
  findRoleNamesOfUser,
  findRoleNamesOfUsers,
  findRolesByNames,
  lockRoleByName,
  replaceUserRoles,
  type Role,
} from '../db/queries/roles.ts';
import { findUserIdsWithActiveMfa } from '../db/queries/mfa.ts';
import { enqueueBackchannelLogouts } from '../db/queries/backchannel-logouts.ts';
import { findLiveSessionsOfUser } from '../db/queries/sessions.ts';
import {
  clearLockout,
  deleteUserById,
  updatePasswordHash,
  findUserById,
  findUserWithRoleNamesById,
  type UserWithRoleNames,
  findUsersPage,
  insertUser,
  updateUserProfile,
  updateUserStatus,
  type User,
  type UserStatus,
} from '../db/queries/users.ts';
import type { ServiceDeps } from '../context.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { hashPassword, PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from './passwords.ts';
import { decodeCursor, toPage, type Page } from './pagination.ts';
import { endSessionsOfUser, type SessionDeps } from './sessions.ts';
import { getTenant } from './tenants.ts';
import { ADMIN_ROLE, permissionsNotHeld, type Grantor } from './permissions.ts';

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .refine((p) => Buffer.byteLength(p) <= PASSWORD_MAX_BYTES, { params: { constraint: 'MAX_LENGTH' } });

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{3,64}$/)
  .refine((u) => !u.includes('@'), { params: { constraint: 'PATTERN' } });

const newUserSchema = z.object({
  tenantId: z.string().min(1),
  email: z.email().max(254),
  password: passwordSchema,
  username: usernameSchema.optional(),
  emailVerified: z.boolean().default(true),
  roles: z.array(z.string().min(1)).default(['member']),
});

export type NewUserInput = z.input<typeof newUserSchema>;

export interface UserWithRoles extends User {
  roles: string[];
}

export async function createUser(deps: ServiceDeps, input: NewUserInput, meta: AuditMeta, grantor?: Grantor): Promise<UserWithRoles> {
  const values = parseOrThrow(newUserSchema, input);
  await getTenant(deps, values.tenantId);
  const roleNames = [...new Set(values.roles)];
  // Unknown or ungrantable roles fail before the (deliberately slow) hash; the transaction checks them again.
  assertRolesGrantable(await findRolesOrThrow(deps.db, values.tenantId, roleNames), grantor);
  const passwordHash = await hashPassword(values.password, deps.config);
  return deps.db.transaction(async (trx) => {
    const roles = await findRolesOrThrow(trx, values.tenantId, roleNames);
    assertRolesGrantable(roles, grantor);
    const user = await insertUser(trx, {
      tenantId: values.tenantId,
      email: values.email,
      username: values.username,
      passwordHash,
      emailVerified: values.emailVerified,
    });
    await assignRoles(
      trx,
      user.tenantId,
      user.id,
      roles.map((r) => r.id),
    );
    await recordAudit(trx, { tenantId: user.tenantId, type: 'user.created', subjectId: user.id, data: { roles: roleNames } }, meta);
    return { ...user, roles: roleNames.sort() };
  });
}

/** Disables or re-enables a user; a disabled user cannot sign in or refresh tokens. */
export async function setUserStatus(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  status: UserStatus,
  meta: AuditMeta,
  grantor?: Grantor,
): Promise<User> {
  await assertMayManageUser(deps, tenantId, userId, grantor);
  return deps.db.transaction(async (trx) => {
    if (status === 'disabled') await assertNotLastAdmin(trx, tenantId, userId);
    const user = await updateUserStatus(trx, tenantId, userId, status);
    if (!user) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    await recordAudit(trx, { tenantId, type: status === 'disabled' ? 'user.disabled' : 'user.enabled', subjectId: userId }, meta);
    return user;
  });
}

/** A user of the tenant with the names of their roles, or undefined (findAccount at the OIDC endpoints). */
export function findUserWithRoleNames(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  userId: string,
): Promise<UserWithRoleNames | undefined> {
  return findUserWithRoleNamesById(deps.db, tenantId, userId);
}

/** A user of the tenant, or undefined. */
export function findUser(deps: Pick<ServiceDeps, 'db'>, tenantId: string, userId: string): Promise<User | undefined> {
  return findUserById(deps.db, tenantId, userId);
}

/** The user as the API shows it (no hash, with role names): one statement. */
export async function getUserProfile(deps: ServiceDeps, tenantId: string, userId: string): Promise<UserWithRoles> {
  const found = await findUserWithRoleNamesById(deps.db, tenantId, userId);
  if (!found) throw new AppError('NOT_FOUND', { detail: `user ${userId}` });
  const { roleNames, ...user } = found;
  return { ...user, roles: roleNames };
}

export function presentUser(user: UserWithRoles) {
  return {
    id: user.id,
    tenantId: user.tenantId,
    email: user.email,
    username: user.username,
    emailVerified: user.emailVerified,
    status: user.status,
    roles: user.roles,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
  };
}

/** Admin unlock after a lockout (docs/security.md): clears the lock and the failure count, audited. */
export async function unlockUser(deps: ServiceDeps, tenantId: string, userId: string, meta: AuditMeta): Promise<void> {
  if (!(await clearLockout(deps.db, tenantId, userId))) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
  await recordAudit(deps.db, { tenantId, type: 'account.unlocked', subjectId: userId }, meta);
}

/**
 * Acting on a user who holds a permission the grantor lacks would be a way to it: changing their email and
 * resetting their password, or resetting their MFA, takes their account. So the grantor must hold all the
 * target's permissions (docs/security.md, "Permissions and escalation").
 */
export async function assertMayManageUser(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  grantor: Grantor | undefined,
): Promise<void> {
  if (!grantor) return;
  const notHeld = permissionsNotHeld(grantor, await findPermissionsOfUser(deps.db, tenantId, userId));
  if (notHeld.length > 0) throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: `the user holds ${notHeld.join(' ')}` });
}

function assertRolesGrantable(roles: readonly Role[], grantor: Grantor | undefined): void {
  const notHeld = permissionsNotHeld(
    grantor,
    roles.flatMap((r) => r.permissions),
  );
  if (notHeld.length > 0) throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: `cannot grant ${notHeld.join(' ')}` });
}

/**
 * Refuses a change that would leave the tenant without an active admin; the admin role's row stays locked until
 * the transaction ends, so two admins demoting each other at once cannot both succeed.
 */
async function assertNotLastAdmin(trx: Knex.Transaction, tenantId: string, userId: string): Promise<void> {
  await lockRoleByName(trx, tenantId, ADMIN_ROLE);
  const user = await findUserById(trx, tenantId, userId);
  if (!user || user.status !== 'active' || !(await findRoleNamesOfUser(trx, tenantId, userId)).includes(ADMIN_ROLE)) return;
  if ((await countActiveHoldersOfRole(trx, tenantId, ADMIN_ROLE, userId)) === 0) {
    throw new AppError('LAST_ADMIN', { field: 'userId', detail: `user ${userId} is the last active admin of ${tenantId}` });
  }
}

async function findRolesOrThrow(db: Knex, tenantId: string, names: string[]) {
  const roles = await findRolesByNames(db, tenantId, names);
  const unknown = names.filter((name) => !roles.some((r) => r.name === name));
  if (unknown.length > 0) throw new AppError('NOT_FOUND', { field: 'roles', detail: `unknown role(s) ${unknown.join(', ')}` });
  return roles;
}

/** What an admin sees of a user: the profile plus lockout and MFA state (issue 7). */
export function presentUserStatus(user: UserWithRoles, mfaEnabled: boolean) {
  return {
    ...presentUser(user),
    locked: user.lockedUntil !== null && user.lockedUntil > new Date(),
    lockedUntil: user.lockedUntil,
    failedLoginCount: user.failedLoginCount,
    mfaEnabled,
  };
}

export type AdminUserView = ReturnType<typeof presentUserStatus>;

export async function listUsers(
  deps: ServiceDeps,
  tenantId: string,
  filter: { search?: string | undefined; status?: UserStatus | undefined; cursor?: string | undefined; limit: number },
): Promise<Page<AdminUserView>> {
  const afterId = decodeCursor(filter.cursor, 1)?.[0];
  const rows = await findUsersPage(deps.db, tenantId, { search: filter.search, status: filter.status, afterId, limit: filter.limit + 1 });
  const page = toPage(rows, filter.limit, (u) => [u.id]);
  const ids = page.items.map((u) => u.id);
  const [roles, withMfa] = await Promise.all([
    findRoleNamesOfUsers(deps.db, tenantId, ids),
    findUserIdsWithActiveMfa(deps.db, tenantId, ids),
  ]);
  return {
    items: page.items.map((u) => presentUserStatus({ ...u, roles: roles.get(u.id) ?? [] }, withMfa.has(u.id))),
    nextCursor: page.nextCursor,
  };
}

export async function getUserStatus(deps: ServiceDeps, tenantId: string, userId: string): Promise<AdminUserView> {
  const user = await getUserProfile(deps, tenantId, userId);
  const withMfa = await findUserIdsWithActiveMfa(deps.db, tenantId, [userId]);
  return presentUserStatus(user, withMfa.has(userId));
}

export const userChangesSchema = z.object({
  email: z.email().max(254).optional(),
  username: usernameSchema.nullable().optional(),
  emailVerified: z.boolean().optional(),
});

export async function updateUser(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  changes: z.output<typeof userChangesSchema>,
  meta: AuditMeta,
  grantor?: Grantor,
): Promise<AdminUserView> {
  await assertMayManageUser(deps, tenantId, userId, grantor);
  await deps.db.transaction(async (trx) => {
    const user = await updateUserProfile(trx, tenantId, userId, changes);
    if (!user) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    await recordAudit(trx, { tenantId, type: 'user.updated', subjectId: userId, data: { fields: Object.keys(changes) } }, meta);
  });
  return getUserStatus(deps, tenantId, userId);
}

/**
 * Replaces a user's roles; every name must be a role of the user's tenant. Nobody changes their own roles, and the
 * grantor must hold every permission of the roles the user has and gets.
 */
export async function setUserRoles(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  names: string[],
  meta: AuditMeta,
  grantor?: Grantor,
): Promise<AdminUserView> {
  const roleNames = [...new Set(names)].sort();
  if (grantor?.userId === userId) throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: 'nobody changes their own roles' });
  await assertMayManageUser(deps, tenantId, userId, grantor);
  await deps.db.transaction(async (trx) => {
    if (!(await findUserById(trx, tenantId, userId))) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    const roles = await findRolesOrThrow(trx, tenantId, roleNames);
    assertRolesGrantable(roles, grantor);
    if (!roleNames.includes(ADMIN_ROLE)) await assertNotLastAdmin(trx, tenantId, userId);
    await replaceUserRoles(
      trx,
      tenantId,
      userId,
      roles.map((r) => r.id),
    );
    await recordAudit(trx, { tenantId, type: 'user.roles_changed', subjectId: userId, data: { roles: roleNames } }, meta);
  });
  return getUserStatus(deps, tenantId, userId);
}

/**
 * An operator sets a user's password (the CLI's `user reset-password`): it clears a lockout, and every session of
 * the user ends, as after a self-service reset (docs/security.md). Returns how many sessions ended.
 */
export async function setUserPassword(
  deps: SessionDeps,
  tenantId: string,
  userId: string,
  password: string,
  meta: AuditMeta,
): Promise<number> {
  const value = parseOrThrow(z.object({ password: passwordSchema }), { password }).password;
  if (!(await findUserById(deps.db, tenantId, userId))) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
  await updatePasswordHash(deps.db, tenantId, userId, await hashPassword(value, deps.config.bcryptCost));
  await recordAudit(deps.db, { tenantId, type: 'password.reset', subjectId: userId }, meta);
  return endSessionsOfUser(deps, tenantId, userId, 'password_reset', meta);
}

/** Deletes a user; their sessions go with the row, so their access tokens stop verifying and refreshes fail. */
/**
 * Deletes a user; their sessions go with the row. The logout tokens those sessions' clients are owed are queued first,
 * in the same transaction (the queue keeps no reference to the deleted rows).
 */
export async function deleteUser(
  deps: ServiceDeps & Pick<SessionDeps, 'backchannelLogouts'>,
  tenantId: string,
  userId: string,
  meta: AuditMeta,
): Promise<void> {
  const logoutsQueued = await deps.db.transaction(async (trx) => {
    let queued = 0;
    for (const session of await findLiveSessionsOfUser(trx, tenantId, userId))
      queued += await enqueueBackchannelLogouts(trx, tenantId, session.id);
    if (!(await deleteUserById(trx, tenantId, userId))) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    await recordAudit(trx, { tenantId, type: 'user.deleted', subjectId: userId }, meta);
    return queued;
  });
  if (logoutsQueued > 0) deps.backchannelLogouts?.kick();
}
