// The admin API, /api/v1/admin (docs/api.md): every route is an admin route whose guard checks the bearer
// token's permission in the target tenant.
import type { AppContext } from '../../context.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import type { RouteGroup } from '../route-spec.ts';
import { apiResourceRoutes } from './api-resources.ts';
import { auditRoutes } from './audit.ts';
import { clientRoutes } from './clients.ts';
import { ipBlockRoutes } from './ip-blocks.ts';
import { meRoutes } from './me.ts';
import { outboxRoutes } from './outbox.ts';
import { roleRoutes } from './roles.ts';
import { tenantRoutes } from './tenants.ts';
import { userRoutes } from './users.ts';

export const ADMIN_PREFIX = '/api/v1/admin';

export function adminRouteGroups(app: AppContext, oidc: OidcRuntime): RouteGroup[] {
  return [
    { prefix: ADMIN_PREFIX, tag: 'Admin: caller', routes: meRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: tenants', routes: tenantRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: users', routes: userRoutes(app, oidc) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: roles', routes: roleRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: clients', routes: clientRoutes(app, oidc) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: API resources', routes: apiResourceRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: audit log', routes: auditRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: IP blocks', routes: ipBlockRoutes(app) },
    { prefix: ADMIN_PREFIX, tag: 'Admin: mail outbox', routes: outboxRoutes(app) },
  ];
}
