// Liveness and readiness (docs/operations.md): ready answers 503 while PostgreSQL or the store is unreachable or
// past its deadline, and from the moment SIGTERM arrives.
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';

/** A check answers within its dependency's deadline, and never later than this. */
const MAX_CHECK_MS = 2000;

export function healthRouter(app: AppContext): Router {
  const router = new Router({ prefix: '/health' });
  const { databaseQueryMs, redisCommandMs } = app.config.deadlines;
  const checkMs = Math.min(MAX_CHECK_MS, Math.max(databaseQueryMs, redisCommandMs));

  router.get('/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/ready', async (ctx) => {
    // From SIGTERM on, at once: load balancers must stop sending before the server stops accepting.
    if (app.shuttingDown) throw new AppError('SERVICE_UNAVAILABLE', { detail: 'shutting down' });
    const [database, store] = await Promise.all([probe(() => app.db.raw('select 1'), checkMs), probe(() => app.store.ping(), checkMs)]);
    const checks = { database, store };
    if (database !== 'up' || store !== 'up') {
      throw new AppError('SERVICE_UNAVAILABLE', { detail: JSON.stringify(checks) });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ready', checks };
  });

  return router;
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
