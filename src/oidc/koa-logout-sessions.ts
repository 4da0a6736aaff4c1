// When a browser signs out (RP-initiated logout, or oidc-provider logging one account out before another
// signs in), the Gatehouse sessions of that browser end before the response is sent (docs/security.md).
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { requestOriginOf as auditMetaOf } from '../services/request-origin.ts';
import { endBrowserSessions } from './grants.ts';

export function endSessionsOnLogout(app: AppContext, provider: () => Provider): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    if (ctx.oidc?.route !== 'end_session_confirm' || !ctx.oidc.params?.logout || ctx.status >= 400) return;
    const uid = ctx.oidc.session?.uid;
    if (!uid) return;
    const meta = { ...auditMetaOf(ctx), actorId: ctx.oidc.session?.accountId ?? null };
    await endBrowserSessions(app, provider(), uid, meta);
  };
}
