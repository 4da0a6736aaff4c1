// OIDC Core §5.3 userinfo for our JWT access tokens (oidc-provider's own endpoint accepts only stored tokens).
// Errors follow RFC 6750 §3: 401 with WWW-Authenticate and an OAuth body.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import type { AccessTokenVerifier } from '../services/access-tokens.ts';
import { authenticateChallenge, presentedToken, type PresentedToken } from '../services/dpop-proofs.ts';
import { findUser } from '../services/users.ts';
import { OIDC_ROUTES } from './provider.ts';
import { publicOriginFor } from './koa-public-origin.ts';

/** `parseBody` reads the form body of a POST (RFC 6750 §2.2); the app passes its own body parser. */
export function userinfoRouter(app: AppContext, verifier: AccessTokenVerifier, parseBody: Middleware): Router {
  const router = new Router();
  const handler = async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    const presented = accessToken(ctx, app);
    if (!presented) return deny(ctx, app, 'Bearer', 401, 'invalid_request', 'no access token provided');
    const refuse = (status: number, error: string, description: string) => deny(ctx, app, presented.scheme, status, error, description);
    try {
      // A DPoP-bound token only with its proof (RFC 9449 §7.1), never as a plain Bearer token.
      const claims = await verifier.verify(presented.token, presented.dpop ? { dpop: presented.dpop } : {});
      const scopes = new Set((claims.scope ?? '').split(' '));
      if (!scopes.has('openid')) return refuse(403, 'insufficient_scope', 'access token missing openid scope');
      const user = await findUser(app, claims.tenant_id, claims.sub);
      if (!user || user.status !== 'active') return refuse(401, 'invalid_token', 'account is not available');
      ctx.body = {
        sub: user.id,
        tenant_id: user.tenantId,
        ...(scopes.has('email') && { email: user.email, email_verified: user.emailVerified }),
        ...(scopes.has('profile') && {
          preferred_username: user.username ?? user.email,
          updated_at: Math.floor(user.updatedAt.getTime() / 1000),
        }),
      };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return refuse(401, 'invalid_token', err.errors[0]?.code === 'TOKEN_EXPIRED' ? 'access token expired' : 'invalid token provided');
    }
  };
  router.get(OIDC_ROUTES.userinfo, handler);
  // RFC 6750 §2.2: the token may come in a form-encoded body (app.ts passes a form parser).
  router.post(OIDC_ROUTES.userinfo, parseBody, handler);
  return router;
}

function accessToken(ctx: Context, app: AppContext): PresentedToken | undefined {
  const fromHeader = presentedToken(ctx.get('authorization'), {
    dpopHeader: ctx.get('dpop') || undefined,
    method: ctx.method,
    publicUrl: `${publicOriginFor(app.config, ctx.host)}${ctx.path}`,
  });
  if (fromHeader) return fromHeader;
  const fromBody = (ctx.request.body as Record<string, unknown> | undefined)?.access_token;
  return typeof fromBody === 'string' ? { scheme: 'Bearer', token: fromBody } : undefined;
}

function deny(ctx: Context, app: AppContext, scheme: PresentedToken['scheme'], status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('WWW-Authenticate', authenticateChallenge(scheme, app.config.publicUrl, { error, description }));
  ctx.body = { error, error_description: description };
}
