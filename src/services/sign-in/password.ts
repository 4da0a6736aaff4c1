// The password step of a sign-in, and the per-user failure counter behind lockout. Every failure looks the same to
// the caller (INVALID_CREDENTIALS, same timing); the true reason goes to the audit log only (docs/api.md, "Invalid
// Credentials Error"). Success here is not a sign-in yet: the counter is reset and `signin.succeeded` recorded
// only once every factor has passed (index.ts).
import { AppError } from '../../errors/app-error.ts';
import type { ServiceDeps } from '../../context.ts';
import type { Tenant } from '../../db/queries/tenants.ts';
import { lookupTenant } from '../tenants.ts';
import { insertMailRequest } from '../../db/queries/mail-outbox.ts';
import { findUserById, findUserByLogin, recordLoginFailure, recordLoginSuccess, type User } from '../../db/queries/users.ts';
import { recordAudit, type AuditMeta } from '../audit.ts';
import { rehashIfNeeded, verifyPasswordHash } from '../passwords.ts';

export type SignInFailure =
  'unknown_tenant' | 'tenant_suspended' | 'unknown_user' | 'wrong_password' | 'disabled' | 'unverified' | 'locked';

export interface PasswordChecked {
  tenant: Tenant;
  user: Omit<User, 'passwordHash'>;
}

export async function checkPassword(
  deps: ServiceDeps,
  tenantId: string | undefined,
  login: string,
  password: string,
  meta: AuditMeta & { clientId?: string | null },
): Promise<PasswordChecked> {
  const tenant = tenantId ? await lookupTenant(deps, tenantId) : undefined;
  const user = tenant ? await findUserByLogin(deps.db, tenant.id, login) : undefined;
  // Without a user it still spends one hash, so both paths take about as long.
  const check = await verifyPasswordHash(user?.passwordHash, password, deps.config);
  const passwordOk = check.ok;

  const failure: SignInFailure | undefined = !tenant
    ? 'unknown_tenant'
    : tenant.status !== 'active'
      ? 'tenant_suspended'
      : !user
        ? 'unknown_user'
        : user.lockedUntil && user.lockedUntil > new Date()
          ? 'locked'
          : !passwordOk
            ? 'wrong_password'
            : user.status !== 'active'
              ? 'disabled'
              : !user.emailVerified
                ? 'unverified'
                : undefined;

  if (failure) deps.metrics?.logins.inc({ outcome: failure });
  const event = { tenantId: tenant?.id ?? null, clientId: meta.clientId || null, subjectId: user?.id ?? null };
  const { clientId: _client, ...auditMeta } = meta;
  if (failure || !tenant || !user) {
    await recordAudit(
      deps.db,
      { ...event, type: 'signin.failed', outcome: 'failure', data: { reason: failure, login: login.slice(0, 254) } },
      auditMeta,
    );
    if (failure === 'wrong_password' && tenant && user) await countSignInFailure(deps, tenant, user.id, auditMeta);
    throw new AppError('INVALID_CREDENTIALS', { detail: failure });
  }
  // A hash of the configured kind or cost replaces an older one now that the password is known (docs/configuration.md).
  await rehashIfNeeded(deps, user, password, check);
  const { passwordHash: _omit, ...publicUser } = user;
  return { tenant, user: publicUser };
}

/**
 * One wrong password or wrong second-factor code, on any surface: lockout per tenant policy (docs/security.md). The
 * failure that reaches the limit locks the account and is audited. Returns true when the account is now locked.
 */
export async function countSignInFailure(
  deps: ServiceDeps,
  tenant: Pick<Tenant, 'id' | 'lockoutMaxFailures' | 'lockoutDurationSeconds'>,
  userId: string,
  meta: AuditMeta,
): Promise<boolean> {
  const { failedLoginCount, lockedUntil } = await recordLoginFailure(
    deps.db,
    tenant.id,
    userId,
    tenant.lockoutMaxFailures,
    tenant.lockoutDurationSeconds,
  );
  if (failedLoginCount === tenant.lockoutMaxFailures && lockedUntil) {
    await recordAudit(
      deps.db,
      {
        tenantId: tenant.id,
        type: 'account.locked',
        subjectId: userId,
        data: { failures: failedLoginCount, until: lockedUntil.toISOString() },
      },
      meta,
    );
    // The owner learns of it by mail (composed by account-recovery.ts, with a reset link that also unlocks), while
    // the sign-in itself keeps answering like a wrong password (docs/security.md).
    const owner = await findUserById(deps.db, tenant.id, userId);
    if (owner) await insertMailRequest(deps.db, { tenantId: tenant.id, userId, to: owner.email, kind: 'account_locked' });
  }
  return lockedUntil !== null && lockedUntil > new Date();
}

/** Every factor passed: the failure counter starts again and the sign-in is recorded. */
export async function recordSignInSuccess(
  deps: ServiceDeps,
  event: { tenantId: string; userId: string; clientId: string; sessionId: string; amr: string[] },
  meta: AuditMeta,
): Promise<void> {
  deps.metrics?.logins.inc({ outcome: 'success' });
  await recordLoginSuccess(deps.db, event.tenantId, event.userId, {
    ...meta,
    actorId: event.userId,
    tenantId: event.tenantId,
    type: 'signin.succeeded',
    clientId: event.clientId,
    subjectId: event.userId,
    data: { method: event.amr.join(' '), sessionId: event.sessionId },
  });
}
