// Extra access-token claims of docs/security.md: tenant_id, roles and sid (the Gatehouse session the grant belongs to).
// At the provider's endpoints `ctx` is the request; for tokens minted in process (token-issuer.ts) there is none, and
// the token's own client and grant say the same.
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { roleNamesOfUser } from '../services/roles.ts';
import { findSessionOfGrant as findSessionOfGrantId } from '../services/sessions.ts';
import { rolesReadWithAccount } from './account.ts';
import { findSessionOfGrant } from './grant-session.ts';

interface TokenLike {
  accountId?: string;
  grantId?: string;
  clientId?: string;
  kind?: string;
  client?: Client;
}

/** What the minting code already knows of a token it saves in process, so that its claims need no second lookup. */
const knownOfMinted = new WeakMap<object, { sessionId: string }>();

/** Tells extraTokenClaims the session of a token about to be saved in process (token-issuer.ts). */
export function rememberMintedSession(token: object, sessionId: string): void {
  knownOfMinted.set(token, { sessionId });
}

export async function extraTokenClaims(
  app: AppContext,
  ctx: KoaContextWithOIDC | undefined,
  token: unknown,
): Promise<Record<string, unknown> | undefined> {
  const { accountId, grantId, client } = token as TokenLike;
  const tenantId = (ctx?.oidc.client ?? client)?.['tenant_id'];
  if (typeof tenantId !== 'string') return undefined;
  if (!accountId) return { tenant_id: tenantId }; // client_credentials: the client acts for itself
  const known = knownOfMinted.get(token as object);
  const sessionOf = async (): Promise<{ id: string } | undefined> => {
    if (known) return { id: known.sessionId };
    if (!grantId) return undefined;
    return ctx ? findSessionOfGrant(app, ctx, grantId) : findSessionOfGrantId(app, grantId);
  };
  const [roles, session] = await Promise.all([
    (ctx && rolesReadWithAccount(ctx, tenantId, accountId)) ?? roleNamesOfUser(app, tenantId, accountId),
    sessionOf(),
  ]);
  return { tenant_id: tenantId, roles, ...(session && { sid: session.id }) };
}
