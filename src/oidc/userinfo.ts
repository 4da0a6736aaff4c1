// OIDC Core §5.3 userinfo for our JWT access tokens (oidc-provider's own endpoint accepts only stored tokens).
// Errors follow RFC 6750 §3: 401 with WWW-Authenticate and an OAuth body.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import type { AccessTokenVerifier } from '../services/access-tokens.ts';
import { findUser } from '../services/users.ts';
import { OIDC_ROUTES } from './provider.ts';

/** `parseBody` reads the form body of a POST (RFC 6750 §2.2); the app passes its own body parser. */
export function userinfoRouter(app: AppContext, verifier: AccessTokenVerifier, parseBody: Middleware): Router {
  const router = new Router();
  const handler = async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    const token = bearerToken(ctx);
    if (!token) return deny(ctx, app, 401, 'invalid_request', 'no access token provided');
    try {
      const claims = await verifier.verify(token);
      const scopes = new Set((claims.scope ?? '').split(' '));
      if (!scopes.has('openid')) return deny(ctx, app, 403, 'insufficient_scope', 'access token missing openid scope');
      const user = await findUser(app, claims.tenant_id, claims.sub);
      if (!user || user.status !== 'active') return deny(ctx, app, 401, 'invalid_token', 'account is not available');
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
      return deny(
        ctx,
        app,
        401,
        'invalid_token',
        err.errors[0]?.code === 'TOKEN_EXPIRED' ? 'access token expired' : 'invalid token provided',
      );
    }
  };
  router.get(OIDC_ROUTES.userinfo, handler);
  // RFC 6750 §2.2: the token may come in a form-encoded body (app.ts passes a form parser).
  router.post(OIDC_ROUTES.userinfo, parseBody, handler);
  return router;
}

function bearerToken(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
  if (match) return match[1];
  const fromBody = (ctx.request.body as Record<string, unknown> | undefined)?.access_token;
  return typeof fromBody === 'string' ? fromBody : undefined;
}

function deny(ctx: Context, app: AppContext, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('WWW-Authenticate', `Bearer realm="${app.config.publicUrl}", error="${error}", error_description="${description}"`);
  ctx.body = { error, error_description: description };
}
