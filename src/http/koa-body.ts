// Request bodies for our own routes only (oidc-provider reads its raw bodies itself): JSON for the JSON API, forms
// for the login pages. A body of another type is refused (415), and a NUL character in any input — path, query or
// body — is refused at the edge (400 INVALID_FORMAT) before it can reach PostgreSQL, which cannot store it; so is an
// unpaired UTF-16 surrogate in a body (a JSON `\ud800` escape), which no UTF-8 text or jsonb column can hold.
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { AppError } from '../errors/app-error.ts';

export type BodyKind = 'json' | 'form';

export function koaBody(limitBytes: number, kind: BodyKind = 'json'): Middleware {
  const parse = bodyParser({
    enableTypes: [kind],
    jsonLimit: limitBytes,
    formLimit: limitBytes,
    encoding: 'utf-8',
    // Strict JSON: a body must be an object or array, not a bare string or number.
    jsonStrict: true,
  });
  return async (ctx, next) => {
    assertNoNul(ctx);
    // A JSON route silently reading a form or text/plain body as empty would answer "field missing" or, worse,
    // proceed (RFC 9110 §15.5.16: 415 for a content type the resource does not accept).
    if (kind === 'json' && hasBody(ctx) && !ctx.is('application/json', '+json')) {
      throw new AppError('INVALID_FORMAT', {
        constraint: 'CONTENT_TYPE',
        status: 415,
        detail: `body of type ${ctx.get('content-type') || 'none'}`,
      });
    }
    await parse(ctx, async () => {
      const field = nulField(ctx.request.body);
      if (field !== undefined)
        throw new AppError('INVALID_FORMAT', {
          field: field || 'body',
          constraint: 'PATTERN',
          detail: 'NUL character or unpaired surrogate',
        });
      await next();
    });
  };
}

function hasBody(ctx: Context): boolean {
  return Boolean(ctx.get('transfer-encoding')) || Number(ctx.get('content-length') || 0) > 0;
}

function assertNoNul(ctx: Context): void {
  // %00 in the raw path or query, however the router later decodes it.
  if (/%00|\0/.test(ctx.path)) throw new AppError('INVALID_FORMAT', { field: 'path', constraint: 'PATTERN', detail: 'NUL character' });
  for (const [name, value] of Object.entries(ctx.query)) {
    const values = Array.isArray(value) ? value : [value];
    if (name.includes('\0') || values.some((v) => typeof v === 'string' && v.includes('\0'))) {
      throw new AppError('INVALID_FORMAT', { field: name.replace(/\0/g, ''), constraint: 'PATTERN', detail: 'NUL character' });
    }
  }
}

/** A NUL character, or a UTF-16 surrogate without its pair. */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The dotted path of the first string (or key) holding unstorable text, '' for the body itself, else undefined. */
function nulField(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nulField(item, path ? `${path}.${index}` : String(index));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (UNSTORABLE.test(key)) return keyPath.replace(/\0/g, '');
      const found = nulField(item, keyPath);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
