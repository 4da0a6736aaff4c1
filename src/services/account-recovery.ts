// Self-service registration, email verification and password reset. Tokens are single-use, short-lived and
// stored only as SHA-256 hashes; mail goes through the Mailer.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import type { ServiceDeps } from '../context.ts';
import { insertUserToken, useUserToken, type UserTokenPurpose } from '../db/queries/user-tokens.ts';
import { findUserById, findUserByLogin, markEmailVerified, updatePasswordHash } from '../db/queries/users.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import type { Mailer } from './mail.ts';
import { hashPassword } from './passwords.ts';
import { getTenant } from './tenants.ts';
import { createUser, passwordSchema, type UserWithRoles } from './users.ts';

const VERIFY_EMAIL_TTL_SECONDS = 24 * 3600;
const PASSWORD_RESET_TTL_SECONDS = 3600;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

async function activeTenant(deps: ServiceDeps, tenantId: string | undefined) {
  if (!tenantId) throw new AppError('TENANT_ACCESS_DENIED', { detail: 'no tenant in request' });
  const tenant = await getTenant(deps, tenantId).catch(() => undefined);
  if (!tenant || tenant.status !== 'active')
    throw new AppError('TENANT_ACCESS_DENIED', { detail: `tenant ${tenantId} missing or suspended` });
  return tenant;
}

async function issueToken(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  purpose: UserTokenPurpose,
  ttlSeconds: number,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertUserToken(deps.db, {
    tokenHash: hashToken(token),
    tenantId,
    userId,
    purpose,
    expiresAt: new Date(Date.now() + ttlSeconds * 1000),
  });
  return token;
}

export const verifyEmailSchema = z.object({ token: z.string().min(1).max(200) });
export const forgotPasswordSchema = z.object({ email: z.email().max(254) });
export const resetPasswordSchema = z.object({ token: z.string().min(1).max(200), password: passwordSchema });

export const registrationSchema = z.object({
  email: z.email().max(254),
  password: passwordSchema,
  username: z
    .string()
    .regex(/^[A-Za-z0-9._-]{3,64}$/)
    .optional(),
});

export async function registerUser(
  deps: ServiceDeps,
  mailer: Mailer,
  tenantId: string | undefined,
  input: unknown,
  meta: AuditMeta,
): Promise<UserWithRoles> {
  const values = parseOrThrow(registrationSchema, input);
  const tenant = await activeTenant(deps, tenantId);
  const user = await createUser(
    deps,
    { tenantId: tenant.id, ...values, emailVerified: false, roles: ['member'] },
    { ...meta, actorId: meta.actorId ?? 'self' },
  );
  const token = await issueToken(deps, tenant.id, user.id, 'verify_email', VERIFY_EMAIL_TTL_SECONDS);
  await mailer.send({
    tenantId: tenant.id,
    to: user.email,
    kind: 'verify_email',
    subject: `Confirm your email for ${tenant.name}`,
    body: `Confirm your email address by sending this token to POST /api/v1/auth/verify-email within 24 hours:\n\n${token}\n`,
  });
  return user;
}

export async function verifyEmail(deps: ServiceDeps, tenantId: string | undefined, input: unknown, meta: AuditMeta): Promise<void> {
  const { token } = parseOrThrow(verifyEmailSchema, input);
  const tenant = await activeTenant(deps, tenantId);
  const userId = await useUserToken(deps.db, tenant.id, hashToken(token), 'verify_email');
  if (!userId) throw new AppError('INVALID_TOKEN', { detail: 'verification token unknown, used or expired' });
  await markEmailVerified(deps.db, tenant.id, userId);
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'user.email_verified', subjectId: userId }, { ...meta, actorId: userId });
}

/** Always succeeds from the caller's point of view, so it cannot be used to find out who has an account. */
export async function requestPasswordReset(
  deps: ServiceDeps,
  mailer: Mailer,
  tenantId: string | undefined,
  input: unknown,
  meta: AuditMeta,
): Promise<void> {
  const { email } = parseOrThrow(forgotPasswordSchema, input);
  const tenant = await activeTenant(deps, tenantId);
  const user = await findUserByLogin(deps.db, tenant.id, email);
  await recordAudit(
    deps.db,
    { tenantId: tenant.id, type: 'password.reset_requested', subjectId: user?.id ?? null, data: { known: Boolean(user) } },
    meta,
  );
  if (!user || user.status !== 'active') return;
  const token = await issueToken(deps, tenant.id, user.id, 'password_reset', PASSWORD_RESET_TTL_SECONDS);
  await mailer.send({
    tenantId: tenant.id,
    to: user.email,
    kind: 'password_reset',
    subject: `Reset your ${tenant.name} password`,
    body: `Someone asked to reset your password. If it was you, send this token with a new password to POST /api/v1/auth/password/reset within 1 hour:\n\n${token}\n\nIf it was not you, ignore this message.`,
  });
}

/** Sets the new password; returns the user whose sessions must all end (docs/security.md). */
export async function resetPassword(
  deps: ServiceDeps,
  tenantId: string | undefined,
  input: unknown,
  meta: AuditMeta,
): Promise<{ tenantId: string; userId: string }> {
  const { token, password } = parseOrThrow(resetPasswordSchema, input);
  const tenant = await activeTenant(deps, tenantId);
  const userId = await useUserToken(deps.db, tenant.id, hashToken(token), 'password_reset');
  const user = userId ? await findUserById(deps.db, tenant.id, userId) : undefined;
  if (!user) throw new AppError('INVALID_TOKEN', { detail: 'reset token unknown, used or expired' });
  await updatePasswordHash(deps.db, tenant.id, user.id, await hashPassword(password, deps.config));
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'password.reset', subjectId: user.id }, { ...meta, actorId: user.id });
  return { tenantId: tenant.id, userId: user.id };
}
