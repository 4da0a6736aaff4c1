// AuthApiError: every failure an AuthClient method throws, with the API's code, HTTP status and request id.
import type { AuthErrorCode, AuthErrorItem } from './types.ts';

export class AuthApiError extends Error {
  override name = 'AuthApiError';
  /** The first item's code, e.g. `INVALID_CREDENTIALS`; `NETWORK_ERROR` when no answer arrived. */
  readonly code: AuthErrorCode | (string & {});
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The server's request id (body `requestId` or `X-Request-ID`): quote it to support. */
  readonly requestId: string | null;
  /** Every item of the response (validation reports all fields at once). */
  readonly errors: AuthErrorItem[];
  /** The first item's link to its entry on the server's troubleshooting page (body `docs`, else the `Link: rel="help"` header). */
  readonly docs: string | undefined;
  /** The first item's field, for validation errors. */
  readonly field: string | undefined;
  /** Seconds from `Retry-After`, on 429 and IP_BLOCKED answers. */
  readonly retryAfter: number | undefined;

  constructor(args: {
    status: number;
    errors: AuthErrorItem[];
    requestId: string | null;
    retryAfter?: number | undefined;
    cause?: unknown;
  }) {
    const first = args.errors[0] ?? { code: 'INTERNAL_ERROR', message: `Unexpected HTTP ${args.status} response` };
    super(first.message, args.cause === undefined ? undefined : { cause: args.cause });
    this.code = first.code;
    this.status = args.status;
    this.requestId = args.requestId;
    this.errors = args.errors;
    this.field = first.field;
    this.docs = first.docs;
    this.retryAfter = args.retryAfter;
  }
}

/** The targets of `Link: <…/docs/errors#CODE>; rel="help"` (RFC 8288), in order. */
export function docsLinksOf(header: string | null): string[] {
  if (!header) return [];
  const links: string[] = [];
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    if (/;\s*rel\s*=\s*"?(?:[^";,]*\s)?help(?:\s[^";,]*)?"?/i.test(params) && match[1]) links.push(match[1]);
  }
  return links;
}
