// Every JSON route of /api/v1, as declared route groups: app.ts mounts them and the docs describe the same list.
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AppContext } from '../context.ts';
import { docsRoutes } from '../docs/routes.ts';
import { koaRequireAdmin } from '../http/koa-admin-auth.ts';
import { koaRequireUser } from '../http/koa-bearer-auth.ts';
import { koaTenant } from '../http/koa-tenant.ts';
import type { OidcRuntime } from '../oidc/index.ts';
import type { Mailer } from '../services/mail.ts';
import { adminRouteGroups } from './admin/index.ts';
import { AUTH_PREFIX, authRoutes } from './auth/routes.ts';
import { mountRouteGroup, type RouteGroup, type RouteSpec } from './route-spec.ts';

export function apiRouteGroups(app: AppContext, oidc: OidcRuntime, mailer: Mailer): RouteGroup[] {
  const groups: RouteGroup[] = [
    { prefix: AUTH_PREFIX, tag: 'Auth', routes: authRoutes(app, oidc, mailer) },
    ...adminRouteGroups(app, oidc),
  ];
  groups.push({ prefix: AUTH_PREFIX, tag: 'Docs', routes: docsRoutes(app, () => groups) });
  return groups;
}

/** Token responses and account data must not be cached by browsers or proxies (routes may say otherwise). */
const noStore: Middleware = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  await next();
};

export function apiRouters(app: AppContext, oidc: OidcRuntime, groups: RouteGroup[]): Router[] {
  const guards = {
    user: koaRequireUser(() => oidc.verifier, app.config),
    admin: (spec: RouteSpec) => koaRequireAdmin(app, () => oidc.verifier, spec),
  };
  // In tests every answer is checked against its declared schema, so the API docs cannot drift from the code.
  const options = { checkResponses: app.config.env === 'test' };
  return groups.map((group) => mountRouteGroup(group, guards, [koaTenant(app.config), noStore], options));
}
