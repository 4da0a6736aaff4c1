// Revoking grants from our side (a session ended by logout, the API or an admin): every token of the grant
// goes, the grant goes, and our session_grants row records it so JWT access tokens stop verifying.
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { AuditMeta } from '../services/audit.ts';
import { deleteClient } from '../services/clients.ts';
import {
  endBrowserSessions as endSessionsOfBrowser,
  endSession,
  endSessionsOfUser as endUserSessions,
  recordGrantRevoked,
} from '../services/sessions.ts';
import type { GrantRevoker, SessionDeps } from '../services/sessions.ts';

export async function revokeGrants(app: AppContext, provider: Provider, grantIds: readonly string[]): Promise<void> {
  await Promise.all(
    grantIds.map(async (grantId) => {
      await Promise.all([
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
        provider.AccessToken.revokeByGrantId(grantId),
        provider.Grant.adapter.destroy(grantId),
      ]);
      await recordGrantRevoked(app, grantId);
    }),
  );
}

/** The revoker the session services are given: they end sessions, this revokes the tokens issued under them. */
export function grantRevoker(app: AppContext, provider: () => Provider): GrantRevoker {
  return (grantIds) => revokeGrants(app, provider(), grantIds);
}

/** The session services' dependencies, with this provider's revoker. */
export function sessionDeps(app: AppContext, provider: () => Provider): AppContext & SessionDeps {
  return { ...app, revokeGrants: grantRevoker(app, provider) };
}

/** Ends one Gatehouse session and revokes everything issued under it (docs/security.md). False if it was not live. */
export function endSessionAndRevoke(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  sessionId: string,
  reason: string,
  meta: AuditMeta,
): Promise<boolean> {
  return endSession(
    sessionDeps(app, () => provider),
    tenantId,
    sessionId,
    reason,
    meta,
  );
}

/** Deletes a client and revokes every grant still holding its tokens (refresh tokens, codes, grants). */
export async function deleteClientAndRevoke(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  clientId: string,
  meta: AuditMeta,
): Promise<void> {
  await deleteClient(
    sessionDeps(app, () => provider),
    tenantId,
    clientId,
    meta,
  );
}

/** A browser signed out (RP-initiated logout, or another account signed in): its sessions end. */
export function endBrowserSessions(app: AppContext, provider: Provider, oidcSessionUid: string, meta: AuditMeta): Promise<void> {
  return endSessionsOfBrowser(
    sessionDeps(app, () => provider),
    oidcSessionUid,
    meta,
  );
}

/** Ends every live session of a user except `keepSessionId` (password reset, "sign out everywhere else"). */
export function endSessionsOfUser(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  userId: string,
  reason: string,
  meta: AuditMeta,
  keepSessionId: string | null = null,
): Promise<number> {
  return endUserSessions(
    sessionDeps(app, () => provider),
    tenantId,
    userId,
    reason,
    meta,
    keepSessionId,
  );
}
