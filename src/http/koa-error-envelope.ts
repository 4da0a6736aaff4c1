// The one place errors leave the JSON API: everything thrown below becomes the docs/api.md envelope.
// Anything that is not an AppError becomes an opaque INTERNAL_ERROR; its stack and SQL go to the log only.
// Each item links to its entry on the troubleshooting page (`docs`), after the fields the guide shows.
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';
import { errorDocsUrl } from '../errors/catalogue.ts';
import { fromDatabaseError } from '../errors/database-errors.ts';
import type { Logger } from '../logger.ts';

/** `publicUrl` is the base of each item's `docs` link (PUBLIC_URL). */
export function koaErrorEnvelope(publicUrl: string): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new AppError('NOT_FOUND');
    } catch (err) {
      const appError = toAppError(err);
      const log: Logger = ctx.state.log;
      if (appError.status >= 500 && !(err instanceof AppError) && appError.errors[0]?.code === 'INTERNAL_ERROR')
        log.error({ err }, 'request failed');
      else if (appError.status >= 500) log.warn({ code: appError.errors[0]?.code, detail: appError.detail }, 'request failed');
      else if (appError.detail) log.info({ code: appError.errors[0]?.code, detail: appError.detail }, 'request refused');
      renderAppError(ctx, appError, publicUrl);
    }
  };
}

export function renderAppError(ctx: Context, error: AppError, publicUrl: string): void {
  ctx.status = error.status;
  ctx.set(error.headers);
  const errors = error.errors.map((item) => ({ ...item, docs: errorDocsUrl(publicUrl, item.code) }));
  ctx.body = { success: false, errors, requestId: ctx.state.requestId };
}

function toAppError(err: unknown): AppError {
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
