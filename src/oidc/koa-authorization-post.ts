// OIDC Core §3.1.2.1: the authorization endpoint accepts POST with a form body as well as GET. oidc-provider's own
// POST support requires SameSite=None cookies (a cross-site POST carries no Lax cookie), which would weaken every
// cookie; instead the form is read here and the request continues as the equivalent GET. A cross-site POST then
// finds no browser session and the person signs in again, which is the safe outcome.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { isRoutePath } from './route-path.ts';

export function acceptAuthorizationPost(path: string, limitBytes: number): Middleware {
  const parseForm = bodyParser({ enableTypes: ['form'], formLimit: limitBytes, encoding: 'utf-8' });
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !isRoutePath(ctx.path, path)) return next();
    await parseForm(ctx, async () => {});
    const form = (ctx.request.body ?? {}) as Record<string, unknown>;
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) if (typeof value === 'string') params.append(name, value);
    ctx.method = 'GET';
    ctx.querystring = params.toString();
    await next();
  };
}
