// Renders the server-side pages in views/ (ejs, HTML-escaped by default), and the headers every page is sent with.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

const VIEWS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'views');

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
    'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
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

/** Headers of every server-rendered page whose forms post only to our origin (see pageSecurityHeaders). */
export const PAGE_SECURITY_HEADERS = pageSecurityHeaders();

export function renderView(name: string, data: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(join(VIEWS_DIR, `${name}.ejs`), data, { async: true, cache: process.env.NODE_ENV === 'production' });
}
