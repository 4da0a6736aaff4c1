// One structured log line per request, after the response is written.
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';

export function koaAccessLog(logger: Logger): Middleware {
  // Its fields are ours and hold no secret (the path, never the query), so the line skips the redaction every other
  // line goes through, which cost more than writing it.
  const access = logger.child({}, { redact: [] });
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        requestId: ctx.state.requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round(ms * 10) / 10,
        ip: ctx.ip,
      };
      if (ctx.status >= 500) access.error(line, 'request');
      else access.info(line, 'request');
    }
  };
}
