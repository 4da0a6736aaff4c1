// Security headers of every response (docs/security.md): nosniff everywhere, HSTS over https, no framing and a
// strict Content-Security-Policy on every HTML page that did not set its own, and Pragma beside no-store.
import type { Middleware } from 'koa';
import { pageSecurityHeaders } from '../views.ts';

export { cspOrigin, pageSecurityHeaders } from '../views.ts';

/** One year; no includeSubDomains: other services may live under the same parent domain as PUBLIC_URL. */
const HSTS = 'max-age=31536000';

export function koaSecurityHeaders(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      // ctx.secure reads X-Forwarded-Proto only when TRUST_PROXY is set (app.proxy): an https hop we can trust.
      if (ctx.secure) ctx.set('Strict-Transport-Security', HSTS);
      if (ctx.response.is('html') && !ctx.response.get('Content-Security-Policy')) ctx.set(pageSecurityHeaders());
      // RFC 6749 §5.1: token responses carry Pragma: no-cache beside Cache-Control: no-store (HTTP/1.0 caches).
      if (/\bno-store\b/.test(ctx.response.get('Cache-Control'))) ctx.set('Pragma', 'no-cache');
    }
  };
}
