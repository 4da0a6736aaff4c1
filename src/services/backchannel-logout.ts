// Delivery of back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5) from the durable queue the
// session services fill: every process runs a worker that leases due rows (SKIP LOCKED, so processes share the
// queue), signs each token through the injected signer (the OIDC layer holds the keys), POSTs it, and audits the
// attempt. Failures are retried with exponential backoff until BACKCHANNEL_LOGOUT_MAX_ATTEMPTS.
import type { ServiceDeps } from '../context.ts';
import {
  abandonBackchannelLogout,
  findBackchannelLogoutsOfSession,
  leaseDueBackchannelLogoutsAcrossTenants,
  markBackchannelLogoutDelivered,
  retryBackchannelLogoutLater,
  type BackchannelLogout,
} from '../db/queries/backchannel-logouts.ts';
import { recordAudit } from './audit.ts';
import { postForm } from './outbound-post.ts';
import { queueDrainer } from './queue-drain.ts';

export type { BackchannelLogout } from '../db/queries/backchannel-logouts.ts';

/** A signed logout token and where it goes; undefined when the client is gone or no longer wants one. */
export type LogoutTokenSigner = (logout: BackchannelLogout) => Promise<{ uri: string; token: string } | undefined>;

export interface BackchannelLogoutWorker {
  /** Look at the queue now (a session has just ended) instead of at the next poll. */
  kick(): void;
  /** Delivers everything due, then resolves. */
  drain(): Promise<void>;
  close(): void;
}

const BATCH = 20;
/** The longest wait between two attempts. */
const MAX_BACKOFF_MS = 3600_000;

/** The wait after the `attempt`-th failure: base, 2 × base, 4 × base, … at most an hour. */
export function backoffAfter(attempt: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

export function startBackchannelLogoutWorker(
  deps: ServiceDeps & { shuttingDown?: boolean },
  sign: LogoutTokenSigner,
): BackchannelLogoutWorker {
  const { backchannelLogout: settings } = deps.config;
  // A lease outlives the request's timeout, so no other process takes a row while its delivery may still succeed.
  const leaseMs = settings.timeoutMs * 2 + 1000;

  async function deliver(logout: BackchannelLogout): Promise<void> {
    const audit = { tenantId: logout.tenantId, clientId: logout.clientId, subjectId: logout.subject };
    const data = { jti: logout.jti, sessionId: logout.sessionId, attempt: logout.attempts };
    let signed: Awaited<ReturnType<LogoutTokenSigner>>;
    try {
      signed = await sign(logout);
    } catch (err) {
      deps.logger.error({ err, jti: logout.jti }, 'could not sign a logout token');
      await retryBackchannelLogoutLater(
        deps.db,
        logout.tenantId,
        logout.id,
        backoffAfter(logout.attempts, settings.retryBaseMs),
        'signing failed',
      );
      return;
    }
    if (!signed) {
      await deps.db.transaction(async (trx) => {
        await abandonBackchannelLogout(trx, logout.tenantId, logout.id, 'client has no backchannel_logout_uri');
        await recordAudit(trx, { ...audit, type: 'backchannel_logout.abandoned', outcome: 'failure', data: { ...data, error: 'no_uri' } });
      });
      return;
    }
    let failure: string | undefined;
    let status: number | undefined;
    try {
      status = await postForm(
        signed.uri,
        { logout_token: signed.token },
        { timeoutMs: settings.timeoutMs, privateAddresses: settings.privateAddresses },
      );
      // §2.8: 200 OK on success (204 is accepted too, as oidc-provider does); anything else, redirects included, failed.
      if (status !== 200 && status !== 204) failure = `HTTP ${status}`;
    } catch (err) {
      const name = (err as Error).name;
      failure = name === 'TimeoutError' ? 'timeout' : name === 'ForbiddenAddressError' ? 'forbidden_address' : 'unreachable';
    }
    const lastAttempt = logout.attempts >= settings.maxAttempts;
    // The row and its audit event change together: an operator never sees one without the other.
    await deps.db.transaction(async (trx) => {
      if (failure === undefined) {
        await markBackchannelLogoutDelivered(trx, logout.tenantId, logout.id);
        await recordAudit(trx, { ...audit, type: 'backchannel_logout.delivered', data: { ...data, status } });
        return;
      }
      if (lastAttempt) await abandonBackchannelLogout(trx, logout.tenantId, logout.id, failure);
      else await retryBackchannelLogoutLater(trx, logout.tenantId, logout.id, backoffAfter(logout.attempts, settings.retryBaseMs), failure);
      await recordAudit(trx, {
        ...audit,
        type: lastAttempt ? 'backchannel_logout.abandoned' : 'backchannel_logout.failed',
        outcome: 'failure',
        data: { ...data, error: failure, ...(status !== undefined && { status }) },
      });
    });
  }

  async function processBatch(): Promise<number> {
    const due = await leaseDueBackchannelLogoutsAcrossTenants(deps.db, { limit: BATCH, leaseMs });
    await Promise.all(due.map((logout) => deliver(logout)));
    return due.length;
  }

  let closed = false;
  const drain = queueDrainer(processBatch, BATCH, () => closed || deps.shuttingDown === true);
  const kick = () => {
    drain().catch((err: Error) => deps.logger.warn({ error: err.message }, 'back-channel logout queue processing failed'));
  };
  const poll = setInterval(kick, settings.pollIntervalMs);
  poll.unref();

  return {
    kick,
    drain,
    close: () => {
      closed = true;
      clearInterval(poll);
    },
  };
}

/** The logout tokens queued for a session and how their delivery went. */
export function listBackchannelLogoutsOfSession(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  sessionId: string,
): Promise<BackchannelLogout[]> {
  return findBackchannelLogoutsOfSession(deps.db, tenantId, sessionId);
}
