// Extra access-token claims of docs/security.md: tenant_id, roles and sid (the Gatehouse session the grant belongs to).
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findRoleNamesOfUser } from '../db/queries/roles.ts';
import { rolesReadWithAccount } from './account.ts';
import { findSessionOfGrant } from './grant-session.ts';

interface TokenLike {
  accountId?: string;
  grantId?: string;
  clientId?: string;
  kind?: string;
}

export async function extraTokenClaims(
  app: AppContext,
  ctx: KoaContextWithOIDC,
  token: unknown,
): Promise<Record<string, unknown> | undefined> {
  const { accountId, grantId } = token as TokenLike;
  const tenantId = ctx.oidc.client?.['tenant_id'];
  if (typeof tenantId !== 'string') return undefined;
  if (!accountId) return { tenant_id: tenantId }; // client_credentials: the client acts for itself
  const [roles, session] = await Promise.all([
    rolesReadWithAccount(ctx, tenantId, accountId) ?? findRoleNamesOfUser(app.db, tenantId, accountId),
    grantId ? findSessionOfGrant(app, ctx, grantId) : undefined,
  ]);
  return { tenant_id: tenantId, roles, ...(session && { sid: session.id }) };
}
