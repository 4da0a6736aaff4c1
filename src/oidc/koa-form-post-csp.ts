// The policy of oidc-provider's form_post answer (OAuth 2.0 Form Post Response Mode): its one inline script may
// run (by hash) and its form may post to the redirect_uri the library has matched against the client, nothing else.
import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { cspOrigin } from '../views.ts';

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/;

export function formPostPolicy(): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    if (ctx.oidc?.params?.response_mode !== 'form_post' || typeof ctx.body !== 'string' || !ctx.response.is('html')) return;
    const target = cspOrigin(ctx.oidc.params.redirect_uri as string | undefined);
    const script = INLINE_SCRIPT.exec(ctx.body)?.[1];
    if (!target || script === undefined) return;
    const hash = createHash('sha256').update(script).digest('base64');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'sha256-${hash}'; form-action ${target}; frame-ancestors 'none'; base-uri 'none'`,
    );
  };
}
