// AppError: the one way code signals a client-facing failure; koa-error-envelope renders it.
import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.ts';

export interface ErrorItem {
  code: ErrorCode;
  message: string;
  field?: string;
  constraint?: string;
}

export interface AppErrorOptions {
  field?: string;
  constraint?: string;
  /** Overrides the HTTP status of the catalogue entry (e.g. SESSION_NOT_FOUND is 404 on DELETE /sessions/:id). */
  status?: number;
  /** Response headers to add (e.g. Retry-After). */
  headers?: Record<string, string>;
  /** The true reason, for logs and the audit trail only; never sent to the client. */
  detail?: string;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly errors: ErrorItem[];
  readonly headers: Record<string, string>;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERROR_CATALOGUE[code];
    super(entry.message);
    this.status = options.status ?? entry.status;
    this.errors = [errorItem(code, options)];
    this.headers = options.headers ?? {};
    this.detail = options.detail;
  }

  /** Several problems of one request answered together (validation reports every field at once). */
  static many(items: ErrorItem[], status = 400): AppError {
    const first = items[0];
    if (!first) throw new TypeError('AppError.many needs at least one item');
    const error = new AppError(first.code, { status });
    error.errors.splice(0, 1, ...items);
    return error;
  }
}

export function errorItem(code: ErrorCode, options: Pick<AppErrorOptions, 'field' | 'constraint'> = {}): ErrorItem {
  const item: ErrorItem = { code, message: ERROR_CATALOGUE[code].message };
  if (options.field !== undefined) item.field = options.field;
  if (options.constraint !== undefined) item.constraint = options.constraint;
  return item;
}

/** Guard clause: `assertThat(user, 'NOT_FOUND')`. */
export function assertThat(condition: unknown, code: ErrorCode, options?: AppErrorOptions): asserts condition {
  if (!condition) throw new AppError(code, options);
}
