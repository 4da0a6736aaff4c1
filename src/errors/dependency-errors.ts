// The one place that tells a failed dependency (PostgreSQL or Redis unreachable, refusing, or past its deadline)
// from a bug: every surface answers the first with 503 SERVICE_UNAVAILABLE and Retry-After, never with a 500
// (docs/operations.md, "Deadlines and faults").
import { AppError } from './app-error.ts';

/** What a client is told to wait before trying again while a dependency is away. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** PostgreSQL and socket codes of a database that cannot serve now (class 08, 53300, 57P0x, 57014, 25P03). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled: statement_timeout
  '25P03', // idle_in_transaction_session_timeout
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300', // too_many_connections
]);

/** Messages of pg (connection and read deadlines), knex (pool) and ioredis (command deadline, closed connection). */
const UNAVAILABLE_MESSAGES = [
  /^Query read timeout$/,
  /^timeout expired$/,
  /^Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /^Knex: Timeout acquiring a connection/,
  /^Command timed out$/,
  /^Connection is closed\.?$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  /^Reached the max retries per request limit/,
  /^None of startup nodes is available$/,
  /^Failed to refresh slots cache/,
  /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN) /,
];

const UNAVAILABLE_NAMES = new Set(['KnexTimeoutError', 'MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/**
 * Why `err` means a dependency cannot serve right now (a short reason for the log), or undefined when it is
 * something else. Looks through `cause` chains and aggregate errors, where wrappers keep the original.
 */
export function dependencyFailure(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  if (err instanceof AppError) return err.errors[0]?.code === 'SERVICE_UNAVAILABLE' ? (err.detail ?? 'unavailable') : undefined;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return e.code;
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return e.name;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))) return e.message;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = dependencyFailure(inner, depth + 1);
      if (found) return found;
    }
  }
  return dependencyFailure(e.cause, depth + 1);
}

/** The 503 every surface answers while a dependency is away. */
export function serviceUnavailable(detail: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', { detail, headers: { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) } });
}

/** SERVICE_UNAVAILABLE (with Retry-After) for a dependency failure; undefined for anything else. */
export function fromDependencyError(err: unknown): AppError | undefined {
  const reason = dependencyFailure(err);
  if (reason === undefined) return undefined;
  if (err instanceof AppError && err.headers['Retry-After']) return err;
  return serviceUnavailable(reason);
}
