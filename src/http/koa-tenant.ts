// Finds the tenant of a JSON API request: the X-Tenant-ID header or, with TENANT_DOMAIN, the subdomain
// `{tenant}.{TENANT_DOMAIN}` (docs/security.md). A malformed value counts as none, but still as named: a token of
// one tenant is refused where a request names another, whichever way it names it (namedTenantOf).
import type { Context, Middleware } from 'koa';
import type { Config } from '../config/index.ts';
import { tenantIdSchema } from '../services/tenants.ts';

export function koaTenant(config: Pick<Config, 'tenantDomain' | 'publicUrl'>): Middleware {
  const suffix = config.tenantDomain ? `.${config.tenantDomain.toLowerCase()}` : undefined;
  // PUBLIC_URL's own host may sit under TENANT_DOMAIN (auth.example.com beside acme.example.com): it names no tenant.
  const publicHost = new URL(config.publicUrl).hostname.toLowerCase();
  return async (ctx, next) => {
    const header = ctx.get('X-Tenant-ID').trim().toLowerCase();
    let tenantId: string | undefined = header || undefined;
    const host = ctx.hostname.toLowerCase();
    if (!tenantId && suffix && host !== publicHost && host.endsWith(suffix)) {
      tenantId = host.slice(0, -suffix.length);
    }
    ctx.state.tenantId = tenantId && tenantIdSchema.safeParse(tenantId).success ? tenantId : undefined;
    ctx.state.tenantNamed = Boolean(tenantId);
    await next();
  };
}

/** The tenant a request names: its id, '' when the name is malformed, undefined when the request names none. */
export function namedTenantOf(ctx: Pick<Context, 'state'>): string | undefined {
  if (!ctx.state.tenantNamed) return undefined;
  return (ctx.state.tenantId as string | undefined) ?? '';
}
