// Revoking grants from our side (a session ended by logout, the API or an admin): every token of the grant
// goes, the grant goes, and our session_grants row records it so JWT access tokens stop verifying.
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findLiveSessionIdsByOidcUid, findOtherLiveSessionIds, markGrantRevoked } from '../db/queries/sessions.ts';
import type { AuditMeta } from '../services/audit.ts';
import { deleteClient } from '../services/clients.ts';
import { endSession } from '../services/sessions.ts';

export async function revokeGrants(app: AppContext, provider: Provider, grantIds: readonly string[]): Promise<void> {
  await Promise.all(
    grantIds.map(async (grantId) => {
      await Promise.all([
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
        provider.AccessToken.revokeByGrantId(grantId),
        provider.Grant.adapter.destroy(grantId),
      ]);
      await markGrantRevoked(app.db, grantId);
    }),
  );
}

/** Ends one Gatehouse session and revokes everything issued under it (docs/security.md). False if it was not live. */
export async function endSessionAndRevoke(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  sessionId: string,
  reason: string,
  meta: AuditMeta,
): Promise<boolean> {
  const grantIds = await endSession(app, tenantId, sessionId, reason, meta);
  if (!grantIds) return false;
  await revokeGrants(app, provider, grantIds);
  return true;
}

/** Deletes a client and revokes every grant still holding its tokens (refresh tokens, codes, grants). */
export async function deleteClientAndRevoke(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  clientId: string,
  meta: AuditMeta,
): Promise<void> {
  await revokeGrants(app, provider, await deleteClient(app, tenantId, clientId, meta));
}

/** A browser signed out (RP-initiated logout, or another account signed in): its sessions end. */
export async function endBrowserSessions(app: AppContext, provider: Provider, oidcSessionUid: string, meta: AuditMeta): Promise<void> {
  for (const { id, tenantId } of await findLiveSessionIdsByOidcUid(app.db, oidcSessionUid)) {
    await endSessionAndRevoke(app, provider, tenantId, id, 'logout', meta);
  }
}

/** Ends every live session of a user except `keepSessionId` (password reset, "sign out everywhere else"). */
export async function endSessionsOfUser(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  userId: string,
  reason: string,
  meta: AuditMeta,
  keepSessionId: string | null = null,
): Promise<number> {
  let ended = 0;
  for (const id of await findOtherLiveSessionIds(app.db, tenantId, userId, keepSessionId)) {
    if (await endSessionAndRevoke(app, provider, tenantId, id, reason, meta)) ended += 1;
  }
  return ended;
}
