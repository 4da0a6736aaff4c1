// The audit event of a refresh (docs/security.md: refreshes are audited, with the session they keep alive). The request's
// TokenRequest hands it to the Postgres adapter, which writes it in the statement that rotates the refresh token, so a
// rotation and its record commit together.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../db/knex.ts';
import type { NewAuditEvent } from '../db/queries/audit-events.ts';
import { requestOriginOf as auditMetaOf } from '../services/request-origin.ts';
import { findSessionOfGrant } from './grant-session.ts';

export async function refreshAuditEvent(db: Db, ctx: KoaContextWithOIDC, grantId: string | undefined): Promise<NewAuditEvent> {
  const tenantId = ctx.oidc.client?.['tenant_id'];
  const subjectId = ctx.oidc.entities.RefreshToken?.accountId ?? null;
  const session = grantId ? await findSessionOfGrant({ db }, ctx, grantId) : undefined;
  return {
    tenantId: typeof tenantId === 'string' ? tenantId : null,
    type: 'token.refreshed',
    clientId: ctx.oidc.client?.clientId ?? null,
    subjectId,
    actorId: subjectId,
    ...auditMetaOf(ctx),
    data: { sessionId: session?.id ?? null },
  };
}
