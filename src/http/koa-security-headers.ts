// Security headers of every response (docs/security.md): nosniff everywhere, HSTS over https, no framing and a
// strict Content-Security-Policy on every HTML page that did not set its own, and Pragma beside no-store.
import type { Middleware } from 'koa';

/** One year; no includeSubDomains: other services may live under the same parent domain as PUBLIC_URL. */
const HSTS = 'max-age=31536000';

/**
 * The policy of our server-rendered pages: inline styles and data: images (the MFA QR code), nothing else loads,
 * nobody frames them, and forms may submit only to `'self'` plus `formTargets`.
 *
 * Why `formTargets`: Chromium applies `form-action` to every redirect that follows a form submission, not only to
 * the form's own action. Posting the login or consent form to our origin answers 303 → /oauth2/authorize/:uid →
 * 303 → the client's redirect_uri, so with `form-action 'self'` alone a client on another origin never receives its
 * code. Opening form-action to every origin (or dropping it) would let injected markup post the person's password
 * anywhere. So each login page lists `'self'` plus exactly the origin of the redirect_uri that oidc-provider already
 * matched against this interaction's client registration: the one place the chain may legitimately end.
 */
export function pageSecurityHeaders(formTargets: readonly string[] = []): Record<string, string> {
  const formAction = ["'self'", ...new Set(formTargets)].join(' ');
  return {
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  };
}

/** The origin of a URL to put in a CSP source list, or undefined for anything that is not http(s). */
export function cspOrigin(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

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
