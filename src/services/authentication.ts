// Password sign-in shared by the login pages and the JSON API. Every failure looks the same to the caller
// (INVALID_CREDENTIALS, same timing); the true reason goes to the audit log only (docs/api.md, guide
// "Invalid Credentials Error").
import { AppError } from '../errors/app-error.ts';
import type { ServiceDeps } from '../context.ts';
import type { Tenant } from '../db/queries/tenants.ts';
import { lookupTenant } from './tenants.ts';
import { findUserByLogin, recordLoginFailure, recordLoginSuccess, type User } from '../db/queries/users.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { rehashIfNeeded, verifyPasswordHash } from './passwords.ts';

export type SignInFailure =
  'unknown_tenant' | 'tenant_suspended' | 'unknown_user' | 'wrong_password' | 'disabled' | 'unverified' | 'locked';

export interface SignedIn {
  tenant: Tenant;
  user: User;
}

export async function authenticatePassword(
  deps: ServiceDeps,
  tenantId: string | undefined,
  login: string,
  password: string,
  meta: AuditMeta & { clientId?: string | null },
): Promise<SignedIn> {
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

  deps.metrics?.logins.inc({ outcome: failure ?? 'success' });
  const event = { tenantId: tenant?.id ?? null, clientId: meta.clientId ?? null, subjectId: user?.id ?? null };
  const { clientId: _client, ...auditMeta } = meta;
  if (failure || !tenant || !user) {
    await recordAudit(
      deps.db,
      { ...event, type: 'signin.failed', outcome: 'failure', data: { reason: failure, login: login.slice(0, 254) } },
      auditMeta,
    );
    if (failure === 'wrong_password' && tenant && user) await countFailure(deps, tenant, user.id, auditMeta);
    throw new AppError('INVALID_CREDENTIALS', { detail: failure });
  }
  await recordLoginSuccess(deps.db, tenant.id, user.id);
  await rehashIfNeeded(deps, user, password, check);
  await recordAudit(deps.db, { ...event, type: 'signin.succeeded', data: { method: 'pwd' } }, { ...auditMeta, actorId: user.id });
  const { passwordHash: _omit, ...publicUser } = user;
  return { tenant, user: publicUser };
}

/** Lockout per tenant policy (docs/security.md): the failure that reaches the limit locks the account and is audited. */
async function countFailure(deps: ServiceDeps, tenant: Tenant, userId: string, meta: AuditMeta): Promise<void> {
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
  }
}
