// findAccount: users are found only inside the client's tenant; a disabled user or a suspended tenant is no
// account at all, so it never gets a code or token (SPEC §3).
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findUserById } from '../db/queries/users.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findAccount(app: AppContext, ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
  const tenantId = ctx.oidc.client?.['tenant_id'];
  if (typeof tenantId !== 'string' || !UUID.test(sub)) return undefined;
  const [tenant, user] = await Promise.all([app.cache.tenant(tenantId), findUserById(app.db, tenantId, sub)]);
  if (!tenant || tenant.status !== 'active' || !user || user.status !== 'active') return undefined;
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
