// What a signed-in person does to their own account (docs/api.md, "Account center"): re-authentication before the
// sensitive changes, password and email change, the verification mail again, connected third-party apps, and their
// own security activity. Every function acts on the caller's own tenant and user only.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ServiceDeps } from '../context.ts';
import { findAuditEvents } from '../db/queries/audit-events.ts';
import { deleteConsent, findThirdPartyConsentsOfUser } from '../db/queries/consents.ts';
import { findMfa } from '../db/queries/mfa.ts';
import { deleteResourceConsentsOfUserAndClient, findResourceConsentsOfUser } from '../db/queries/resource-consents.ts';
import { findUnrevokedGrantIdsOfUserAndClient } from '../db/queries/sessions.ts';
import { insertUserToken, voidUserTokens } from '../db/queries/user-tokens.ts';
import { findPasswordHash, findUserById, findUserByLogin, updatePasswordHash } from '../db/queries/users.ts';
import { AppError } from '../errors/app-error.ts';
import type { KvStore } from '../store/kv-store.ts';
import { hashUserToken } from './account-recovery.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import type { Mailer } from './mail.ts';
import { verifySecondFactor } from './mfa.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { endSessionsOfUser, findSession, type SessionDeps } from './sessions.ts';
import { countSignInFailure } from './sign-in/password.ts';
import { getTenant } from './tenants.ts';
import { passwordSchema } from './users.ts';
import { deviceName } from './devices.ts';

/** How long a sign-in or re-authentication allows the sensitive changes (email, password, turning MFA off). */
export const REAUTH_WINDOW_SECONDS = 5 * 60;
const EMAIL_CHANGE_TTL_SECONDS = 24 * 3600;

/** Who is acting: the signed-in user of a session of a tenant (the bearer token's claims). */
export interface Caller {
  tenantId: string;
  userId: string;
  sessionId: string;
}

type StoreDeps = ServiceDeps & { store: KvStore };

const reauthKey = (tenantId: string, sessionId: string) => `reauth:${tenantId}:${sessionId}`;

export const reauthenticateSchema = z.object({
  password: z.string().min(1).max(1024),
  code: z.string().min(1).max(32).optional(),
});

/**
 * Proves again that the person at the keyboard owns the session: the password and, when MFA is on, a code. A wrong
 * one counts towards lockout like a wrong sign-in. Success opens the re-authentication window for this session only.
 */
export async function reauthenticate(
  deps: StoreDeps,
  caller: Caller,
  proof: z.infer<typeof reauthenticateSchema>,
  meta: AuditMeta,
): Promise<{ validUntil: Date }> {
  const audit = { ...meta, actorId: caller.userId };
  const tenant = await getTenant(deps, caller.tenantId, 'cache');
  const [user, hash] = await Promise.all([
    findUserById(deps.db, caller.tenantId, caller.userId),
    findPasswordHash(deps.db, caller.tenantId, caller.userId),
  ]);
  const passwordOk = hash !== undefined && (await verifyPassword(proof.password, hash));
  // A locked account re-authenticates no more than it signs in: the right password is refused like a wrong one, so
  // a held token cannot go on guessing past the lockout (docs/security.md, "Sign-in limits and lockout").
  const locked = user?.lockedUntil != null && user.lockedUntil > new Date();
  if (!user || locked || !passwordOk) {
    const reason = locked ? 'locked' : 'wrong_password';
    await recordAudit(
      deps.db,
      { tenantId: caller.tenantId, type: 'reauth.failed', outcome: 'failure', subjectId: caller.userId, data: { reason } },
      audit,
    );
    if (user && !locked) await countSignInFailure(deps, tenant, caller.userId, audit);
    throw new AppError('INVALID_CREDENTIALS', { detail: `${reason} at re-authentication` });
  }
  const mfa = await findMfa(deps.db, caller.tenantId, caller.userId);
  if (mfa?.status === 'active') {
    if (!proof.code) throw new AppError('INVALID_MFA_CODE', { field: 'code', detail: 'a second factor is enrolled' });
    try {
      await verifySecondFactor(deps, caller.tenantId, caller.userId, proof.code, audit);
    } catch (err) {
      // A wrong code counts towards the lockout as at sign-in: wrong passwords and wrong codes, on any surface.
      if (err instanceof AppError && err.errors[0]?.code === 'INVALID_MFA_CODE')
        await countSignInFailure(deps, tenant, caller.userId, audit);
      throw err;
    }
  }
  await deps.store.set(reauthKey(caller.tenantId, caller.sessionId), '1', REAUTH_WINDOW_SECONDS);
  await recordAudit(deps.db, { tenantId: caller.tenantId, type: 'reauth.succeeded', subjectId: caller.userId }, audit);
  return { validUntil: new Date(Date.now() + REAUTH_WINDOW_SECONDS * 1000) };
}

/**
 * Refuses a sensitive change unless the session signed in, or re-authenticated, within the window. A sign-in
 * passed every factor the account has, so a fresh session is as good as a re-authentication.
 */
export async function assertRecentAuthentication(deps: StoreDeps, caller: Caller): Promise<void> {
  if (await deps.store.get(reauthKey(caller.tenantId, caller.sessionId))) return;
  const session = await findSession(deps, caller.tenantId, caller.sessionId);
  if (session && Date.now() - session.createdAt.getTime() < REAUTH_WINDOW_SECONDS * 1000) return;
  throw new AppError('REAUTHENTICATION_REQUIRED', { detail: `session ${caller.sessionId} authenticated too long ago` });
}

export const changePasswordSchema = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: passwordSchema,
  endOtherSessions: z.boolean().default(false),
});

/** Changes one's password (the current one is asked too); optionally ends every other session. */
export async function changePassword(
  deps: StoreDeps & SessionDeps,
  caller: Caller,
  input: z.infer<typeof changePasswordSchema>,
  meta: AuditMeta,
): Promise<{ sessionsEnded: number }> {
  await assertRecentAuthentication(deps, caller);
  const audit = { ...meta, actorId: caller.userId };
  const hash = await findPasswordHash(deps.db, caller.tenantId, caller.userId);
  if (!hash || !(await verifyPassword(input.currentPassword, hash))) {
    const tenant = await getTenant(deps, caller.tenantId, 'cache');
    await recordAudit(
      deps.db,
      { tenantId: caller.tenantId, type: 'password.change_failed', outcome: 'failure', subjectId: caller.userId },
      audit,
    );
    await countSignInFailure(deps, tenant, caller.userId, audit);
    throw new AppError('INVALID_CREDENTIALS', { field: 'currentPassword', detail: 'wrong current password' });
  }
  await updatePasswordHash(deps.db, caller.tenantId, caller.userId, await hashPassword(input.newPassword, deps.config));
  await recordAudit(
    deps.db,
    { tenantId: caller.tenantId, type: 'password.changed', subjectId: caller.userId, data: { endOtherSessions: input.endOtherSessions } },
    audit,
  );
  const sessionsEnded = input.endOtherSessions
    ? await endSessionsOfUser(deps, caller.tenantId, caller.userId, 'password_changed', audit, caller.sessionId)
    : 0;
  return { sessionsEnded };
}

export const changeEmailSchema = z.object({ email: z.email().max(254) });

/** What an email change answers, whether or not the address is free (someone else's address is not revealed). */
export const EMAIL_CHANGE_REQUESTED = 'Open the link we sent to the new address to confirm it; until then your email stays as it is';

/**
 * Starts an email change: the new address gets a link that confirms it (single-use, 24 hours), the current one a
 * notice. An address that already belongs to an account of the tenant gets a notice instead, and the caller the same
 * answer.
 */
export async function requestEmailChange(
  deps: StoreDeps,
  mailer: Mailer,
  caller: Caller,
  input: z.infer<typeof changeEmailSchema>,
  meta: AuditMeta,
): Promise<void> {
  await assertRecentAuthentication(deps, caller);
  const audit = { ...meta, actorId: caller.userId };
  const [tenant, user, taken] = await Promise.all([
    getTenant(deps, caller.tenantId, 'cache'),
    findUserById(deps.db, caller.tenantId, caller.userId),
    findUserByLogin(deps.db, caller.tenantId, input.email),
  ]);
  if (!user) throw new AppError('NOT_FOUND', { detail: `user ${caller.userId}` });
  if (taken?.id === user.id) throw new AppError('INVALID_FORMAT', { field: 'email', constraint: 'UNCHANGED' });
  await recordAudit(
    deps.db,
    { tenantId: tenant.id, type: 'email.change_requested', subjectId: user.id, data: { available: !taken } },
    audit,
  );
  if (taken) {
    await mailer.send({
      tenantId: tenant.id,
      to: taken.email,
      kind: 'email_change_taken',
      subject: `Someone tried to use your address for ${tenant.name}`,
      body:
        `Someone signed in to another ${tenant.name} account asked to change its email to this address, which already has an ` +
        'account. Nothing was changed. If it was you, sign in to that other account instead.',
    });
    return;
  }
  // Only the latest change can be confirmed: an earlier link (a mistyped address, someone else's mailbox) dies now.
  await voidUserTokens(deps.db, tenant.id, user.id, 'change_email');
  const token = randomBytes(32).toString('base64url');
  await insertUserToken(deps.db, {
    tokenHash: hashUserToken(deps.config.secretKey, token),
    tenantId: tenant.id,
    userId: user.id,
    purpose: 'change_email',
    newEmail: input.email,
    expiresAt: new Date(Date.now() + EMAIL_CHANGE_TTL_SECONDS * 1000),
  });
  await mailer.send({
    tenantId: tenant.id,
    to: input.email,
    kind: 'email_change',
    subject: `Confirm your new email for ${tenant.name}`,
    body:
      `Open this link within 24 hours to make this the email address of your ${tenant.name} account:\n\n` +
      `${deps.config.publicUrl}/email/verify?${new URLSearchParams({ tenant: tenant.id, token })}\n\n` +
      'If you did not ask for this, ignore this message.',
    secret: token,
  });
  await mailer.send({
    tenantId: tenant.id,
    to: user.email,
    kind: 'email_change_notice',
    subject: `Your ${tenant.name} email is about to change`,
    body:
      `Someone signed in to your ${tenant.name} account asked to change its email to ${input.email}. It changes only once the ` +
      'new address confirms it. If it was not you, sign in, change your password and end your other sessions.',
  });
}

/** How long a person waits between two verification mails. */
const RESEND_INTERVAL_SECONDS = 60;

/**
 * Mails the verification link again to an unverified address; at most one a minute. Answers whether one was sent
 * (false when the address is already verified).
 */
export async function resendVerification(
  deps: StoreDeps,
  caller: Caller,
  send: (user: { id: string; email: string }) => Promise<void>,
  meta: AuditMeta,
): Promise<boolean> {
  const user = await findUserById(deps.db, caller.tenantId, caller.userId);
  if (!user) throw new AppError('NOT_FOUND', { detail: `user ${caller.userId}` });
  if (user.emailVerified) return false;
  if (!(await deps.store.setIfAbsent(`verify-resend:${caller.tenantId}:${user.id}`, '1', RESEND_INTERVAL_SECONDS))) {
    const wait = await deps.store.ttl(`verify-resend:${caller.tenantId}:${user.id}`);
    throw new AppError('RATE_LIMIT_EXCEEDED', {
      headers: { 'Retry-After': String(Math.max(wait, 1)) },
      detail: 'a verification mail was sent less than a minute ago',
    });
  }
  await send(user);
  await recordAudit(
    deps.db,
    { tenantId: caller.tenantId, type: 'email.verification_resent', subjectId: user.id },
    {
      ...meta,
      actorId: user.id,
    },
  );
  return true;
}

/** The third-party apps a person has allowed something, with the scopes and when. */
/** The third-party apps the person allowed, each with its OpenID scopes and what it may do on which API. */
export async function listConnectedApps(deps: ServiceDeps, caller: Pick<Caller, 'tenantId' | 'userId'>) {
  const [apps, apiScopes] = await Promise.all([
    findThirdPartyConsentsOfUser(deps.db, caller.tenantId, caller.userId),
    findResourceConsentsOfUser(deps.db, caller.tenantId, caller.userId),
  ]);
  return apps.map((app) => ({
    ...app,
    apiScopes: apiScopes
      .filter((s) => s.clientId === app.clientId)
      .map(({ resource, resourceName, scope, description }) => ({ resource, resourceName, scope, description })),
  }));
}

/**
 * Disconnects a third-party app: the consent goes, API resource scopes included (the next sign-in asks again), and so does every grant the app holds
 * from the person's sign-ins, with its refresh tokens, at once. A first-party app, another tenant's client or one the
 * person never allowed is NOT_FOUND.
 */
export async function revokeConnectedApp(
  deps: SessionDeps,
  caller: Pick<Caller, 'tenantId' | 'userId'>,
  clientId: string,
  meta: AuditMeta,
): Promise<{ grantsRevoked: number }> {
  const apps = await findThirdPartyConsentsOfUser(deps.db, caller.tenantId, caller.userId);
  if (!apps.some((a) => a.clientId === clientId))
    throw new AppError('NOT_FOUND', { field: 'clientId', detail: `no consent to ${clientId}` });
  // What it was allowed of API resources goes too, or the next sign-in would grant those scopes without asking.
  await deps.db.transaction(async (trx) => {
    await deleteConsent(trx, caller.tenantId, caller.userId, clientId);
    await deleteResourceConsentsOfUserAndClient(trx, caller.tenantId, caller.userId, clientId);
  });
  const grantIds = await findUnrevokedGrantIdsOfUserAndClient(deps.db, caller.tenantId, caller.userId, clientId);
  await deps.revokeGrants(grantIds);
  await recordAudit(
    deps.db,
    { tenantId: caller.tenantId, type: 'consent.revoked', subjectId: caller.userId, clientId, data: { grants: grantIds.length } },
    { ...meta, actorId: caller.userId },
  );
  return { grantsRevoked: grantIds.length };
}

/** The audit event kinds a person sees of their own account: sign-ins, MFA, sessions, password and email. */
const ACTIVITY_PREFIXES = ['signin.', 'mfa.', 'session.', 'password.', 'email.', 'account.', 'reauth.', 'consent.', 'user.email_verified'];

/** The person's own recent security events, newest first (no event data: only what, when, from where). */
export async function securityActivity(deps: ServiceDeps, caller: Pick<Caller, 'tenantId' | 'userId'>, limit: number) {
  // About the person's account only: an admin's actions on other accounts are not their own security activity.
  const events = await findAuditEvents(deps.db, caller.tenantId, { subjectId: caller.userId, limit: Math.min(limit * 3, 300) });
  return events
    .filter((e) => ACTIVITY_PREFIXES.some((p) => e.type.startsWith(p)))
    .slice(0, limit)
    .map((e) => ({
      id: e.id,
      type: e.type,
      outcome: e.outcome,
      clientId: e.clientId,
      ip: e.ip,
      userAgent: e.userAgent,
      device: deviceName(e.userAgent),
      createdAt: e.createdAt,
    }));
}
