// Admin route for the mail outbox (docs/api.md): the tenant's queued and delivered mail, every secret redacted
// (docs/security.md, "Secrets at rest: mail").
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import { listOutbox } from '../../services/mail.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';

const message = z.object({
  id: z.string(),
  tenantId: z.string().nullable(),
  to: z.string(),
  subject: z.string(),
  body: z.string().describe('The mail with its secret (a reset or verification token) shown as `[redacted]`'),
  kind: z.string(),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().nullable().describe('When the mail was delivered; null while queued, or when no SMTP server is set'),
});

export function outboxRoutes(app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/outbox',
      name: 'listOutbox',
      summary: "The tenant's outgoing mail, newest first, secrets redacted",
      auth: 'admin',
      permission: 'outbox:read',
      query: z.object({ to: z.email().optional(), limit: z.coerce.number().int().min(1).max(100).default(50) }),
      response: z.object({ messages: z.array(message) }),
      handler: async (ctx: Context, { query }) => ({
        messages: await listOutbox(app, (ctx.state.admin as AdminState).tenantId, query),
      }),
    }),
  ];
}
