// Any thrown value as the catalogue error a client may see: one mapping for every surface (the JSON envelope, the
// login pages' error page), so a body-parser, database or Redis failure reads the same wherever it happens.
import { AppError } from './app-error.ts';
import { fromDatabaseError } from './database-errors.ts';

/** Any thrown value as the catalogue error a client may see (the page renderer reads the same mapping). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fromDb = fromDatabaseError(err);
  if (fromDb) return fromDb;
  const e = err as { type?: string; status?: number; expose?: boolean; name?: string };
  // Errors raised by the body parser (raw-body / co-body) carry a type.
  if (e.type === 'entity.too.large' || e.status === 413) return new AppError('PAYLOAD_TOO_LARGE');
  if (e.type === 'entity.parse.failed' || (e.status === 400 && e.name === 'SyntaxError'))
    return new AppError('INVALID_FORMAT', { constraint: 'JSON', detail: 'malformed JSON body' });
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported' || e.status === 415) {
    return new AppError('INVALID_FORMAT', { constraint: 'CONTENT_TYPE', status: 415 });
  }
  if (e.status === 404) return new AppError('NOT_FOUND');
  if (e.status === 405) return new AppError('NOT_FOUND', { status: 405 });
  if (e.expose && e.status && e.status >= 400 && e.status < 500) return new AppError('INVALID_FORMAT', { status: e.status });
  return new AppError('INTERNAL_ERROR');
}
