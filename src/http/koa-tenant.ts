// Finds the tenant of a JSON API request: the X-Tenant-ID header or, with TENANT_DOMAIN, the subdomain
// `{tenant}.{TENANT_DOMAIN}` (docs/security.md). A malformed value counts as none.
import type { Middleware } from 'koa';
import type { Config } from '../config/index.ts';
import { tenantIdSchema } from '../services/tenants.ts';

export function koaTenant(config: Pick<Config, 'tenantDomain'>): Middleware {
  const suffix = config.tenantDomain ? `.${config.tenantDomain.toLowerCase()}` : undefined;
  return async (ctx, next) => {
    const header = ctx.get('X-Tenant-ID').trim().toLowerCase();
    let tenantId: string | undefined = header || undefined;
    if (!tenantId && suffix && ctx.hostname.toLowerCase().endsWith(suffix)) {
      tenantId = ctx.hostname.toLowerCase().slice(0, -suffix.length);
    }
    ctx.state.tenantId = tenantId && tenantIdSchema.safeParse(tenantId).success ? tenantId : undefined;
    await next();
  };
}
