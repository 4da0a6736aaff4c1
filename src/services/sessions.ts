// Sign-in sessions (docs/security.md): one per sign-in, from the JSON API or the login pages; ending one revokes the
// grants issued under it.
import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { getTenant } from './tenants.ts';
import {
  endSessionRow,
  findLiveSessionsOfUser,
  lockUserSessions,
  findLiveSession,
  findLiveSessionByOidcUid,
  insertSession,
  insertSessionGrant,
  markGrantRevoked,
  setOidcSessionUid,
  type NewSession,
  type SessionRecord,
} from '../db/queries/sessions.ts';
import { recordAudit, type AuditMeta } from './audit.ts';

/** Sessions live as long as the refresh tokens issued in them (docs/security.md: 30 days). */
export const SESSION_TTL_SECONDS = 30 * 24 * 3600;

/** What a sign-in knows; the id and expiry are the service's to choose. */
export type StartSessionInput = Omit<NewSession, 'id' | 'expiresAt'>;

export interface StartedSession {
  session: SessionRecord;
  /** Grants of sessions evicted to make room (tenant strategy `evict_oldest`): the caller revokes their tokens. */
  evictedGrantIds: string[];
}

/**
 * Starts a session within the tenant's session limit (docs/security.md): `reject` answers SESSION_LIMIT_EXCEEDED,
 * `evict_oldest` ends the oldest sessions. Sign-ins of one user are serialised by an advisory lock, so the
 * limit holds under concurrent sign-ins on any number of processes.
 */
export async function startSession(deps: ServiceDeps, input: StartSessionInput, meta: AuditMeta): Promise<StartedSession> {
  const tenant = await getTenant(deps, input.tenantId, 'cache');
  const actor = { ...meta, actorId: meta.actorId ?? input.userId };
  let refused = false;
  try {
    return await deps.db.transaction(async (trx) => {
      await lockUserSessions(trx, input.tenantId, input.userId);
      const live = await findLiveSessionsOfUser(trx, input.tenantId, input.userId);
      const excess = live.length + 1 - tenant.sessionLimit;
      const evictedGrantIds: string[] = [];
      if (excess > 0) {
        if (tenant.sessionStrategy === 'reject') {
          refused = true;
          throw new AppError('SESSION_LIMIT_EXCEEDED', { detail: `${live.length} live sessions, limit ${tenant.sessionLimit}` });
        }
        for (const oldest of live.slice(0, excess)) {
          evictedGrantIds.push(...((await endSessionRow(trx, input.tenantId, oldest.id, 'evicted')) ?? []));
          await recordAudit(
            trx,
            { tenantId: input.tenantId, type: 'session.evicted', subjectId: input.userId, data: { sessionId: oldest.id } },
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
      return { session, evictedGrantIds };
    });
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
  await deps.db.transaction(async (trx) => {
    await insertSessionGrant(trx, session.id, grantId, clientId);
    if (oidcSessionUid) await setOidcSessionUid(trx, session.tenantId, session.id, oidcSessionUid);
  });
}

export function findSession(deps: ServiceDeps, tenantId: string, sessionId: string): Promise<SessionRecord | undefined> {
  return findLiveSession(deps.db, tenantId, sessionId);
}

export function findSessionOfBrowser(deps: ServiceDeps, tenantId: string, oidcSessionUid: string): Promise<SessionRecord | undefined> {
  return findLiveSessionByOidcUid(deps.db, tenantId, oidcSessionUid);
}

/**
 * Ends a session; returns the grant ids issued under it so the caller can revoke their tokens (the OIDC
 * layer owns token storage). Returns undefined when the session was not live.
 */
export async function endSession(
  deps: ServiceDeps,
  tenantId: string,
  sessionId: string,
  reason: string,
  meta: AuditMeta,
): Promise<string[] | undefined> {
  const grantIds = await endSessionRow(deps.db, tenantId, sessionId, reason);
  if (grantIds) {
    await recordAudit(deps.db, { tenantId, type: 'session.ended', data: { sessionId, reason } }, meta);
  }
  return grantIds;
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
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: session.expiresAt,
  };
}

/**
 * Marks grants revoked where no oidc-provider runs (the CLI): their JWT access tokens stop verifying at once. The
 * refresh tokens stay until they expire but cannot be used: their session or client is gone (docs/security.md).
 */
export async function markGrantsRevoked(deps: ServiceDeps, grantIds: readonly string[]): Promise<void> {
  for (const grantId of grantIds) await markGrantRevoked(deps.db, grantId);
}
