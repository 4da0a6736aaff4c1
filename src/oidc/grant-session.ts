// The Gatehouse session a grant belongs to, read once per request: the token claims (`sid`) and the refresh audit
// both need it, and a refresh should not pay two round trips for one row.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findSessionByGrantId } from '../db/queries/sessions.ts';

type GrantSession = Awaited<ReturnType<typeof findSessionByGrantId>>;

export function findSessionOfGrant(app: AppContext, ctx: KoaContextWithOIDC, grantId: string): Promise<GrantSession> {
  const memo = ((ctx.state.grantSessions as Map<string, Promise<GrantSession>> | undefined) ??= new Map());
  let found = memo.get(grantId);
  if (!found) {
    found = findSessionByGrantId(app.db, grantId);
    memo.set(grantId, found);
  }
  return found;
}
