// Request counts and latency per route for Prometheus, and the /metrics endpoint itself (optionally behind
// METRICS_TOKEN). The route label is the matched pattern (`/api/v1/auth/sessions/:id`) or oidc-provider's route
// name (`oidc:token`), never the raw path: ids in labels would grow the series without bound.
import { timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { renderMetrics } from '../services/metrics.ts';

export function koaMetrics(app: AppContext): Middleware {
  const { httpRequests, httpDuration } = app.metrics;
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } finally {
      const route = routeOf(ctx);
      httpRequests.inc({ method: ctx.method, route, status: String(status) });
      httpDuration.observe({ method: ctx.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

function routeOf(ctx: Context): string {
  const oidcRoute = (ctx as Context & { oidc?: { route?: string } }).oidc?.route;
  if (oidcRoute) return `oidc:${oidcRoute}`;
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return ctx.status === 404 ? 'unmatched' : 'other';
}

/**
 * GET /metrics in Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`. With
 * WORKERS > 1 it is the sum over all workers, or 503 when they do not all answer in time.
 */
export function metricsRouter(app: AppContext): Router {
  const router = new Router();
  const expected = app.config.metricsToken ? Buffer.from(`Bearer ${app.config.metricsToken}`) : undefined;
  router.get('/metrics', async (ctx) => {
    if (expected) {
      const sent = Buffer.from(ctx.get('authorization'));
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
        throw new AppError('AUTHENTICATION_REQUIRED', { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } });
      }
    }
    const text = await renderMetrics(app.metrics.registry);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = app.metrics.registry.contentType;
    ctx.body = text;
  });
  return router;
}
