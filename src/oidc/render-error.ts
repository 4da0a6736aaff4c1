// The two renderers of errors people and OAuth clients see outside the JSON API (which has koa-error-envelope):
// the HTML page (login pages, and oidc-provider errors a browser reaches) and the OAuth error body (RFC 6749 §5.2).
// Both read the catalogue codes; descriptions are the library's generic texts or ours, never internals.
import type { Context } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { AppError } from '../errors/app-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import { toAppError } from '../errors/to-app-error.ts';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { ERROR_CATALOGUE } from '../errors/catalogue.ts';
import { DEPENDENCY_RETRY_AFTER_SECONDS, dependencyFailure } from '../errors/dependency-errors.ts';
import { renderView } from '../views.ts';

/** Routes a person reaches in a browser; every other endpoint (token, introspection, …) always answers JSON. */
const BROWSER_ROUTES = new Set(['authorization', 'resume', 'end_session', 'end_session_confirm', 'end_session_success']);

const TITLE = 'Sign-in could not continue';
const START_AGAIN = 'Something went wrong while signing you in. Go back to the application and try again.';

/** What a person reads on a page for each catalogue code (docs/api.md: errors in plain words). */
/** A dependency away or past its deadline (docs/operations.md, "Deadlines and faults"): a wait, not a failure. */
const UNAVAILABLE_FOR_PEOPLE = 'Sign-in is unavailable for a moment. Try again shortly.';

const PAGE_MESSAGES: Partial<Record<ErrorCode, string>> = {
  PAYLOAD_TOO_LARGE: 'What you sent is too large. Go back, shorten what you typed and try again.',
  INVALID_FORMAT: 'What you sent could not be read. Go back, check what you typed and try again.',
  REQUIRED_FIELD: 'Something was missing from the form. Go back, fill in every field and try again.',
  RATE_LIMIT_EXCEEDED: 'There were too many attempts. Wait a little, then try again.',
  IP_BLOCKED: 'Too many attempts came from your network. Try again in an hour.',
  NOT_FOUND: 'This sign-in step is not available any more. Go back to the application and start again.',
  SESSION_NOT_FOUND: 'This sign-in page has expired or was already used. Go back to the application and start again.',
  SERVICE_UNAVAILABLE: UNAVAILABLE_FOR_PEOPLE,
};

/** oidc-provider's errors for an interaction that is gone (expired, already finished, cookie missing). */
const EXPIRED_INTERACTION = new Set(['SessionNotFound', 'InvalidRequest']);

/** The HTML page for any error on a page route, in plain words with the request id. */
export async function renderErrorPage(ctx: Context, err: unknown): Promise<void> {
  const name = (err as { name?: string }).name;
  const error = EXPIRED_INTERACTION.has(name ?? '') ? new AppError('SESSION_NOT_FOUND', { status: 400 }) : toAppError(err);
  const code = error.errors[0]?.code;
  if (code === 'INTERNAL_ERROR' && !(err instanceof AppError)) ctx.state.log?.error({ err }, 'page failed');
  else if (error.detail) ctx.state.log?.info({ code, detail: error.detail }, 'page request refused');
  // A CSRF token that does not match is INVALID_TOKEN with 403: the form outlived its token.
  const message =
    code === 'INVALID_TOKEN' && error.status === 403
      ? 'This form has expired. Go back, reload the page and try again.'
      : ((code && PAGE_MESSAGES[code]) ?? START_AGAIN);
  ctx.status = error.status;
  ctx.set(error.headers);
  ctx.type = 'html';
  ctx.body = await renderView('error', { title: TITLE, message, detail: error.status, requestId: ctx.state.requestId });
}

/** oidc-provider's renderError: a page for a browser on a browser route, else the OAuth JSON body. */
export async function renderOidcError(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string },
  err?: unknown,
): Promise<void> {
  if (BROWSER_ROUTES.has(ctx.oidc?.route ?? '') && ctx.accepts('json', 'html') === 'html') {
    const unavailable = dependencyFailure(err) !== undefined;
    ctx.type = 'html';
    ctx.body = await renderView('error', {
      title: TITLE,
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
      return START_AGAIN;
  }
}

// --- Dependency failures (docs/operations.md, "Deadlines and faults") ---------------------------------------
// oidc-provider answers any error it does not know as 500 server_error; a database or Redis that is away or past
// its deadline is a 503 temporarily_unavailable with Retry-After instead, on every OAuth endpoint.

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
