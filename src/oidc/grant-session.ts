// The Gatehouse session a grant belongs to, read once per request: the token claims (`sid`) and the refresh audit
// both need it, and a refresh should not pay two round trips for one row. Nothing outlives the request.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { GrantSession } from '../db/queries/sessions.ts';
import { findSessionOfGrant as lookupSessionOfGrant } from '../services/sessions.ts';
import { tokenRequestOf } from './token-request.ts';

/** The refresh token lookup puts the session it read along into the same memo (postgres-adapter.ts). */
export function findSessionOfGrant(
  app: Pick<AppContext, 'db'>,
  ctx: KoaContextWithOIDC,
  grantId: string,
): Promise<GrantSession | undefined> {
  const memo = tokenRequestOf(ctx).grantSessions;
  let found = memo.get(grantId);
  if (!found) {
    found = lookupSessionOfGrant(app, grantId);
    memo.set(grantId, found);
  }
  return found;
}
