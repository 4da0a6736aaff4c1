// Calls Gatehouse's JSON API with the signed-in user's bearer token: refreshes once on an expired token, ends the
// session when Gatehouse says it is gone, and turns error envelopes into errors with plain words and the request id.
// No cookie authenticates these calls, so a cross-site page cannot make them (no CSRF token is needed).

const PLAIN_WORDS = {
  INSUFFICIENT_PERMISSIONS: 'You do not have permission to do this.',
  TENANT_ACCESS_DENIED: 'You cannot act on this tenant.',
  NOT_FOUND: 'It does not exist (any more).',
  DUPLICATE_RESOURCE: 'Something with this name or email already exists.',
  RATE_LIMIT_EXCEEDED: 'Too many requests: please wait a moment and try again.',
  IP_BLOCKED: 'Your address is temporarily blocked.',
  INTERNAL_ERROR: 'Something went wrong on the server.',
  SERVICE_UNAVAILABLE: 'The server is not available right now; please try again.',
  REQUIRED_FIELD: 'A required field is missing',
  INVALID_FORMAT: 'A field is not valid',
  SESSION_NOT_FOUND: 'That session has already ended.',
  INVALID_CREDENTIALS: 'The password is not right.',
  INVALID_MFA_CODE: 'That code is not right or was already used.',
};

/** The 401s that mean the sign-in itself is gone (a wrong password or code in a form is a 401 too, and is not). */
const SIGNED_OUT = new Set(['AUTHENTICATION_REQUIRED', 'INVALID_TOKEN', 'TOKEN_EXPIRED', 'SESSION_NOT_FOUND']);

export class ApiError extends Error {
  constructor(status, errors, requestId) {
    const first = errors[0] ?? { code: 'INTERNAL_ERROR', message: 'Unexpected answer' };
    super(ApiError.describe(first));
    this.status = status;
    this.code = first.code;
    this.errors = errors;
    this.requestId = requestId;
  }

  static describe(item) {
    const base = PLAIN_WORDS[item.code] ?? item.message;
    const where = item.field ? ` (${item.field}${item.constraint ? `: ${item.constraint.toLowerCase().replace(/_/g, ' ')}` : ''})` : '';
    return `${base}${where}`;
  }
}

/** `session` is an OidcSession; `tenant()` names the tenant the calls act on (platform operators may switch). */
export function createApi(session, tenant) {
  async function send(method, path, body, token) {
    const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
    const target = tenant();
    if (target && path.startsWith('/api/v1/admin/')) headers['X-Tenant-ID'] = target;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  }

  return async function call(method, path, { body, query } = {}) {
    const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== '')).toString()}` : '';
    let token = await session.accessToken();
    if (!token) throw new ApiError(401, [{ code: 'AUTHENTICATION_REQUIRED', message: 'Please sign in.' }], null);
    let res = await send(method, path + qs, body, token);
    let envelope = await res.json().catch(() => null);
    const code = envelope?.errors?.[0]?.code;
    if (res.status === 401 && (code === 'TOKEN_EXPIRED' || code === 'INVALID_TOKEN')) {
      token = await session.refresh();
      if (!token) throw new ApiError(401, envelope.errors, envelope.requestId);
      res = await send(method, path + qs, body, token);
      envelope = await res.json().catch(() => null);
    }
    if (res.status === 401 && SIGNED_OUT.has(envelope?.errors?.[0]?.code ?? 'AUTHENTICATION_REQUIRED')) {
      session.end('Your session has ended. Please sign in again.');
    }
    if (!res.ok || !envelope?.success) {
      throw new ApiError(res.status, envelope?.errors ?? [], envelope?.requestId ?? res.headers.get('X-Request-ID'));
    }
    return envelope.data;
  };
}
