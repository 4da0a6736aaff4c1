// Users: creation with a bcrypt password and roles of the user's own tenant.
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import { assignRoles, findRoleNamesOfUser, findRolesByNames } from '../db/queries/roles.ts';
import { clearLockout, findUserById, insertUser, updateUserStatus, type User, type UserStatus } from '../db/queries/users.ts';
import type { ServiceDeps } from '../context.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { hashPassword, PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from './passwords.ts';
import { getTenant } from './tenants.ts';

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .refine((p) => Buffer.byteLength(p) <= PASSWORD_MAX_BYTES, { params: { constraint: 'MAX_LENGTH' } });

const newUserSchema = z.object({
  tenantId: z.string().min(1),
  email: z.email().max(254),
  password: passwordSchema,
  username: z
    .string()
    .regex(/^[A-Za-z0-9._-]{3,64}$/)
    .refine((u) => !u.includes('@'), { params: { constraint: 'PATTERN' } })
    .optional(),
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
  const known = await findRolesByNames(deps.db, values.tenantId, roleNames);
  const unknownRoles = roleNames.filter((name) => !known.some((r) => r.name === name));
  if (unknownRoles.length > 0) throw new AppError('NOT_FOUND', { field: 'role', detail: `unknown role(s) ${unknownRoles.join(', ')}` });
  const passwordHash = await hashPassword(values.password, deps.config.bcryptCost);
  return deps.db.transaction(async (trx) => {
    const roles = await findRolesByNames(trx, values.tenantId, roleNames);
    const unknown = roleNames.filter((name) => !roles.some((r) => r.name === name));
    if (unknown.length > 0) throw new AppError('NOT_FOUND', { field: 'role', detail: `unknown role(s) ${unknown.join(', ')}` });
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

/** Admin unlock after a lockout (SPEC §9): clears the lock and the failure count, audited. */
export async function unlockUser(deps: ServiceDeps, tenantId: string, userId: string, meta: AuditMeta): Promise<void> {
  if (!(await clearLockout(deps.db, tenantId, userId))) throw new AppError('NOT_FOUND', { field: 'userId', detail: `user ${userId}` });
  await recordAudit(deps.db, { tenantId, type: 'account.unlocked', subjectId: userId }, meta);
}
