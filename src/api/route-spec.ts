// Declared routes: one object per JSON endpoint with its schemas, guard and error codes. The router validates
// input from it, and the API docs (OpenAPI, Postman) are generated from the same objects, so they cannot drift.
import { isDeepStrictEqual } from 'node:util';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { ErrorCode } from '../errors/catalogue.ts';
import { parseOrThrow } from '../errors/validation.ts';
import type { Permission } from '../services/permissions.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call: anyone, a signed-in user (their own account), or an admin token holding `permission`. */
export type RouteAuth = 'none' | 'user' | 'admin';

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
}

export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Relative to the group's prefix, in @koa/router syntax (`/users/:userId`). */
  path: string;
  /** Used as the OpenAPI operationId and the Postman request name. */
  name: string;
  summary: string;
  description?: string;
  auth: RouteAuth;
  /** Admin routes: the permission the token must hold in the target tenant. */
  permission?: Permission;
  /** Admin routes only platform operators may call (tenants, IP blocks). */
  platformOnly?: boolean;
  body?: B;
  query?: Q;
  params?: P;
  /** The success status (default 200). */
  status?: number;
  /** The shape of `data` in the success envelope. */
  response?: z.ZodType;
  /** Answers in another shape than the envelope, e.g. the guide's 401 "MFA Required" body of /login. */
  otherResponses?: Array<{ status: number; description: string; body: z.ZodType }>;
  /** A route-specific status for a code, answered besides the catalogue's (SESSION_NOT_FOUND is 404 on a session id). */
  errorStatus?: Partial<Record<ErrorCode, number>>;
  /** Route-specific error codes; the common ones of its auth level and input are added by `errorsOf`. */
  errors?: ErrorCode[];
  /** An example body for the docs and the Postman collection (`{{name}}` refers to a collection variable). */
  example?: unknown;
  /** Postman collection variables this route's answer sets, as dotted paths into the body (`data.accessToken`). */
  captures?: Record<string, string>;
  /** Ends the caller's own session: the Postman collection runs it last. */
  endsSession?: boolean;
  /** The success body is not the JSON envelope but this media type (the docs themselves). */
  contentType?: string;
  /**
   * Returns `data` for the success envelope. A handler that answers in another shape (the guide's
   * "MFA Required" body) sets ctx.status and ctx.body itself and returns undefined.
   */
  handler(ctx: Context, input: RouteInput<z.output<B>, z.output<Q>, z.output<P>>): Promise<unknown>;
}

/** Identity function that lets TypeScript infer the handler's input types from the schemas. */
export function defineRoute<B extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, P extends z.ZodType = z.ZodUnknown>(
  spec: RouteSpec<B, Q, P>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** A group of routes under one prefix with the middleware every route of the group runs first. */
export interface RouteGroup {
  prefix: string;
  tag: string;
  routes: RouteSpec[];
}

export interface Guards {
  user: Middleware;
  admin(spec: RouteSpec): Middleware;
}

const COMMON_ERRORS: ErrorCode[] = ['RATE_LIMIT_EXCEEDED', 'IP_BLOCKED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
// A user route answers INSUFFICIENT_PERMISSIONS to a token of a third-party app (the account API is first-party only).
const USER_ERRORS: ErrorCode[] = [
  'AUTHENTICATION_REQUIRED',
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'SESSION_NOT_FOUND',
  'TENANT_ACCESS_DENIED',
  'INSUFFICIENT_PERMISSIONS',
];
const ADMIN_ERRORS: ErrorCode[] = [...USER_ERRORS];
const INPUT_ERRORS: ErrorCode[] = ['REQUIRED_FIELD', 'INVALID_FORMAT'];

/** Every error code a route can answer with: its own, its guard's, its input validation's and the common ones. */
export function errorsOf(spec: RouteSpec): ErrorCode[] {
  const codes = new Set<ErrorCode>(spec.errors ?? []);
  if (spec.auth === 'user') USER_ERRORS.forEach((c) => codes.add(c));
  if (spec.auth === 'admin') ADMIN_ERRORS.forEach((c) => codes.add(c));
  if (spec.body || spec.query || spec.params) INPUT_ERRORS.forEach((c) => codes.add(c));
  if (spec.body) codes.add('PAYLOAD_TOO_LARGE');
  COMMON_ERRORS.forEach((c) => codes.add(c));
  return [...codes];
}

/**
 * Checks what a handler answers against what its route declares (after Logto's koa-guard): the JSON that goes
 * out must parse under the declared schema and lose nothing doing so, so an undeclared field fails as loudly as a
 * missing one. On in tests (NODE_ENV=test), where a drift is a 500 and an error log naming the route.
 */
export function assertDeclaredResponse(spec: RouteSpec, status: number, body: unknown): void {
  const sent: unknown = JSON.parse(JSON.stringify(body ?? null));
  const declared =
    status === (spec.status ?? 200)
      ? spec.response && z.object({ success: z.literal(true), data: spec.response })
      : spec.otherResponses?.find((r) => r.status === status)?.body;
  if (!declared) {
    if (status === (spec.status ?? 200) && !spec.contentType)
      throw new Error(`${spec.name} answered ${status} without a declared response`);
    if (status !== (spec.status ?? 200)) throw new Error(`${spec.name} answered an undeclared status ${status}`);
    return;
  }
  const parsed = declared.safeParse(sent);
  if (!parsed.success) throw new Error(`${spec.name} answered outside its declared response: ${z.prettifyError(parsed.error)}`);
  if (!isDeepStrictEqual(parsed.data, sent)) throw new Error(`${spec.name} answered fields its response does not declare`);
}

/**
 * Mounts a group on a new router: guard, then input validation, then the handler inside the success envelope;
 * with `checkResponses`, every answer is checked against its declaration (assertDeclaredResponse).
 */
export function mountRouteGroup(
  group: RouteGroup,
  guards: Guards,
  before: Middleware[] = [],
  options: { checkResponses?: boolean } = {},
): Router {
  const router = new Router({ prefix: group.prefix });
  for (const middleware of before) router.use(middleware);
  for (const spec of group.routes) {
    const guard: Middleware[] = spec.auth === 'user' ? [guards.user] : spec.auth === 'admin' ? [guards.admin(spec)] : [];
    router[spec.method](spec.name, spec.path, ...guard, async (ctx) => {
      // Path parameters are validated after the guard: a caller without access learns nothing from the ids.
      const input = {
        params: spec.params ? parseOrThrow(spec.params, ctx.params) : ctx.params,
        query: spec.query ? parseOrThrow(spec.query, ctx.query) : ctx.query,
        body: spec.body ? parseOrThrow(spec.body, ctx.request.body ?? {}) : undefined,
      };
      const data = await spec.handler(ctx, input);
      if (data !== undefined) {
        ctx.status = spec.status ?? 200;
        ctx.body = { success: true, data };
      }
      if (options.checkResponses && !spec.contentType) assertDeclaredResponse(spec, ctx.status, ctx.body);
    });
  }
  return router;
}

/** Cursor pagination shared by the list routes: `limit` (1–100, default 50) and an opaque `cursor`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

export const pageInfo = z.object({ nextCursor: z.string().nullable() });
