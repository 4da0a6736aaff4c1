// Users: creation with a bcrypt password and roles of the user's own tenant.
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import { assignRoles, findRoleNamesOfUser, findRoleNamesOfUsers, findRolesByNames, replaceUserRoles } from '../db/queries/roles.ts';
import { findUserIdsWithActiveMfa } from '../db/queries/mfa.ts';
import {
  clearLockout,
  findUserById,
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
import { getTenant } from './tenants.ts';

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

export async function createUser(deps: ServiceDeps, input: NewUserInput, meta: AuditMeta): Promise<UserWithRoles> {
  const values = parseOrThrow(newUserSchema, input);
  await getTenant(deps, values.tenantId);
  const roleNames = [...new Set(values.roles)];
  // Unknown roles fail before the (deliberately slow) hash; the transaction checks them again.
  await findRolesOrThrow(deps.db, values.tenantId, roleNames);
  const passwordHash = await hashPassword(values.password, deps.config);
  return deps.db.transaction(async (trx) => {
    const roles = await findRolesOrThrow(trx, values.tenantId, roleNames);
    const user = await insertUser(trx, {
      tenantId: values.tenantId,
      email: values.email,
      username: values.username,
      passwordHash,
      emailVerified: values.emailVerified,
    });
    await assignRoles(
      trx,
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
): Promise<User> {
  return deps.db.transaction(async (trx) => {
    const user = await updateUserStatus(trx, tenantId, userId, status);
    if (!user) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    await recordAudit(trx, { tenantId, type: status === 'disabled' ? 'user.disabled' : 'user.enabled', subjectId: userId }, meta);
    return user;
  });
}

/** The user as the API shows it: no hash, with role names. */
export async function getUserProfile(deps: ServiceDeps, tenantId: string, userId: string): Promise<UserWithRoles> {
  const user = await findUserById(deps.db, tenantId, userId);
  if (!user) throw new AppError('NOT_FOUND', { detail: `user ${userId}` });
  return { ...user, roles: await findRoleNamesOfUser(deps.db, tenantId, userId) };
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
): Promise<AdminUserView> {
  await deps.db.transaction(async (trx) => {
    const user = await updateUserProfile(trx, tenantId, userId, changes);
    if (!user) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    await recordAudit(trx, { tenantId, type: 'user.updated', subjectId: userId, data: { fields: Object.keys(changes) } }, meta);
  });
  return getUserStatus(deps, tenantId, userId);
}

/** Replaces a user's roles; every name must be a role of the user's tenant. */
export async function setUserRoles(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  names: string[],
  meta: AuditMeta,
): Promise<AdminUserView> {
  const roleNames = [...new Set(names)].sort();
  await deps.db.transaction(async (trx) => {
    if (!(await findUserById(trx, tenantId, userId))) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
    const roles = await findRolesOrThrow(trx, tenantId, roleNames);
    await replaceUserRoles(
      trx,
      userId,
      roles.map((r) => r.id),
    );
    await recordAudit(trx, { tenantId, type: 'user.roles_changed', subjectId: userId, data: { roles: roleNames } }, meta);
  });
  return getUserStatus(deps, tenantId, userId);
}
