// The error catalogue of SPEC §7: every code the JSON API can answer with, its HTTP status and its message.
// Messages match the published troubleshooting guide word for word where it shows them.

export const ERROR_CATALOGUE = {
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid username or password' },
  TOKEN_EXPIRED: { status: 401, message: 'JWT token has expired' },
  INVALID_TOKEN: { status: 401, message: 'Token is invalid' },
  AUTHENTICATION_REQUIRED: { status: 401, message: 'Authentication is required' },
  INVALID_MFA_CODE: { status: 401, message: 'MFA code is invalid' },
  INVALID_MFA_TOKEN: { status: 401, message: 'MFA token is invalid or expired' },
  INSUFFICIENT_PERMISSIONS: { status: 403, message: 'User lacks required permissions for this operation' },
  TENANT_ACCESS_DENIED: { status: 403, message: 'Access to tenant is denied' },
  RATE_LIMIT_EXCEEDED: { status: 429, message: 'Rate limit exceeded for this endpoint' },
  IP_BLOCKED: { status: 403, message: 'IP address is temporarily blocked' },
  REQUIRED_FIELD: { status: 400, message: 'Required field is missing' },
  INVALID_FORMAT: { status: 400, message: 'Field format is invalid' },
  SESSION_NOT_FOUND: { status: 401, message: 'Session not found or expired' },
  SESSION_LIMIT_EXCEEDED: { status: 409, message: 'Maximum concurrent sessions exceeded' },
  NOT_FOUND: { status: 404, message: 'Resource not found' },
  DUPLICATE_RESOURCE: { status: 409, message: 'Resource already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  INTERNAL_ERROR: { status: 500, message: 'An unexpected error occurred' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
