// Admin route telling the caller what it may do in the target tenant (docs/console.md): the admin console shows
// only the pages and actions these permissions allow; the API still checks each call itself.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import { PERMISSIONS } from '../../services/permissions.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';

export function meRoutes(_app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/me/permissions',
      name: 'getMyPermissions',
      summary: 'The permissions the caller holds in the target tenant',
      description:
        'Any valid token may ask; a member gets an empty list. Platform permissions appear only for operators of the platform tenant.',
      auth: 'admin',
      response: z.object({
        tenantId: z.string(),
        actorTenantId: z.string(),
        actor: z.object({ type: z.enum(['user', 'client']), id: z.string() }),
        platformOperator: z.boolean(),
        permissions: z.array(z.enum(PERMISSIONS)),
      }),
      handler: async (ctx: Context) => {
        const { tenantId, actorTenantId, actor, platformOperator, permissions } = ctx.state.admin as AdminState;
        return { tenantId, actorTenantId, actor, platformOperator, permissions: PERMISSIONS.filter((p) => permissions.has(p)) };
      },
    }),
  ];
}
