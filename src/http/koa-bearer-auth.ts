// Bearer access tokens on our own endpoints: a Gatehouse JWT for our audience whose session and grant are still live,
// of the tenant the request names (guide: "Token Expired Error", "Tenant Access Denied"); the account API takes only
// tokens of first-party apps (docs/security.md, "First-party and third-party apps").
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';
import type { AccessTokenClaims, AccessTokenVerifier, VerifyOptions } from '../services/access-tokens.ts';
import type { Config } from '../config/index.ts';
import { authenticateChallenge, presentedToken } from '../services/dpop-proofs.ts';
import { publicOriginFor } from '../services/public-origin.ts';
import { namedTenantOf } from './koa-tenant.ts';

export interface AuthState {
  claims: AccessTokenClaims;
  userId: string;
  tenantId: string;
  sessionId: string;
}

/**
 * The verified claims of the request's access token, with RFC 6750 §3 challenges on the 401s. A DPoP-bound token
 * comes with the `DPoP` scheme and a proof for this request (RFC 9449 §7); as a plain Bearer token it is refused.
 * The realm is PUBLIC_URL; the proof's `htu` names the request's public origin (a tenant subdomain's, say).
 */
export async function verifyBearer(
  ctx: Context,
  verifier: AccessTokenVerifier,
  config: Pick<Config, 'publicUrl' | 'tenantDomain'>,
  options: VerifyOptions = {},
): Promise<AccessTokenClaims> {
  const realm = config.publicUrl;
  const presented = presentedToken(ctx.get('authorization'), {
    dpopHeader: ctx.get('dpop') || undefined,
    method: ctx.method,
    publicUrl: `${publicOriginFor(config, ctx.host)}${ctx.path}`,
  });
  if (!presented)
    throw new AppError('AUTHENTICATION_REQUIRED', { headers: { 'WWW-Authenticate': authenticateChallenge('Bearer', realm) } });
  try {
    return await verifier.verify(presented.token, { ...options, ...(presented.dpop && { dpop: presented.dpop }) });
  } catch (err) {
    if (err instanceof AppError && err.status === 401) {
      throw Object.assign(err, {
        headers: { 'WWW-Authenticate': authenticateChallenge(presented.scheme, realm, { error: 'invalid_token' }) },
      });
    }
    throw err;
  }
}

/**
 * Requires a user's access token (not a client's own) issued to a first-party app, and puts it on ctx.state.auth: the
 * account API (TOTP enrolment, sessions, …) acts as the person, which a third-party app the person consented to may not.
 */
export function koaRequireUser(verifier: () => AccessTokenVerifier, config: Pick<Config, 'publicUrl' | 'tenantDomain'>): Middleware {
  const realm = config.publicUrl;
  return async (ctx, next) => {
    const claims = await verifyBearer(ctx, verifier(), config, { firstPartyOnly: true });
    const named = namedTenantOf(ctx);
    if (named !== undefined && named !== claims.tenant_id) {
      throw new AppError('TENANT_ACCESS_DENIED', { detail: `token of ${claims.tenant_id}, request for ${named || 'a malformed tenant'}` });
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
