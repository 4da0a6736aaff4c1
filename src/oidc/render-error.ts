// How oidc-provider shows errors it cannot redirect back to the client: a readable page for browsers, the
// OAuth JSON body for everything else. Descriptions are the library's generic texts, never internals.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderView } from '../views.ts';

/** Routes a person reaches in a browser; every other endpoint (token, introspection, …) always answers JSON. */
const BROWSER_ROUTES = new Set(['authorization', 'resume', 'end_session', 'end_session_confirm', 'end_session_success']);

export async function renderOidcError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<void> {
  if (BROWSER_ROUTES.has(ctx.oidc?.route ?? '') && ctx.accepts('json', 'html') === 'html') {
    ctx.type = 'html';
    ctx.body = await renderView('error', {
      title: 'Sign-in could not continue',
      message: describeForPeople(out.error),
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
