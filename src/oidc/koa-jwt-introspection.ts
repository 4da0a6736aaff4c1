// Introspection (RFC 7662) and revocation (RFC 7009) of JWT access tokens: oidc-provider only knows the tokens it
// stores and refuses structured ones, so for a JWT we verify it ourselves — signature, expiry, live session and
// grant, and the revocation denylist — and answer for it. Only a confidential client may introspect, and it learns
// only about its own tokens (so never about another tenant's).
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { revokeAccessToken, type AccessTokenClaims, type AccessTokenVerifier } from '../services/access-tokens.ts';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Whether Gatehouse issues tokens for this audience to this client: its own API, or an API resource the client may use. */
export type AudienceCheck = (claims: AccessTokenClaims) => Promise<boolean>;

async function verifiedOrUndefined(
  verifier: AccessTokenVerifier,
  token: string,
  audienceKnown: AudienceCheck,
): Promise<AccessTokenClaims | undefined> {
  try {
    const claims = await verifier.verify(token, { anyAudience: true, notPresented: true });
    return (await audienceKnown(claims)) ? claims : undefined;
  } catch {
    return undefined;
  }
}

export function introspectJwtAccessTokens(verifier: () => AccessTokenVerifier, audienceKnown: AudienceCheck): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    if (ctx.oidc?.route !== 'introspection' || !ctx.oidc.client) return;
    // RFC 7662 §2.1: the endpoint requires client authentication; a public client authenticates nothing.
    if (ctx.oidc.client.clientAuthMethod === 'none') {
      ctx.status = 401;
      ctx.body = { error: 'invalid_client', error_description: 'public clients cannot introspect tokens' };
      return;
    }
    // The library either finds nothing (`active: false`) or refuses structured tokens outright.
    const body = ctx.body as { active?: boolean; error?: string } | undefined;
    const declined = (ctx.status === 200 && body?.active === false) || body?.error === 'unsupported_token_type';
    const token = ctx.oidc.params?.token;
    if (!declined || typeof token !== 'string' || !JWT_SHAPE.test(token)) return;
    ctx.status = 200;
    ctx.type = 'json';
    const claims = await verifiedOrUndefined(verifier(), token, audienceKnown);
    // Expired, forged, revoked, or another client's: `{ active: false }` (RFC 7662 §2.2).
    // RFC 9449 §6.2: a DPoP-bound token is reported with its binding (`cnf.jkt`), so the resource server demands the proof.
    ctx.body =
      claims && claims.client_id === ctx.oidc.client.clientId
        ? { active: true, token_type: claims.cnf?.jkt ? 'DPoP' : 'Bearer', ...claims }
        : { active: false };
  };
}

/**
 * RFC 7009 §2: a client revokes its own JWT access token; its `jti` goes on the denylist until the token expires,
 * so introspection, userinfo and our API refuse it at once. A token that no longer verifies needs nothing (§2.2).
 */
export function revokeJwtAccessTokens(app: AppContext, verifier: () => AccessTokenVerifier, audienceKnown: AudienceCheck): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    if (ctx.oidc?.route !== 'revocation' || !ctx.oidc.client) return;
    const token = ctx.oidc.params?.token;
    if ((ctx.body as { error?: string } | undefined)?.error !== 'unsupported_token_type' || typeof token !== 'string') return;
    const claims = await verifiedOrUndefined(verifier(), token, audienceKnown);
    if (claims && claims.client_id !== ctx.oidc.client.clientId && ctx.oidc.client.clientAuthMethod !== 'none') {
      // The library's rule for stored tokens (revocation allowedPolicy): another client's token is refused.
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' };
      return;
    }
    if (claims && claims.client_id === ctx.oidc.client.clientId) await revokeAccessToken(app, claims);
    ctx.status = 200;
    ctx.body = '';
  };
}
