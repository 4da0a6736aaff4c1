// JSON and form bodies for our own routes only: oidc-provider reads its raw bodies itself.
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';

export function koaBody(limitBytes: number): Middleware {
  return bodyParser({
    enableTypes: ['json', 'form'],
    jsonLimit: limitBytes,
    formLimit: limitBytes,
    encoding: 'utf-8',
    // Strict JSON: a body must be an object or array, not a bare string or number.
    jsonStrict: true,
  });
}
