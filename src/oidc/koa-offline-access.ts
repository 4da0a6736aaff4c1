// offline_access stays in the granted scope whenever a refresh token is issued. oidc-provider drops it unless the
// request says prompt=consent (OIDC Core §11), yet issueRefreshToken gives every client allowed the refresh_token
// grant a refresh token; relying parties that then refresh with their configured scope (offline_access included)
// got invalid_scope. Core §11 lets the OP keep offline_access when it asks for consent: so a request for it is
// treated as prompt=consent (first-party clients consent without a page). prompt=none cannot ask, so there it is
// dropped, and the token response's scope says so.
import type { Middleware } from 'koa';
import { isRoutePath } from './route-path.ts';

export function offlineAccessAsksConsent(path: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && isRoutePath(ctx.path, path)) {
      const query = new URLSearchParams(ctx.querystring);
      const scope = (query.get('scope') ?? '').split(' ');
      const prompt = (query.get('prompt') ?? '').split(' ').filter(Boolean);
      if (scope.includes('offline_access') && !prompt.includes('consent') && !prompt.includes('none')) {
        query.set('prompt', [...prompt, 'consent'].join(' '));
        ctx.querystring = query.toString();
      }
    }
    await next();
  };
}
