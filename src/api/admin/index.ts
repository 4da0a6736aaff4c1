// The admin API, /api/v1/admin (SPEC §10): every route is an admin route whose guard checks the bearer
// token's permission in the target tenant; the groups below are mounted and documented from one list.
import type Router from '@koa/router';
import type { AppContext } from '../../context.ts';
import { koaRequireAdmin } from '../../http/koa-admin-auth.ts';
import { koaRequireUser } from '../../http/koa-bearer-auth.ts';
import { koaTenant } from '../../http/koa-tenant.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import { mountRouteGroup, type RouteGroup } from '../route-spec.ts';
import { auditRoutes } from './audit.ts';
import { clientRoutes } from './clients.ts';
import { ipBlockRoutes } from './ip-blocks.ts';
import { outboxRoutes } from './outbox.ts';
import { roleRoutes } from './roles.ts';
import { tenantRoutes } from './tenants.ts';
import { userRoutes } from './users.ts';

export const ADMIN_PREFIX = '/api/v1/admin';

export function adminRouteGroups(app: AppContext, oidc: OidcRuntime): RouteGroup[] {
  return [
    { prefix: ADMIN_PREFIX, tag: 'Admin: tenants', routes: tenantRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: users', routes: userRoutes(app, oidc) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: roles', routes: roleRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: clients', routes: clientRoutes(app, oidc) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: audit log', routes: auditRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: IP blocks', routes: ipBlockRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: mail outbox', routes: outboxRoutes(app) },
  ];
}

export function adminRouters(app: AppContext, oidc: OidcRuntime, groups = adminRouteGroups(app, oidc)): Router[] {
  const guards = {
    user: koaRequireUser(() => oidc.verifier, app.config.publicUrl),
    admin: (spec: Parameters<typeof koaRequireAdmin>[2]) => koaRequireAdmin(app, () => oidc.verifier, spec),
  };
  const noStore = async (ctx: { set(name: string, value: string): void }, next: () => Promise<unknown>) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
  return groups.map((group) => mountRouteGroup(group, guards, [koaTenant(app.config), noStore]));
}
