// Prometheus metrics (prom-client) in a registry of this server's own, never the library's global one: a test can
// run several servers in one process. HTTP middleware, the provider's events, sign-ins and rate limiting record
// here; the database pool is read when /metrics is scraped. With WORKERS > 1 a scrape of any worker answers the sum
// over all workers: the worker asks the primary, which gathers every worker's registry over prom-client's own IPC.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logger.ts';
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
    help: 'Database connections by state (used, free) and waiters (pending_acquires, pending_creates)',
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
  new Gauge({ name: 'gatehouse_db_pool_max', help: 'DATABASE_POOL_MAX, summed over the workers', registers: [registry] }).set(poolMax);
  return metrics;
}

const REQUEST = 'gatehouse:metrics-request';
const REPLY = 'gatehouse:metrics-reply';

interface Reply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

/**
 * How long a worker's scrape waits for all workers before it answers 503 (a failed scrape, which Prometheus records
 * as a gap; this worker's counters alone would look like resets). Below Prometheus' default scrape timeout of 10 s.
 */
const CLUSTER_METRICS_TIMEOUT_MS = 3000;

/** The Prometheus text of a scrape: this process's registry, or in a cluster worker the sum over all workers. */
export function renderMetrics(registry: Registry): Promise<string> {
  return cluster.isWorker ? askPrimary(CLUSTER_METRICS_TIMEOUT_MS) : registry.metrics();
}

let nextRequestId = 0;

function askPrimary(timeoutMs: number): Promise<string> {
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    const settle = (text: string | undefined, failure?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (text !== undefined) resolve(text);
      else reject(new AppError('SERVICE_UNAVAILABLE', { detail: `metrics of all workers: ${failure}` }));
    };
    const onMessage = (message: unknown) => {
      const reply = message as Partial<Reply> | null;
      if (reply?.type === REPLY && reply.id === id) settle(reply.text, reply.error);
    };
    const timer = setTimeout(() => settle(undefined, `no answer within ${timeoutMs} ms`), timeoutMs);
    process.on('message', onMessage);
    process.send?.({ type: REQUEST, id }, undefined, {}, (err) => {
      if (err) settle(undefined, err.message);
    });
  });
}

/**
 * In a worker: answer the primary's requests from `registry` (prom-client keeps one list per process). Called once
 * at the start with none, so a worker still booting answers at once (it has served nothing), then with its server's.
 */
export function shareMetricsWithPrimary(registry?: Registry): void {
  AggregatorRegistry.setRegistries(registry ? [registry] : []);
  new AggregatorRegistry(); // its constructor adds prom-client's listeners, once per process
}

/** In the primary: answer each worker's request with prom-client's aggregate of every connected worker. */
export function serveClusterMetrics(logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    const request = message as { type?: string; id?: number } | null;
    if (request?.type !== REQUEST) return;
    const reply = (fields: Pick<Reply, 'text' | 'error'>) =>
      worker.send({ type: REPLY, id: request.id, ...fields }, undefined, {}, (err) => {
        if (err) logger.warn({ err, worker: worker.process.pid }, 'cluster metrics: reply not delivered');
      });
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (err: unknown) => {
        logger.warn({ err }, 'cluster metrics: a worker did not answer; the scrape fails');
        reply({ error: err instanceof Error ? err.message : String(err) });
      },
    );
  });
}
