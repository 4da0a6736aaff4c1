// Sign-in sessions (docs/security.md): one per sign-in, from the JSON API or the login pages; ending one revokes the
// grants issued under it, through the revoker the caller injects (the OIDC layer owns token storage).
import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../context.ts';
import { hashTokenId } from './secrets.ts';
import { AppError } from '../errors/app-error.ts';
import { getTenant } from './tenants.ts';
import {
  endSessionRow,
  findLiveSessionIdsByOidcUid,
  findLiveSessionIdsBeyond,
  findLiveSessionsOfUser,
  findOtherLiveSessionIds,
  findSessionByGrantId,
  findSessionByPayloadId,
  lockUserSessions,
  findLiveSession,
  findLiveSessionByOidcUid,
  insertSession,
  insertSessionGrant,
  markGrantRevoked,
  setOidcSessionUid,
  setSessionGrantOidcSid,
  touchSession,
  type GrantSession,
  type NewSession,
  type SessionRecord,
} from '../db/queries/sessions.ts';
import { revokeGrantEverywhere } from '../db/queries/oidc-payloads.ts';
import { enqueueBackchannelLogouts } from '../db/queries/backchannel-logouts.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { deviceName } from './devices.ts';

/** Sessions live as long as the refresh tokens issued in them (docs/security.md: 30 days). */
export const SESSION_TTL_SECONDS = 30 * 24 * 3600;

/** Revokes every token of the given grants (implemented by the OIDC layer, oidc/grants.ts). */
export type GrantRevoker = (grantIds: readonly string[]) => Promise<void>;

/**
 * What ends sessions: the services' dependencies, the revoker of the grants issued under them, and (in the server) the
 * back-channel logout worker, told when logout tokens were queued so it need not wait for its next poll.
 */
export type SessionDeps = ServiceDeps & { revokeGrants: GrantRevoker; backchannelLogouts?: { kick(): void } };

/** What a sign-in knows; the id and expiry are the service's to choose. */
export type StartSessionInput = Omit<NewSession, 'id' | 'expiresAt'>;

/**
 * Starts a session within the tenant's session limit (docs/security.md): `reject` answers SESSION_LIMIT_EXCEEDED,
 * `evict_oldest` ends the oldest sessions and revokes their tokens. `evictOldest` applies eviction whatever the
 * strategy: the login page offers it to a person who has just proved who they are and would otherwise be stuck.
 * Sign-ins of one user are serialised by an advisory lock, so the limit holds under concurrent sign-ins on any
 * number of processes.
 */
export async function startSession(
  deps: SessionDeps,
  input: StartSessionInput,
  meta: AuditMeta,
  options: { evictOldest?: boolean } = {},
): Promise<SessionRecord> {
  const tenant = await getTenant(deps, input.tenantId, 'cache');
  const actor = { ...meta, actorId: meta.actorId ?? input.userId };
  let refused = false;
  try {
    const { session, evictedGrantIds, logoutsQueued } = await deps.db.transaction(async (trx) => {
      await lockUserSessions(trx, input.tenantId, input.userId);
      // The sessions a new one would push over the limit (none while under it), oldest first.
      const excess = await findLiveSessionIdsBeyond(trx, input.tenantId, input.userId, Math.max(0, tenant.sessionLimit - 1));
      const evictedGrantIds: string[] = [];
      let logoutsQueued = 0;
      if (excess.length > 0) {
        if (tenant.sessionStrategy === 'reject' && !options.evictOldest) {
          refused = true;
          const liveCount = tenant.sessionLimit - 1 + excess.length;
          throw new AppError('SESSION_LIMIT_EXCEEDED', { detail: `${liveCount} live sessions, limit ${tenant.sessionLimit}` });
        }
        for (const oldestId of excess) {
          evictedGrantIds.push(...((await endSessionRow(trx, input.tenantId, oldestId, 'evicted'))?.grantIds ?? []));
          logoutsQueued += await enqueueBackchannelLogouts(trx, input.tenantId, oldestId);
          await recordAudit(
            trx,
            { tenantId: input.tenantId, type: 'session.evicted', subjectId: input.userId, data: { sessionId: oldestId } },
            actor,
          );
        }
      }
      const session = await insertSession(trx, {
        ...input,
        id: `ses_${randomBytes(16).toString('base64url')}`,
        expiresAt: new Date(Date.now() + SESSION_TTL_SECONDS * 1000),
      });
      await recordAudit(
        trx,
        {
          tenantId: input.tenantId,
          type: 'session.started',
          subjectId: input.userId,
          clientId: input.clientId,
          data: { sessionId: session.id, amr: input.amr },
        },
        actor,
      );
      return { session, evictedGrantIds, logoutsQueued };
    });
    await deps.revokeGrants(evictedGrantIds);
    if (logoutsQueued > 0) deps.backchannelLogouts?.kick();
    return session;
  } finally {
    if (refused) {
      await recordAudit(
        deps.db,
        {
          tenantId: input.tenantId,
          type: 'session.limit_exceeded',
          outcome: 'failure',
          subjectId: input.userId,
          clientId: input.clientId,
          data: { limit: tenant.sessionLimit },
        },
        actor,
      );
    }
  }
}

/** Records that a grant was issued under a session; the browser session uid lets later SSO grants find it. */
export async function attachGrant(
  deps: ServiceDeps,
  session: Pick<SessionRecord, 'id' | 'tenantId'>,
  grantId: string,
  clientId: string,
  oidcSessionUid?: string,
): Promise<void> {
  if (!oidcSessionUid) return insertSessionGrant(deps.db, session.id, grantId, clientId);
  await deps.db.transaction(async (trx) => {
    await insertSessionGrant(trx, session.id, grantId, clientId);
    await setOidcSessionUid(trx, session.tenantId, session.id, oidcSessionUid);
  });
}

export function findSession(deps: ServiceDeps, tenantId: string, sessionId: string): Promise<SessionRecord | undefined> {
  return findLiveSession(deps.db, tenantId, sessionId);
}

/** Records that a grant's tokens were revoked, so JWT access tokens issued under it stop verifying. */
export function recordGrantRevoked(deps: Pick<ServiceDeps, 'db'>, grantId: string): Promise<void> {
  return markGrantRevoked(deps.db, grantId);
}

/** Moves a session's last-seen time (the statement itself moves it at most once a minute, for every process). */
export function recordSessionActivity(deps: Pick<ServiceDeps, 'db'>, tenantId: string, sessionId: string): Promise<void> {
  return touchSession(deps.db, tenantId, sessionId);
}

/** The session a grant was issued under (with the grant's client), live or not. */
export function findSessionOfGrant(deps: Pick<ServiceDeps, 'db'>, grantId: string): Promise<GrantSession | undefined> {
  return findSessionByGrantId(deps.db, grantId);
}

/** The session a refresh token was issued under (with its grant's client), even when the token was revoked since. */
export async function findSessionOfRefreshToken(deps: ServiceDeps, refreshToken: string): Promise<GrantSession | undefined> {
  return findSessionByPayloadId(deps.db, 'RefreshToken', hashTokenId(deps.config.secretKey, refreshToken));
}

export function findSessionOfBrowser(deps: ServiceDeps, tenantId: string, oidcSessionUid: string): Promise<SessionRecord | undefined> {
  return findLiveSessionByOidcUid(deps.db, tenantId, oidcSessionUid);
}

/**
 * Ends a session and revokes everything issued under it (docs/security.md). The logout tokens its relying parties
 * are owed are queued in the same transaction (OpenID Connect Back-Channel Logout 1.0), so none is lost whatever
 * happens next. False when it was not live.
 */
export async function endSession(
  deps: SessionDeps,
  tenantId: string,
  sessionId: string,
  reason: string,
  meta: AuditMeta,
): Promise<boolean> {
  const ended = await deps.db.transaction(async (trx) => {
    const row = await endSessionRow(trx, tenantId, sessionId, reason);
    if (!row) return undefined;
    const logoutsQueued = await enqueueBackchannelLogouts(trx, tenantId, sessionId);
    await recordAudit(trx, { tenantId, type: 'session.ended', subjectId: row.userId, data: { sessionId, reason } }, meta);
    return { grantIds: row.grantIds, logoutsQueued };
  });
  if (!ended) return false;
  await deps.revokeGrants(ended.grantIds);
  if (ended.logoutsQueued > 0) deps.backchannelLogouts?.kick();
  return true;
}

/** Ends every live session of a user except `keepSessionId` (password reset, "sign out everywhere else"). */
export async function endSessionsOfUser(
  deps: SessionDeps,
  tenantId: string,
  userId: string,
  reason: string,
  meta: AuditMeta,
  keepSessionId: string | null = null,
): Promise<number> {
  let ended = 0;
  for (const id of await findOtherLiveSessionIds(deps.db, tenantId, userId, keepSessionId)) {
    if (await endSession(deps, tenantId, id, reason, meta)) ended += 1;
  }
  return ended;
}

/** A browser signed out (RP-initiated logout, or another account signed in): its sessions end. */
export async function endBrowserSessions(deps: SessionDeps, oidcSessionUid: string, meta: AuditMeta): Promise<void> {
  for (const { id, tenantId } of await findLiveSessionIdsByOidcUid(deps.db, oidcSessionUid)) {
    await endSession(deps, tenantId, id, 'logout', meta);
  }
}

export function listSessions(deps: ServiceDeps, tenantId: string, userId: string): Promise<SessionRecord[]> {
  return findLiveSessionsOfUser(deps.db, tenantId, userId);
}

export function presentSession(session: SessionRecord, currentSessionId: string | null) {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    clientId: session.clientId,
    amr: session.amr,
    ip: session.ip,
    userAgent: session.userAgent,
    device: deviceName(session.userAgent),
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: session.expiresAt,
  };
}

/**
 * The deps with the revoker for where no oidc-provider runs (the CLI): each grant's durable tokens, the grant and its session record
 * are revoked in one statement, so its refresh tokens are refused and its JWT access tokens stop verifying at once.
 */
export function withDatabaseRevoker<D extends ServiceDeps>(deps: D): D & { revokeGrants: GrantRevoker } {
  return {
    ...deps,
    revokeGrants: async (grantIds) => {
      for (const grantId of grantIds) await revokeGrantEverywhere(deps.db, grantId);
    },
  };
}

/** The `sid` a grant's client sees in its ID tokens: back-channel logout tokens for this session repeat it. */
export function recordGrantOidcSid(deps: Pick<ServiceDeps, 'db'>, grantId: string, oidcSid: string): Promise<void> {
  return setSessionGrantOidcSid(deps.db, grantId, oidcSid);
}
