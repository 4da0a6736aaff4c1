// Self-service registration, email verification and password reset. Tokens are single-use, short-lived and
// stored only as HMAC-SHA-256 under a key derived from SECRET_KEY, so a database dump holds none; mail is queued
// (services/mail.ts). Neither registration nor a reset request tells whether an account exists (docs/security.md).
import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import type { ServiceDeps } from '../context.ts';
import { findTenantById } from '../db/queries/tenants.ts';
import { insertUserToken, useEmailChangeToken, useUserToken, voidUserTokens, type UserTokenPurpose } from '../db/queries/user-tokens.ts';
import { findUserById, findUserByLogin, markEmailVerified, updatePasswordHash, updateUserProfile } from '../db/queries/users.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import type { MailComposer, Mailer } from './mail.ts';
import { hashPassword } from './passwords.ts';
import { deriveKey } from './secrets.ts';
import { getTenant } from './tenants.ts';
import { createUser, passwordSchema } from './users.ts';

const VERIFY_EMAIL_TTL_SECONDS = 24 * 3600;
const PASSWORD_RESET_TTL_SECONDS = 3600;

/** The stored form of a reset or verification token: keyed, so a database dump cannot test guesses offline either. */
export function hashUserToken(secretKey: string, token: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'user-token-hmac')).update(token).digest('base64url');
}

async function activeTenant(deps: ServiceDeps, tenantId: string | undefined) {
  if (!tenantId) throw new AppError('TENANT_ACCESS_DENIED', { detail: 'no tenant in request' });
  const tenant = await getTenant(deps, tenantId).catch(() => undefined);
  if (!tenant || tenant.status !== 'active')
    throw new AppError('TENANT_ACCESS_DENIED', { detail: `tenant ${tenantId} missing or suspended` });
  return tenant;
}

async function issueToken(
  deps: ServiceDeps,
  db: Knex,
  tenantId: string,
  userId: string,
  purpose: UserTokenPurpose,
  ttlSeconds: number,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertUserToken(db, {
    tokenHash: hashUserToken(deps.config.secretKey, token),
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

/** What registration answers, whether the address was new or taken (its owner gets a mail instead). */
export const REGISTRATION_ACCEPTED = 'Check your email to confirm your address and finish creating your account';

/**
 * Registers a new address and mails it a verification token. An address that already has an account gets a mail
 * saying so, after the same password hash, and the caller the same answer: registration cannot be used to find
 * out who has an account.
 */
export async function registerUser(
  deps: ServiceDeps,
  mailer: Mailer,
  tenantId: string | undefined,
  input: unknown,
  meta: AuditMeta,
): Promise<void> {
  const values = parseOrThrow(registrationSchema, input);
  const tenant = await activeTenant(deps, tenantId);
  const existing = await findUserByLogin(deps.db, tenant.id, values.email);
  const actor = { ...meta, actorId: meta.actorId ?? 'self' };
  if (existing) return tellOwnerOfExistingAccount(deps, mailer, tenant, existing, values.password, actor);
  let user;
  try {
    user = await createUser(deps, { tenantId: tenant.id, ...values, emailVerified: false, roles: ['member'] }, actor);
  } catch (err) {
    // A concurrent registration of the same address won the insert: treat it as the taken address it now is.
    const taken = err instanceof AppError && err.errors.some((e) => e.code === 'DUPLICATE_RESOURCE' && e.field === 'email');
    const owner = taken ? await findUserByLogin(deps.db, tenant.id, values.email) : undefined;
    if (!owner) throw err;
    return tellOwnerOfExistingAccount(deps, mailer, tenant, owner, undefined, actor);
  }
  await mailVerificationLink(deps, mailer, tenant, user);
}

/** Mails a new address its verification link (single-use, 24 hours): at registration, and again on request. */
export async function mailVerificationLink(
  deps: ServiceDeps,
  mailer: Mailer,
  tenant: { id: string; name: string },
  user: { id: string; email: string },
): Promise<void> {
  const token = await issueToken(deps, deps.db, tenant.id, user.id, 'verify_email', VERIFY_EMAIL_TTL_SECONDS);
  await mailer.send({
    tenantId: tenant.id,
    to: user.email,
    kind: 'verify_email',
    subject: `Confirm your email for ${tenant.name}`,
    body:
      `Open this link within 24 hours to confirm your email address for ${tenant.name}:\n\n` +
      `${selfServiceLink(deps.config.publicUrl, '/email/verify', tenant.id, token)}\n\n` +
      '(An application that confirms addresses itself sends the token in the link to POST /api/v1/auth/verify-email.)\n',
    secret: token,
  });
}

async function tellOwnerOfExistingAccount(
  deps: ServiceDeps,
  mailer: Mailer,
  tenant: { id: string; name: string },
  owner: { id: string; email: string },
  password: string | undefined,
  meta: AuditMeta,
): Promise<void> {
  // The hash a new account costs, so both answers take the same time.
  if (password !== undefined) await hashPassword(password, deps.config);
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'registration.existing_email', subjectId: owner.id }, meta);
  await mailer.send({
    tenantId: tenant.id,
    to: owner.email,
    kind: 'account_exists',
    subject: `You already have a ${tenant.name} account`,
    body:
      `Someone asked to create a ${tenant.name} account with this address, which already has one. If it was you, sign in, ` +
      `or ask for a new password at ${deps.config.publicUrl}/password/forgot?${new URLSearchParams({ tenant: tenant.id })}. ` +
      'If it was not you, ignore this message.',
  });
}

/**
 * Spends an email-change token: the account takes the new address, already verified. False when the token is not an
 * email-change token (the caller tries the others). An address taken meanwhile refuses the token.
 */
async function confirmEmailChange(deps: ServiceDeps, tenantId: string, tokenHash: string, meta: AuditMeta): Promise<boolean> {
  const change = await useEmailChangeToken(deps.db, tenantId, tokenHash);
  if (!change) return false;
  const taken = await findUserByLogin(deps.db, tenantId, change.newEmail);
  if (taken && taken.id !== change.userId) throw new AppError('INVALID_TOKEN', { detail: 'the new address was taken meanwhile' });
  const before = await findUserById(deps.db, tenantId, change.userId);
  if (!before) throw new AppError('INVALID_TOKEN', { detail: 'the account is gone' });
  await updateUserProfile(deps.db, tenantId, change.userId, { email: change.newEmail, emailVerified: true });
  // The links mailed to the old address (a reset, a verification) no longer speak for the account.
  for (const purpose of ['password_reset', 'verify_email'] as const) await voidUserTokens(deps.db, tenantId, change.userId, purpose);
  await recordAudit(deps.db, { tenantId, type: 'email.changed', subjectId: change.userId }, { ...meta, actorId: change.userId });
  return true;
}

export async function verifyEmail(deps: ServiceDeps, tenantId: string | undefined, input: unknown, meta: AuditMeta): Promise<void> {
  const { token } = parseOrThrow(verifyEmailSchema, input);
  const tenant = await activeTenant(deps, tenantId);
  const tokenHash = hashUserToken(deps.config.secretKey, token);
  const userId = await useUserToken(deps.db, tenant.id, tokenHash, 'verify_email');
  if (!userId) {
    // The same link confirms a new address of an email change (account center).
    if (await confirmEmailChange(deps, tenant.id, tokenHash, meta)) return;
    throw new AppError('INVALID_TOKEN', { detail: 'verification token unknown, used or expired' });
  }
  await markEmailVerified(deps.db, tenant.id, userId);
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'user.email_verified', subjectId: userId }, { ...meta, actorId: userId });
}

/**
 * Always succeeds from the caller's point of view, so it cannot be used to find out who has an account: known and
 * unknown addresses cost the request the same lookup, audit event and queued row. The background mailer composes
 * the mail (composePasswordResetMail) and drops the row of an unknown or inactive account.
 */
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
  await mailer.request({ tenantId: tenant.id, userId: user?.id ?? null, to: email, kind: 'password_reset' });
}

/**
 * A self-service page's address in a mail. The token rides in the query: our access log writes the path only, and
 * the pages send `Referrer-Policy: no-referrer` and load nothing from elsewhere, so it reaches no third party. The
 * page itself only shows a form: the token is spent by its POST, never by a mail scanner following the link.
 */
function selfServiceLink(publicUrl: string, path: '/password/reset' | '/email/verify', tenantId: string, token: string): string {
  return `${publicUrl}${path}?${new URLSearchParams({ tenant: tenantId, token })}`;
}

/** Composes a queued reset request: a token for an active user, nothing for anyone else. */
export function composePasswordResetMail(deps: ServiceDeps): MailComposer {
  return async (trx, request) => {
    const user = request.userId ? await findUserById(trx, request.tenantId, request.userId) : undefined;
    if (!user || user.status !== 'active') return undefined;
    // Through the claiming transaction only: on embedded storage the pool has a single connection.
    const tenant = await findTenantById(trx, request.tenantId);
    if (!tenant) return undefined;
    const token = await issueToken(deps, trx, tenant.id, user.id, 'password_reset', PASSWORD_RESET_TTL_SECONDS);
    return {
      tenantId: tenant.id,
      to: user.email,
      kind: 'password_reset',
      subject: `Reset your ${tenant.name} password`,
      body:
        `Someone asked to reset your ${tenant.name} password. If it was you, open this link within 1 hour to choose a new one:\n\n` +
        `${selfServiceLink(deps.config.publicUrl, '/password/reset', tenant.id, token)}\n\n` +
        `(An application that resets passwords itself sends the token in the link, with the new password, to POST /api/v1/auth/password/reset.)\n\n` +
        'If it was not you, ignore this message: your password stays as it is.',
      secret: token,
    };
  };
}

/**
 * Composes the mail that tells an owner their account was locked after too many wrong passwords: when it unlocks,
 * and a reset link (a new password also unlocks at once). Nothing for an account that is gone or no longer locked.
 */
export function composeAccountLockedMail(deps: ServiceDeps): MailComposer {
  return async (trx, request) => {
    const user = request.userId ? await findUserById(trx, request.tenantId, request.userId) : undefined;
    if (!user || user.status !== 'active' || !user.lockedUntil || user.lockedUntil <= new Date()) return undefined;
    const tenant = await findTenantById(trx, request.tenantId);
    if (!tenant) return undefined;
    const token = await issueToken(deps, trx, tenant.id, user.id, 'password_reset', PASSWORD_RESET_TTL_SECONDS);
    const until = user.lockedUntil
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC');
    return {
      tenantId: tenant.id,
      to: user.email,
      kind: 'account_locked',
      subject: `Your ${tenant.name} account is locked for a while`,
      body:
        `Your ${tenant.name} account was locked after ${user.failedLoginCount} failed sign-in attempts in a row. ` +
        `It unlocks by itself at ${until}.\n\n` +
        'If it was not you, someone may be guessing your password. Choose a new one with this link within 1 hour; ' +
        `it also unlocks the account at once:\n\n${selfServiceLink(deps.config.publicUrl, '/password/reset', tenant.id, token)}\n`,
      secret: token,
    };
  };
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
  const userId = await useUserToken(deps.db, tenant.id, hashUserToken(deps.config.secretKey, token), 'password_reset');
  const user = userId ? await findUserById(deps.db, tenant.id, userId) : undefined;
  if (!user) throw new AppError('INVALID_TOKEN', { detail: 'reset token unknown, used or expired' });
  await updatePasswordHash(deps.db, tenant.id, user.id, await hashPassword(password, deps.config));
  // One link set the password: any other still in a mailbox (asked twice, the lockout mail) sets none after it.
  await voidUserTokens(deps.db, tenant.id, user.id, 'password_reset');
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'password.reset', subjectId: user.id }, { ...meta, actorId: user.id });
  return { tenantId: tenant.id, userId: user.id };
}
