// One sign-in, shared by the JSON API (api/auth/routes.ts) and the login pages (oidc/interactions/routes.ts):
// password → second factor (TOTP or backup code, or enrolment when the tenant requires MFA) → session within the
// tenant's limit → tokens → audit (docs/architecture.md "Sign-in"). The surfaces only translate: JSON in and out, or
// forms and pages; neither counts codes, starts sessions or revokes grants on its own.
//
// What holds for both (docs/security.md "Sign-in limits and lockout"):
// - password attempts count per account (tenant and login) across both surfaces, before any hash;
// - wrong passwords and wrong second-factor codes count against the user and lock the account at the tenant's limit;
// - nothing is signed in before the last factor: no session, no `signin.succeeded`, no failure-counter reset.
import type { KvStore } from '../../store/kv-store.ts';
import type { Metrics } from '../metrics.ts';
import { findPasswordHash, findUserById } from '../../db/queries/users.ts';
import type { SessionRecord } from '../../db/queries/sessions.ts';
import { AppError } from '../../errors/app-error.ts';
import { recordAudit, type AuditMeta } from '../audit.ts';
import { activateEnrolment, beginEnrolment, mfaRequirement, verifySecondFactor, type Enrolment } from '../mfa.ts';
import { startSession, type SessionDeps } from '../sessions.ts';
import { hashTokenId } from '../secrets.ts';
import { getTenant, lookupTenant } from '../tenants.ts';
import { countAccountAttempt } from './attempt-limit.ts';
import { consumeMfaChallenge, createMfaChallenge, readMfaChallenge, recordWrongCode, type MfaChallenge } from './challenges.ts';
import { checkPassword, countSignInFailure, recordSignInSuccess } from './password.ts';

export { MFA_MAX_ATTEMPTS, MFA_TOKEN_TTL_SECONDS, type MfaChallenge } from './challenges.ts';

/** What a sign-in needs: the services' dependencies, the store (challenges, limits) and the grant revoker (evictions). */
export type SignInDeps = SessionDeps & { store: KvStore; metrics?: Metrics };

export interface PasswordAttempt {
  /** The tenant the request names; undefined fails like a wrong password. */
  tenantId: string | undefined;
  login: string;
  password: string;
  /** The client the sign-in is for: the tenant's JSON API client, or the application behind the login page. */
  clientId: string;
}

export type PasswordOutcome =
  | { next: 'session'; tenantId: string; userId: string }
  | { next: 'second_factor'; tenantId: string; userId: string; challenge: string; requirement: MfaChallenge['requirement'] };

/** The first step: the password. Answers whether a session may start now or which second factor comes first. */
export async function signInWithPassword(deps: SignInDeps, attempt: PasswordAttempt, meta: AuditMeta): Promise<PasswordOutcome> {
  if (attempt.tenantId) await countAccountAttempt(deps, await lookupTenant(deps, attempt.tenantId), attempt.tenantId, attempt.login);
  const { tenant, user } = await checkPassword(deps, attempt.tenantId, attempt.login, attempt.password, {
    ...meta,
    clientId: attempt.clientId,
  });
  const requirement = await mfaRequirement(deps, tenant, user.id);
  if (requirement === 'none') return { next: 'session', tenantId: tenant.id, userId: user.id };
  const challenge = await createMfaChallenge(deps.store, { tenantId: tenant.id, userId: user.id, requirement, clientId: attempt.clientId });
  await recordAudit(
    deps.db,
    { tenantId: tenant.id, type: 'mfa.challenged', subjectId: user.id, clientId: attempt.clientId, data: { requirement } },
    { ...meta, actorId: user.id },
  );
  return { next: 'second_factor', tenantId: tenant.id, userId: user.id, challenge, requirement };
}

/** A live challenge, or INVALID_MFA_TOKEN. */
export async function findChallenge(deps: Pick<SignInDeps, 'store'>, token: string): Promise<MfaChallenge> {
  const challenge = await readMfaChallenge(deps.store, token);
  if (!challenge) throw new AppError('INVALID_MFA_TOKEN');
  return challenge;
}

/** The secret and QR code when the tenant requires MFA and the user has none yet (an `enrol` challenge only). */
export async function enrolDuringSignIn(deps: SignInDeps, token: string, meta: AuditMeta): Promise<Enrolment> {
  const challenge = await findChallenge(deps, token);
  if (challenge.requirement !== 'enrol') throw new AppError('INVALID_MFA_TOKEN', { detail: 'not an enrolment challenge' });
  return beginEnrolment(deps, challenge.tenantId, challenge.userId, meta);
}

export interface SecondFactorPassed {
  tenantId: string;
  userId: string;
  clientId: string;
  /** Set when the code activated an enrolment: the new backup codes, shown once. */
  backupCodes?: string[];
}

/**
 * The second step: a TOTP code or a backup code (or, for an `enrol` challenge, the first code of the new secret).
 * A wrong code counts twice: against the challenge (the fifth kills it) and against the user, with wrong passwords,
 * towards lockout; a locked account passes no challenge. The challenge is single-use.
 */
export async function passSecondFactor(deps: SignInDeps, token: string, code: string, meta: AuditMeta): Promise<SecondFactorPassed> {
  const challenge = await findChallenge(deps, token);
  const { tenantId, userId, clientId } = challenge;
  const user = await findUserById(deps.db, tenantId, userId);
  if (!user || (user.lockedUntil && user.lockedUntil > new Date())) {
    await consumeMfaChallenge(deps.store, token);
    throw new AppError('INVALID_MFA_TOKEN', { detail: 'account locked or gone' });
  }
  let backupCodes: string[] | undefined;
  try {
    if (challenge.requirement === 'enrol') backupCodes = await activateEnrolment(deps, tenantId, userId, code, meta);
    else await verifySecondFactor(deps, tenantId, userId, code, meta);
  } catch (err) {
    if (err instanceof AppError && err.errors[0]?.code === 'INVALID_MFA_CODE') {
      const tenant = await getTenant(deps, tenantId, 'cache');
      const locked = await countSignInFailure(deps, tenant, userId, meta);
      const dead = await recordWrongCode(deps.store, token);
      if (locked || dead) {
        await consumeMfaChallenge(deps.store, token);
        await recordAudit(deps.db, { tenantId, type: 'mfa.challenge_locked', outcome: 'failure', subjectId: userId }, meta);
      }
    }
    throw err;
  }
  if (!(await consumeMfaChallenge(deps.store, token))) throw new AppError('INVALID_MFA_TOKEN', { detail: 'challenge used concurrently' });
  return { tenantId, userId, clientId, ...(backupCodes && { backupCodes }) };
}

export interface SessionStart {
  tenantId: string;
  userId: string;
  clientId: string;
  /** What the sign-in proved (RFC 8176): `pwd`, or `pwd otp` after a second factor. */
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  /** Make room by ending the oldest session even under the `reject` strategy (the login page's offer, after sign-in). */
  evictOldest?: boolean;
}

/**
 * The last step, once every factor passed: a session within the tenant's limit (evicted sessions' tokens are
 * revoked), then the caller's tokens for it, then the failure counter reset and `signin.succeeded` recorded.
 */
export async function completeSignIn<T = undefined>(
  deps: SignInDeps,
  start: SessionStart,
  meta: AuditMeta,
  issueTokens?: (session: SessionRecord) => Promise<T>,
): Promise<{ session: SessionRecord; tokens: T | undefined }> {
  const { evictOldest, ...input } = start;
  const session = await startSession(deps, input, meta, { evictOldest: evictOldest === true });
  const tokens = issueTokens ? await issueTokens(session) : undefined;
  await recordSignInSuccess(
    deps,
    { tenantId: start.tenantId, userId: start.userId, clientId: start.clientId, sessionId: session.id, amr: start.amr },
    meta,
  );
  return { session, tokens };
}

/**
 * A fingerprint of the account's password as it is now (a keyed hash of its hash), kept with a sign-in that passed
 * every factor but waits for the person (the session-limit offer, backup codes shown once) before it starts a session.
 */
export async function passedSignInStamp(deps: Pick<SignInDeps, 'db' | 'config'>, tenantId: string, userId: string): Promise<string> {
  const hash = await findPasswordHash(deps.db, tenantId, userId);
  return hashTokenId(deps.config.secretKey, `passed-sign-in:${tenantId}:${userId}:${hash ?? ''}`);
}

/**
 * Whether a waiting sign-in may still start its session: the account is active and not locked, and its password is
 * the one the sign-in proved. A reset, a change, a lockout or a disabled account since then ends it.
 */
export async function passedSignInHolds(
  deps: Pick<SignInDeps, 'db' | 'config'>,
  tenantId: string,
  userId: string,
  stamp: string | undefined,
): Promise<boolean> {
  const user = await findUserById(deps.db, tenantId, userId);
  if (!user || user.status !== 'active' || (user.lockedUntil && user.lockedUntil > new Date())) return false;
  return stamp !== undefined && stamp === (await passedSignInStamp(deps, tenantId, userId));
}
