// How oidc-provider shows errors it cannot redirect back to the client: a readable page for browsers, the
// OAuth JSON body for everything else. Descriptions are the library's generic texts, never internals.
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { ERROR_CATALOGUE } from '../errors/catalogue.ts';
import { DEPENDENCY_RETRY_AFTER_SECONDS, dependencyFailure } from '../errors/dependency-errors.ts';
import { renderView } from '../views.ts';

/** Routes a person reaches in a browser; every other endpoint (token, introspection, …) always answers JSON. */
const BROWSER_ROUTES = new Set(['authorization', 'resume', 'end_session', 'end_session_confirm', 'end_session_success']);

export async function renderOidcError(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string },
  err?: unknown,
): Promise<void> {
  if (BROWSER_ROUTES.has(ctx.oidc?.route ?? '') && ctx.accepts('json', 'html') === 'html') {
    const unavailable = dependencyFailure(err) !== undefined;
    ctx.type = 'html';
    ctx.body = await renderView('error', {
      title: 'Sign-in could not continue',
      message: unavailable ? UNAVAILABLE_FOR_PEOPLE : describeForPeople(out.error),
      detail: out.error_description ?? out.error,
      requestId: ctx.state.requestId,
    });
    return;
  }
  ctx.type = 'json';
  ctx.body = out;
}

function describeForPeople(error: string): string {
  switch (error) {
    case 'invalid_client':
      return 'The application you came from is not registered with this sign-in service.';
    case 'invalid_redirect_uri':
      return 'The application asked to return you to an address it has not registered.';
    case 'session_not_found':
    case 'invalid_request':
      return 'Your sign-in link has expired or was already used. Go back to the application and start again.';
    default:
      return 'Something went wrong while signing you in. Go back to the application and try again.';
  }
}

// --- Dependency failures (docs/operations.md, "Deadlines and faults") ---------------------------------------
// oidc-provider answers any error it does not know as 500 server_error; a database or Redis that is away or past
// its deadline is a 503 temporarily_unavailable with Retry-After instead, on every OAuth endpoint.

const UNAVAILABLE_FOR_PEOPLE = 'Sign-in is unavailable for a moment. Try again shortly.';
const UNAVAILABLE_BODY = { error: 'temporarily_unavailable', error_description: ERROR_CATALOGUE.SERVICE_UNAVAILABLE.message };

function answerUnavailable(ctx: KoaContextWithOIDC): void {
  ctx.status = 503;
  ctx.set('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
  ctx.set('Cache-Control', 'no-store');
  // A browser route already has its page (renderOidcError); everything else gets the OAuth body.
  if (ctx.type !== 'text/html') ctx.body = { ...UNAVAILABLE_BODY };
}

/**
 * Makes the provider answer dependency failures with 503: errors its own handler turned into server_error
 * (reported synchronously through the `server_error` event, before the response leaves), and errors thrown by
 * middleware added with `provider.use` after that handler. Register before any other `provider.use`.
 */
export function answerDependencyFailures(provider: Provider): void {
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: unknown) => {
    if (dependencyFailure(err) !== undefined) answerUnavailable(ctx);
  });
  const outermost: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (dependencyFailure(err) === undefined) throw err;
      ctx.type = 'json';
      answerUnavailable(ctx as KoaContextWithOIDC);
    }
  };
  provider.use(outermost);
}
