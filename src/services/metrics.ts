// Prometheus metrics (prom-client) in a registry of this server's own, never the library's global one: a test can
// run several servers in one process. HTTP middleware, the provider's events, sign-ins and rate limiting record
// here; the database pool is read when /metrics is scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Knex } from 'knex';

export type LoginOutcome = 'success' | 'mfa_required' | string;

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  tokensIssued: Counter<'grant_type'>;
  logins: Counter<'outcome'>;
  rateLimitRejections: Counter<'class' | 'reason'>;
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

export function createMetrics(db: Knex, poolMax: number): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const metrics: Metrics = {
    registry,
    httpRequests: new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    tokensIssued: new Counter({
      name: 'gatehouse_oauth_token_grants_total',
      help: 'Successful token endpoint grants by grant type (authorization_code, refresh_token, client_credentials)',
      labelNames: ['grant_type'],
      registers: [registry],
    }),
    logins: new Counter({
      name: 'gatehouse_logins_total',
      help: 'Password sign-ins (JSON API and login pages) by outcome: success, mfa_required, or the failure reason',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'gatehouse_rate_limit_rejections_total',
      help: 'Requests refused by abuse protection, by endpoint class and reason (rate_limited, ip_blocked, unavailable)',
      labelNames: ['class', 'reason'],
      registers: [registry],
    }),
  };
  const pool = () => (db.client as { pool?: TarnPool }).pool;
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'Database connections of this process by state (used, free) and waiters (pending_acquires, pending_creates)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const p = pool();
      if (!p) return;
      this.set({ state: 'used' }, p.numUsed());
      this.set({ state: 'free' }, p.numFree());
      this.set({ state: 'pending_acquires' }, p.numPendingAcquires());
      this.set({ state: 'pending_creates' }, p.numPendingCreates());
    },
  });
  new Gauge({ name: 'gatehouse_db_pool_max', help: 'DATABASE_POOL_MAX of this process', registers: [registry] }).set(poolMax);
  return metrics;
}
