// Request ids: echo a sane incoming X-Request-ID, otherwise mint one; every response and log line carries it.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logger.ts';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function koaRequestId(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-ID');
    const requestId = SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    // The request's logger (`ctx.state.log`) is made when first used: most requests log nothing but their access line.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', {
      get: () => (log ??= logger.child({ requestId })),
      set: (value: Logger) => (log = value),
      enumerable: true,
      configurable: true,
    });
    ctx.set('X-Request-ID', requestId);
    await next();
  };
}
