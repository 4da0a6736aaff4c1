// Every URL oidc-provider publishes (discovery, redirects to its own endpoints) derives from PUBLIC_URL, or for a
// tenant subdomain from TENANT_DOMAIN, never from the Host header a client chose (`Host: evil.example`).
import type { Middleware } from 'koa';
import type { Config } from '../config/index.ts';
import { publicOriginFor } from '../services/public-origin.ts';

export { publicOriginFor };

/**
 * oidc-provider builds its URLs from `ctx.href` (helpers/oidc_context.js urlFor), that is from the Host header
 * and, behind TRUST_PROXY, X-Forwarded-Host/Proto: the request's URL is pinned to the public origin before the provider runs.
 */
export function pinPublicOrigin(config: Pick<Config, 'publicUrl' | 'tenantDomain'>): Middleware {
  return async (ctx, next) => {
    const origin = publicOriginFor(config, ctx.host);
    Object.defineProperty(ctx.request, 'href', { get: () => origin + ctx.originalUrl, configurable: true });
    await next();
  };
}
