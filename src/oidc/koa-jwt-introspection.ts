// RFC 7662 introspection for JWT access tokens: oidc-provider only knows the tokens it stores, so when it
// answers `active: false` for a JWT we verify it ourselves — signature, expiry, live session and grant — and
// answer for it, but only to a client of the token's own tenant.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AccessTokenVerifier } from '../services/access-tokens.ts';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function introspectJwtAccessTokens(verifier: () => AccessTokenVerifier): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    if (ctx.oidc?.route !== 'introspection' || !ctx.oidc.client) return;
    // The library either finds nothing (`active: false`) or refuses structured tokens outright.
    const body = ctx.body as { active?: boolean; error?: string } | undefined;
    const declined = (ctx.status === 200 && body?.active === false) || body?.error === 'unsupported_token_type';
    const token = ctx.oidc.params?.token;
    if (!declined || typeof token !== 'string' || !JWT_SHAPE.test(token)) return;
    ctx.status = 200;
    ctx.type = 'json';
    ctx.body = { active: false };
    try {
      const claims = await verifier().verify(token);
      if (claims.tenant_id !== ctx.oidc.client['tenant_id']) return;
      ctx.body = { active: true, token_type: 'Bearer', ...claims };
    } catch {
      // Expired, forged, revoked or of another tenant: `{ active: false }` (RFC 7662 §2.2).
    }
  };
}
