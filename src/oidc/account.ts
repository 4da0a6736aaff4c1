// findAccount: users are found only inside the client's tenant; a disabled user or a suspended tenant is no
// account at all, so it never gets a code or token (docs/security.md). The user's roles come with it, for the access
// token's `roles` claim later in the same request.
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { UserWithRoleNames } from '../db/queries/users.ts';
import { findUserWithRoleNames } from '../services/users.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findAccount(app: AppContext, ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
  const tenantId = ctx.oidc.client?.['tenant_id'];
  if (typeof tenantId !== 'string' || !UUID.test(sub)) return undefined;
  const [tenant, user] = await Promise.all([
    app.cache.tenant(tenantId),
    takeRememberedAccount(ctx, tenantId, sub) ?? findUserWithRoleNames(app, tenantId, sub),
  ]);
  if (!tenant || tenant.status !== 'active' || !user || user.status !== 'active') return undefined;
  accountRoles(ctx).set(`${tenantId}:${user.id}`, user.roleNames);
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

/** A user (with roles) another query of this request already read: the refresh token lookup. */
export function rememberAccount(ctx: KoaContextWithOIDC, user: UserWithRoleNames): void {
  ((ctx.state.rememberedAccounts as Map<string, UserWithRoleNames> | undefined) ??= new Map()).set(`${user.tenantId}:${user.id}`, user);
}

/** Used once: a later findAccount in the same request reads the table again. Only a user of `tenantId` matches. */
function takeRememberedAccount(ctx: KoaContextWithOIDC, tenantId: string, userId: string): UserWithRoleNames | undefined {
  const remembered = ctx.state.rememberedAccounts as Map<string, UserWithRoleNames> | undefined;
  const user = remembered?.get(`${tenantId}:${userId}`);
  if (user) remembered?.delete(`${tenantId}:${userId}`);
  return user;
}

function accountRoles(ctx: KoaContextWithOIDC): Map<string, string[]> {
  return ((ctx.state.accountRoles as Map<string, string[]> | undefined) ??= new Map());
}

/** The roles findAccount read with the user in this request, if it did (nothing is kept across requests). */
export function rolesReadWithAccount(ctx: KoaContextWithOIDC, tenantId: string, userId: string): string[] | undefined {
  return (ctx.state.accountRoles as Map<string, string[]> | undefined)?.get(`${tenantId}:${userId}`);
}
