// The Gatehouse session a grant belongs to, read once per request: the token claims (`sid`) and the refresh audit
// both need it, and a refresh should not pay two round trips for one row. Nothing outlives the request.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findSessionByGrantId, type GrantSession } from '../db/queries/sessions.ts';

type Found = GrantSession | undefined;

function memo(ctx: KoaContextWithOIDC): Map<string, Promise<Found>> {
  return ((ctx.state.grantSessions as Map<string, Promise<Found>> | undefined) ??= new Map());
}

export function findSessionOfGrant(app: Pick<AppContext, 'db'>, ctx: KoaContextWithOIDC, grantId: string): Promise<Found> {
  let found = memo(ctx).get(grantId);
  if (!found) {
    found = findSessionByGrantId(app.db, grantId);
    memo(ctx).set(grantId, found);
  }
  return found;
}

/** Keeps a grant's session that another query of this request already read (the refresh token lookup). */
export function rememberSessionOfGrant(ctx: KoaContextWithOIDC, grantId: string, session: Found): void {
  memo(ctx).set(grantId, Promise.resolve(session));
}
