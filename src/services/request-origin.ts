// Where a request came from, as the audit log records it (docs/security.md): IP, user agent and request id. Any
// surface's request (Koa's, oidc-provider's) has this shape; nothing here depends on HTTP modules.
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
  requestId: string | null;
}

/** The parts of an HTTP request context the origin is read from. */
export interface OriginSource {
  ip: string;
  get(field: string): string;
  state?: { requestId?: unknown } | undefined;
}

export function requestOriginOf(ctx: OriginSource): RequestOrigin {
  const requestId = ctx.state?.requestId;
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || null, requestId: typeof requestId === 'string' ? requestId : null };
}
