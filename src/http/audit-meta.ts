// Where a request came from, as the audit log records it (docs/security.md): IP, user agent and request id.
import type { Context } from 'koa';

export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
  requestId: string | null;
}

export function auditMetaOf(ctx: Pick<Context, 'ip' | 'get' | 'state'>): RequestOrigin {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || null, requestId: (ctx.state?.requestId as string | undefined) ?? null };
}
