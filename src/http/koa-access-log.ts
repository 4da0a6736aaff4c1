// One structured log line per request, after the response is written.
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';

export function koaAccessLog(): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const log: Logger = ctx.state.log;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10, ip: ctx.ip };
      if (ctx.status >= 500) log.error(line, 'request');
      else log.info(line, 'request');
    }
  };
}
