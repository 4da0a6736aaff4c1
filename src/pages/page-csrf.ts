// CSRF tokens for the pages that live outside an interaction (the self-service pages): a random id in a
// SameSite=Strict, HttpOnly cookie names the expected token in the store, and each form carries the token
// (the synchronizer token pattern, OWASP CSRF Prevention Cheat Sheet). A forged cross-site post carries neither.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';

const CSRF_TTL_SECONDS = 3600;
const COOKIE = 'gh_page_csrf';
const csrfKey = (binding: string) => `page:csrf:${binding}`;

/** A token for the next form of this browser. */
export async function issuePageCsrf(app: Pick<AppContext, 'store'>, ctx: Context): Promise<string> {
  let binding = ctx.cookies.get(COOKIE);
  if (!binding || !/^[A-Za-z0-9_-]{32}$/.test(binding)) {
    binding = randomBytes(24).toString('base64url');
    ctx.cookies.set(COOKIE, binding, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: CSRF_TTL_SECONDS * 1000, overwrite: true });
  }
  const token = randomBytes(24).toString('base64url');
  await app.store.set(csrfKey(binding), token, CSRF_TTL_SECONDS);
  return token;
}

/** Throws INVALID_TOKEN (403) unless the form's `csrf` field matches the token issued to this browser. */
export async function assertPageCsrf(app: Pick<AppContext, 'store'>, ctx: Context): Promise<void> {
  const binding = ctx.cookies.get(COOKIE);
  const sent = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
  const expected = binding ? await app.store.get(csrfKey(binding)) : null;
  const ok =
    typeof sent === 'string' &&
    expected !== null &&
    sent.length === expected.length &&
    timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
  if (!ok) throw new AppError('INVALID_TOKEN', { status: 403, detail: 'CSRF token missing or wrong' });
}
