// The error catalogue of docs/api.md: every code the JSON API can answer with, its HTTP status, its message, and
// what the troubleshooting page at /docs/errors says about it. Messages, causes and solutions match the
// published troubleshooting guide word for word where it has a section; the rest describe what the server does.

export interface CatalogueEntry {
  status: number;
  message: string;
  /** Heading of the code's entry on the troubleshooting page. */
  title: string;
  /** What the error means. */
  description: string;
  causes: readonly string[];
  solutions: readonly string[];
  /** Guide "Debugging Steps", where it lists some. */
  debugging?: readonly string[];
  /** The field and constraint shown in the example body, as the guide shows them. */
  example?: { field?: string; constraint?: string };
}

export const ERROR_CATALOGUE = {
  INVALID_CREDENTIALS: {
    status: 401,
    message: 'Invalid username or password',
    title: 'Invalid Credentials Error',
    description:
      'The sign-in was refused. Every reason (wrong password, unknown user, locked account, unverified email, disabled account, ' +
      'missing or suspended tenant) gets this same answer with the same timing, so that nobody can probe which accounts exist; ' +
      'the true reason is recorded in the security audit log.',
    causes: ['Incorrect username/password', 'Account locked', 'Email not verified', 'Tenant context missing', 'Account disabled'],
    solutions: [
      'Verify credentials are correct',
      'Check if account is temporarily locked due to failed attempts',
      'Ensure email address is verified',
      'Include `X-Tenant-ID` header or use tenant subdomain',
      'Contact administrator to check account status',
    ],
    debugging: [
      'Verify credentials with a known working account',
      'Check account status via admin panel',
      'Ensure tenant ID is correct and active',
      'Review recent security audit logs',
    ],
  },
  TOKEN_EXPIRED: {
    status: 401,
    message: 'JWT token has expired',
    title: 'Token Expired Error',
    description:
      'The access token in the `Authorization: Bearer` header is past its `exp` claim. Access tokens live 15 minutes by default ' +
      '(`expiresIn` in the sign-in answer says how long, in seconds).',
    causes: ['The access token is older than its lifetime', 'The client clock or token cache kept a token after `expiresIn` elapsed'],
    solutions: [
      'Use refresh token to obtain new access token',
      'Re-authenticate if refresh token is also expired',
      'Implement automatic token refresh in your client',
    ],
  },
  INVALID_TOKEN: {
    status: 401,
    message: 'Token is invalid',
    title: 'Invalid Token',
    description:
      'A token was refused for a reason other than its age: an access token whose signature, issuer or type does not verify, ' +
      'or a refresh token that is unknown, revoked, or was already used once (refresh tokens rotate on every use).',
    causes: [
      'The token was truncated, altered or copied with extra characters',
      'The token was issued by another Gatehouse deployment or environment',
      'A refresh token was used a second time; reuse revokes the whole grant',
      'The grant behind the token was revoked',
    ],
    solutions: [
      'Send the token exactly as it was issued',
      'Always store the newest refresh token from each `/refresh` answer and discard the old one',
      'Make sure only one refresh runs at a time in your client',
      'Sign in again to obtain a new token pair',
    ],
  },
  AUTHENTICATION_REQUIRED: {
    status: 401,
    message: 'Authentication is required',
    title: 'Authentication Required',
    description:
      'The endpoint needs a signed-in user, and the request carried no usable `Authorization: Bearer` header, or carried a ' +
      "client's own token (client_credentials) where a user's token is required.",
    causes: [
      'The `Authorization` header is missing',
      'The header is not of the form `Bearer <token>`',
      'A client_credentials token was sent to a user endpoint',
    ],
    solutions: [
      'Sign in first and send `Authorization: Bearer <accessToken>`',
      'Check that a proxy or HTTP client does not strip the `Authorization` header',
      'Use a token obtained for a user (login or authorization code flow)',
    ],
  },
  INVALID_MFA_CODE: {
    status: 401,
    message: 'MFA code is invalid',
    title: 'Invalid MFA Code',
    description:
      'The second-factor code was not accepted. A TOTP code is valid for its 30-second step (and one step either side) and ' +
      'only once; each backup code works once. After 5 wrong codes the MFA token itself is spent.',
    causes: [
      'A mistyped or outdated TOTP code',
      'The device clock of the authenticator is off',
      'The code was already used (codes cannot be replayed)',
      'A backup code that was already used',
    ],
    solutions: [
      'Enter the code currently shown by the authenticator app',
      "Synchronise the authenticator device's clock",
      'Use backup codes if TOTP device is unavailable',
      'Contact administrator if MFA device is lost',
    ],
  },
  INVALID_MFA_TOKEN: {
    status: 401,
    message: 'MFA token is invalid or expired',
    title: 'Invalid MFA Token',
    description:
      'The `mfaToken` from the "MFA verification required" answer is not (or no longer) valid: it is single-use, lives 5 minutes, ' +
      'and dies after 5 wrong codes.',
    causes: [
      'More than 5 minutes passed since the password step',
      'The token was already used to complete a sign-in',
      'Too many wrong codes were sent with it',
    ],
    solutions: [
      'Sign in again with username and password to obtain a new MFA token',
      'Complete MFA verification using the provided MFA token',
    ],
  },
  INSUFFICIENT_PERMISSIONS: {
    status: 403,
    message: 'User lacks required permissions for this operation',
    title: 'Insufficient Permissions',
    description: "The token is valid, but the user's roles in the tenant do not grant the permission the operation needs.",
    causes: ['The user lacks a role carrying the permission', 'The request was made in another tenant context'],
    solutions: [
      'Check user roles and permissions',
      'Contact administrator to grant required permissions',
      'Verify tenant context is correct',
      'Ensure user is active and not suspended',
    ],
  },
  TENANT_ACCESS_DENIED: {
    status: 403,
    message: 'Access to tenant is denied',
    title: 'Tenant Access Denied',
    description:
      'The request names a tenant the caller may not use: the token belongs to another tenant, the user is not in the tenant, ' +
      'or the tenant is suspended.',
    causes: [
      'The `X-Tenant-ID` header (or the tenant subdomain) differs from the `tenant_id` claim of the token',
      'The user belongs to another tenant',
      'The tenant is suspended',
    ],
    solutions: [
      'Verify tenant ID is correct',
      'Ensure tenant is active and not suspended',
      'Check if user belongs to the specified tenant',
      'Verify tenant context in JWT token',
    ],
  },
  RATE_LIMIT_EXCEEDED: {
    status: 429,
    message: 'Rate limit exceeded for this endpoint',
    title: 'Rate Limit Exceeded',
    description:
      'Too many requests of this endpoint class came from your address (or for this account or client) within the window. ' +
      'Every limited response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix seconds); a 429 ' +
      'adds `Retry-After` (seconds).',
    causes: ['A burst of requests, or a loop retrying without delay', 'Many clients behind one address sharing its budget'],
    solutions: [
      'Wait for rate limit window to reset',
      'Implement exponential backoff in your client',
      'Reduce request frequency',
      'Contact support for rate limit increases',
    ],
  },
  IP_BLOCKED: {
    status: 403,
    message: 'IP address is temporarily blocked',
    title: 'IP Blocked',
    description:
      'Your address kept tripping rate limits or failed sign-ins against many different accounts, and is blocked for an hour ' +
      '(by default). The answer carries `Retry-After` with the seconds left.',
    causes: ['Repeated rate-limit refusals from one address', 'Failed sign-ins against many accounts from one address'],
    solutions: [
      'Wait for automatic unblock (typically 1 hour)',
      'Contact support to manually unblock IP',
      'Review and fix any automated scripts causing excessive requests',
      'Implement proper rate limiting in your application',
    ],
  },
  REQUIRED_FIELD: {
    status: 400,
    message: 'Required field is missing',
    title: 'Required Field Missing',
    description: 'A field the endpoint requires is absent (or null). `field` names it; every problem of a body is reported at once.',
    causes: ['The field was left out of the JSON body', 'The field name is spelled differently (names are case-sensitive)'],
    solutions: [
      'Check API documentation for required fields',
      'Ensure all required fields are included in request',
      'Verify field names match exactly (case-sensitive)',
    ],
    example: { field: 'email' },
  },
  INVALID_FORMAT: {
    status: 400,
    message: 'Field format is invalid',
    title: 'Invalid Format',
    description:
      'A value does not have the required form. `field` names it and `constraint` says which rule failed: `EMAIL_FORMAT`, ' +
      '`MIN_LENGTH`, `MAX_LENGTH`, `TYPE`, `ENUM`, `URL_FORMAT`, `PATTERN`, `UNKNOWN_FIELD`; `JSON` for a body that is not valid ' +
      'JSON and `CONTENT_TYPE` (HTTP 415) for a body type the endpoint does not accept.',
    causes: [
      'A value of the wrong type (a number where a string is expected)',
      'A string that is too short, too long, or not of the required form',
      'A malformed JSON body or a wrong `Content-Type` header',
    ],
    solutions: [
      'Validate input format before sending request',
      'Check API documentation for format requirements',
      'Use proper data types (string, number, boolean)',
    ],
    example: { field: 'email', constraint: 'EMAIL_FORMAT' },
  },
  SESSION_NOT_FOUND: {
    status: 401,
    message: 'Session not found or expired',
    title: 'Session Not Found',
    description:
      'The session behind the token has ended (logout, ended from another device, by an administrator, or by a password ' +
      'reset) or expired. `DELETE /sessions/:id` answers it with 404 when the id is unknown or not yours.',
    causes: ['The session was ended by logout or another request', 'A password reset ended every session', 'A wrong session id'],
    solutions: [
      'Re-authenticate to create new session',
      'Check if session was terminated by another request',
      'Verify session ID is correct',
      "Ensure session hasn't expired",
    ],
  },
  SESSION_LIMIT_EXCEEDED: {
    status: 409,
    message: 'Maximum concurrent sessions exceeded',
    title: 'Concurrent Session Limit',
    description: 'The user already has as many live sessions as the tenant allows (5 by default); the new sign-in was refused.',
    causes: ['Earlier sessions were never ended (no logout)', 'Sign-ins from many devices or scripts'],
    solutions: [
      'Terminate unused sessions',
      'Increase session limit (contact administrator)',
      'Implement proper session cleanup in your application',
    ],
  },
  REAUTHENTICATION_REQUIRED: {
    status: 403,
    message: 'Recent authentication is required for this change',
    title: 'Re-authentication Required',
    description:
      'Changing the email or the password, and turning two-step verification off, need a sign-in of this session from the last ' +
      'five minutes: the password again, and a code when two-step verification is on.',
    causes: ['The session signed in more than five minutes ago', 'The last re-authentication of this session is older than five minutes'],
    solutions: [
      'Send the password (and a current code when MFA is on) to `POST /api/v1/auth/reauthenticate`, then repeat the change',
      'Or sign in again and make the change within five minutes',
    ],
  },
  NOT_FOUND: {
    status: 404,
    message: 'Resource not found',
    title: 'Not Found',
    description:
      'The endpoint or the resource does not exist in this tenant (HTTP 405 with this code: the path exists but not for this method).',
    causes: ['A mistyped path or resource id', 'A resource of another tenant', 'A deleted resource', 'The wrong HTTP method'],
    solutions: ['Check the path and method against the API reference', 'Verify the resource id and the tenant context'],
  },
  DUPLICATE_RESOURCE: {
    status: 409,
    message: 'Resource already exists',
    title: 'Duplicate Resource',
    description: 'The resource would duplicate one that exists, such as an email address already registered in the tenant.',
    causes: ['The email (case-insensitive) or username is taken in this tenant', 'A request that created the resource was repeated'],
    solutions: ['Use another value, or update the existing resource', 'Make retried create requests check for the earlier result'],
  },
  LAST_ADMIN: {
    status: 409,
    message: 'The last administrator of a tenant cannot be removed',
    title: 'Last Administrator',
    description:
      'The change would leave the tenant without an active user holding the built-in `admin` role: nobody could manage it any more. ' +
      'Removing the role, disabling the user and deleting the user are all refused for the last one.',
    causes: ["The user is the tenant's only active administrator", 'Another administrator was demoted or disabled a moment earlier'],
    solutions: [
      'Give the `admin` role to another active user first, then make the change',
      "Ask a platform operator if the tenant's administrators are all unavailable",
    ],
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'Request body is too large',
    title: 'Payload Too Large',
    description: 'The request body is larger than the server accepts (100 KB by default).',
    causes: ['An oversized field value', 'A file or other data sent where a small JSON body is expected'],
    solutions: ['Send only the fields the endpoint documents', 'Keep values within their documented lengths'],
  },
  INTERNAL_ERROR: {
    status: 500,
    message: 'An unexpected error occurred',
    title: 'Internal Error',
    description: 'The server failed unexpectedly. No details are sent to clients; they are logged under the request id.',
    causes: ['A fault on the server'],
    solutions: [
      'Retry the request later',
      'Contact support and include the `requestId` from the error response (also in the `X-Request-ID` header)',
    ],
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    message: 'Service temporarily unavailable',
    title: 'Service Unavailable',
    description:
      'A service Gatehouse depends on (its database or its Redis) is unreachable, or the server is shutting down. It recovers by ' +
      'itself; rate-limited endpoints add `Retry-After`.',
    causes: ['Maintenance or an outage of a backing service', 'A server restart in progress'],
    solutions: ['Retry with backoff, honouring `Retry-After` when present', 'Check API status page for known issues'],
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The two OAuth errors the guide documents ("OAuth2 Issues"). Their bodies are RFC 6749 §5.2 bodies, never the
 * envelope; these entries only feed the troubleshooting page and the exact bodies in oidc/koa-guide-errors.
 */
export const OAUTH_ERROR_CATALOGUE = {
  invalid_client: {
    status: 401,
    message: 'Client authentication failed',
    title: 'Invalid Client',
    description:
      'The token, introspection, revocation or PAR endpoint could not authenticate the client: unknown `client_id`, wrong or ' +
      'missing secret, or an authentication method the client is not registered for.',
    causes: ['A wrong client id or secret', 'A deleted client or a rotated secret', 'The wrong client authentication method'],
    solutions: [
      'Verify client ID and secret are correct',
      'Ensure client is registered and active',
      'Check client authentication method',
      'Verify redirect URI matches registered URI',
    ],
  },
  invalid_grant: {
    status: 400,
    message: 'Authorization code is invalid or expired',
    title: 'Invalid Grant',
    description:
      'The authorization code is unknown, expired (codes live 10 minutes), already used, or does not match the redirect URI or ' +
      'PKCE verifier. A reused code also revokes what was issued from it. For a refresh token the description reads ' +
      '"Refresh token is invalid or expired".',
    causes: ['The code was redeemed twice', 'The code expired', 'A different `redirect_uri` or `code_verifier` than in the request'],
    solutions: [
      'Ensure authorization code is used only once',
      "Check code hasn't expired (typically 10 minutes)",
      'Verify redirect URI matches authorization request',
      'Ensure code exchange happens quickly after authorization',
    ],
  },
} as const satisfies Record<string, CatalogueEntry>;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_CATALOGUE;

/** Where the troubleshooting page is served; each code has an anchor named after it. */
export const ERROR_DOCS_PATH = '/docs/errors';

/** The absolute link of a code's entry, e.g. `https://id.example.com/docs/errors#TOKEN_EXPIRED`. */
export function errorDocsUrl(publicUrl: string, code: ErrorCode | OAuthErrorCode): string {
  return `${publicUrl}${ERROR_DOCS_PATH}#${code}`;
}
