// The one place errors leave the JSON API: everything thrown below becomes the docs/api.md envelope.
// Anything that is not an AppError becomes an opaque INTERNAL_ERROR; its stack and SQL go to the log only.
// The body is exactly the guide's plus `requestId`; the link to each code's entry on the troubleshooting page
// travels in a `Link: <…/docs/errors#CODE>; rel="help"` header (RFC 8288), outside the body.
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';
import { errorDocsUrl } from '../errors/catalogue.ts';
import { toAppError } from '../errors/to-app-error.ts';

export { toAppError };
import type { Logger } from '../logger.ts';

/** Pages (the login pages) answer errors as pages: a path that is a page and the renderer of that surface. */
export interface PageSurface {
  isPage(ctx: Context): boolean;
  render(ctx: Context, err: unknown): Promise<void>;
}

/** `publicUrl` is the base of each code's help link (PUBLIC_URL). */
export function koaErrorEnvelope(publicUrl: string, pages?: PageSurface): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) throw new AppError('NOT_FOUND');
      // @koa/router's allowedMethods: the path exists, the method does not (RFC 9110 §15.5.6 requires Allow).
      if (ctx.status === 405 && ctx.body == null)
        throw new AppError('NOT_FOUND', { status: 405, headers: { Allow: ctx.response.get('Allow') } });
    } catch (err) {
      // Errors raised before a page's own handling (rate limits, IP blocks) still reach the person as a page.
      if (pages?.isPage(ctx)) return pages.render(ctx, err);
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
  const codes = [...new Set(error.errors.map((item) => item.code))];
  ctx.set('Link', codes.map((code) => `<${errorDocsUrl(publicUrl, code)}>; rel="help"`).join(', '));
  ctx.body = { success: false, errors: error.errors, requestId: ctx.state.requestId };
}
