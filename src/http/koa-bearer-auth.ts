// Bearer access tokens on our own endpoints: a Gatehouse JWT for our audience whose session and grant are still live,
// of the tenant the request names (guide: "Token Expired Error", "Tenant Access Denied"); the account API takes only
// tokens of first-party apps (docs/security.md, "First-party and third-party apps").
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';
import type { AccessTokenClaims, AccessTokenVerifier, VerifyOptions } from '../services/access-tokens.ts';

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

export interface AuthState {
  claims: AccessTokenClaims;
  userId: string;
  tenantId: string;
  sessionId: string;
}

/** The verified claims of the request's bearer token, with RFC 6750 §3 challenges on the 401s. */
export async function verifyBearer(
  ctx: Context,
  verifier: AccessTokenVerifier,
  realm: string,
  options: VerifyOptions = {},
): Promise<AccessTokenClaims> {
  const match = BEARER.exec(ctx.get('authorization'));
  if (!match?.[1]) throw new AppError('AUTHENTICATION_REQUIRED', { headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` } });
  try {
    return await verifier.verify(match[1], options);
  } catch (err) {
    if (err instanceof AppError && err.status === 401) {
      throw Object.assign(err, { headers: { 'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token"` } });
    }
    throw err;
  }
}

/**
 * Requires a user's access token (not a client's own) issued to a first-party app, and puts it on ctx.state.auth: the
 * account API (TOTP enrolment, sessions, …) acts as the person, which a third-party app the person consented to may not.
 */
export function koaRequireUser(verifier: () => AccessTokenVerifier, realm: string): Middleware {
  return async (ctx, next) => {
    const claims = await verifyBearer(ctx, verifier(), realm, { firstPartyOnly: true });
    const requested = ctx.state.tenantId as string | undefined;
    if (ctx.get('X-Tenant-ID') && requested !== claims.tenant_id) {
      throw new AppError('TENANT_ACCESS_DENIED', { detail: `token of ${claims.tenant_id}, request for ${ctx.get('X-Tenant-ID')}` });
    }
    if (!claims.sid) {
      throw new AppError('AUTHENTICATION_REQUIRED', {
        headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` },
        detail: 'client token where a user is required',
      });
    }
    const auth: AuthState = { claims, userId: claims.sub, tenantId: claims.tenant_id, sessionId: claims.sid };
    ctx.state.auth = auth;
    await next();
  };
}
