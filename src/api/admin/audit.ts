// Admin route for the audit log (docs/security.md): filters by type, user, client and time; newest first; cursor pages.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import { queryAuditLog } from '../../services/audit.ts';
import { defineRoute, pageInfo, pageQuery, type RouteSpec } from '../route-spec.ts';

const auditEvent = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  type: z.string(),
  outcome: z.enum(['success', 'failure']),
  actorId: z.string().nullable(),
  subjectId: z.string().nullable(),
  clientId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});

export function auditRoutes(app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit-events',
      name: 'listAuditEvents',
      summary: 'Query the audit log',
      description: 'Newest first. `userId` matches events about or by the user; `from` is inclusive, `to` exclusive (ISO 8601).',
      auth: 'admin',
      permission: 'audit:read',
      query: pageQuery.extend({
        type: z.string().min(1).max(100).optional(),
        userId: z.string().min(1).max(200).optional(),
        clientId: z.string().min(1).max(200).optional(),
        from: z.iso.datetime({ offset: true }).pipe(z.coerce.date()).optional(),
        to: z.iso.datetime({ offset: true }).pipe(z.coerce.date()).optional(),
      }),
      response: pageInfo.extend({ events: z.array(auditEvent) }),
      handler: async (ctx: Context, { query }) => {
        const page = await queryAuditLog(app.db, (ctx.state.admin as AdminState).tenantId, query);
        return { events: page.items, nextCursor: page.nextCursor };
      },
    }),
  ];
}
