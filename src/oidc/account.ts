// findAccount: users are found only inside the client's tenant; a disabled user or a suspended tenant is no
// account at all, so it never gets a code or token (docs/security.md). The user's roles come with it, for the access
// token's `roles` claim later in the same request.
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findUserWithRoleNames } from '../services/users.ts';
import { tokenRequestOf } from './token-request.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findAccount(app: AppContext, ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
  const tenantId = ctx.oidc.client?.['tenant_id'];
  if (typeof tenantId !== 'string' || !UUID.test(sub)) return undefined;
  const request = tokenRequestOf(ctx);
  const key = `${tenantId}:${sub}`;
  // A user the refresh token lookup already read is used once: a later findAccount in the request reads the table.
  const remembered = request.rememberedAccounts.get(key);
  request.rememberedAccounts.delete(key);
  const [tenant, user] = await Promise.all([app.cache.tenant(tenantId), remembered ?? findUserWithRoleNames(app, tenantId, sub)]);
  if (!tenant || tenant.status !== 'active' || !user || user.status !== 'active') return undefined;
  request.accountRoles.set(`${tenantId}:${user.id}`, user.roleNames);
  return {
    accountId: user.id,
    claims: async () => ({
      sub: user.id,
      tenant_id: tenant.id,
      email: user.email,
      email_verified: user.emailVerified,
      preferred_username: user.username ?? user.email,
      updated_at: Math.floor(user.updatedAt.getTime() / 1000),
    }),
  };
}

/** The roles findAccount read with the user in this request, if it did (nothing is kept across requests). */
export function rolesReadWithAccount(ctx: KoaContextWithOIDC, tenantId: string, userId: string): string[] | undefined {
  return tokenRequestOf(ctx).accountRoles.get(`${tenantId}:${userId}`);
}
