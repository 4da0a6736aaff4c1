// The two OAuth errors the guide documents come back exactly so (guide "OAuth2 Issues", docs/api.md), whatever
// the Accept header; the library's specific reason stays in the log (err.error_detail), never in the body.
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { OAUTH_ERROR_CATALOGUE } from '../errors/catalogue.ts';

export const INVALID_CLIENT = { error: 'invalid_client', error_description: OAUTH_ERROR_CATALOGUE.invalid_client.message } as const;
export const INVALID_CODE = { error: 'invalid_grant', error_description: OAUTH_ERROR_CATALOGUE.invalid_grant.message } as const;
export const INVALID_REFRESH_TOKEN = { error: 'invalid_grant', error_description: 'Refresh token is invalid or expired' } as const;

/** Endpoints that authenticate the client (RFC 6749 §2.3). */
const CLIENT_AUTH_ROUTES = new Set(['token', 'introspection', 'revocation', 'pushed_authorization_request']);

/**
 * oidc-provider reports these client-authentication problems as invalid_request; RFC 6749 §5.2 counts them as
 * failed client authentication ("no client authentication included, or unsupported authentication method").
 */
const CLIENT_AUTH_REQUEST_ERRORS =
  /^(no client authentication mechanism provided|invalid authorization header value format|client_secret must be provided in the Authorization header|client authentication must only be provided using one mechanism|client_id mismatch|invalid client_assertion format|client_assertion_type must)/;

function isFailedClientAuthentication(route: string | undefined, body: { error?: unknown; error_description?: unknown }): boolean {
  if (body.error === 'invalid_client') return true;
  return (
    body.error === 'invalid_request' &&
    CLIENT_AUTH_ROUTES.has(route ?? '') &&
    typeof body.error_description === 'string' &&
    CLIENT_AUTH_REQUEST_ERRORS.test(body.error_description)
  );
}

export function rewriteGuideErrors(app: AppContext): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
    if (!body || typeof body !== 'object' || Buffer.isBuffer(body) || typeof body.error !== 'string') return;

    if (isFailedClientAuthentication(ctx.oidc?.route, body)) {
      // RFC 6749 §5.2: 401 for failed client authentication (the library answers 400 for an expired secret).
      ctx.status = 401;
      ctx.type = 'json';
      ctx.body = { ...INVALID_CLIENT };
      if (ctx.response.get('WWW-Authenticate') || ctx.get('authorization')) {
        ctx.set(
          'WWW-Authenticate',
          `Basic realm="${app.config.publicUrl}", error="invalid_client", error_description="${INVALID_CLIENT.error_description}"`,
        );
      }
      return;
    }

    // RFC 6749 §5.2 and §4.1.2.1: a grant or response type the client is not registered for is unauthorized_client.
    if (
      body.error === 'invalid_request' &&
      typeof body.error_description === 'string' &&
      / is not allowed for this client$/.test(body.error_description)
    ) {
      ctx.body = { ...body, error: 'unauthorized_client' };
      return;
    }

    if (body.error === 'invalid_grant' && ctx.oidc?.route === 'token') {
      const grantType = ctx.oidc.params?.grant_type;
      const replacement =
        grantType === 'authorization_code' ? INVALID_CODE : grantType === 'refresh_token' ? INVALID_REFRESH_TOKEN : undefined;
      if (replacement) {
        ctx.status = 400;
        ctx.type = 'json';
        ctx.body = { ...replacement };
      }
    }
  };
}
