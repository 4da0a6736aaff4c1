// The shapes AuthClient sends and receives: the JSON auth API of docs/api.md, written out here because the SDK
// imports nothing from the server.

/** The error codes of the API's catalogue (docs/api.md), plus NETWORK_ERROR when no answer arrived at all. */
export type AuthErrorCode =
  | 'INVALID_CREDENTIALS'
  | 'TOKEN_EXPIRED'
  | 'INVALID_TOKEN'
  | 'AUTHENTICATION_REQUIRED'
  | 'INVALID_MFA_CODE'
  | 'INVALID_MFA_TOKEN'
  | 'INSUFFICIENT_PERMISSIONS'
  | 'TENANT_ACCESS_DENIED'
  | 'RATE_LIMIT_EXCEEDED'
  | 'IP_BLOCKED'
  | 'REQUIRED_FIELD'
  | 'INVALID_FORMAT'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_LIMIT_EXCEEDED'
  | 'REAUTHENTICATION_REQUIRED'
  | 'NOT_FOUND'
  | 'DUPLICATE_RESOURCE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL_ERROR'
  | 'SERVICE_UNAVAILABLE'
  | 'NETWORK_ERROR';

/** One item of an error response's `errors` array. */
export interface AuthErrorItem {
  code: AuthErrorCode | (string & {});
  message: string;
  field?: string;
  constraint?: string;
  /** Link to the code's entry on the server's troubleshooting page. */
  docs?: string;
}

export interface User {
  id: string;
  tenantId: string;
  email: string;
  username: string | null;
  emailVerified: boolean;
  status: string;
  roles: string[];
  lastLoginAt: string | null;
  createdAt: string;
}

export interface Session {
  id: string;
  /** The session of the token making the call. */
  current: boolean;
  clientId: string | null;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  /** A short name for the device: browser and system ("Chrome · macOS"), or the start of the user agent. */
  device: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** What the client keeps between calls. */
export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  /** Epoch milliseconds, from `expiresIn`; informational — the client refreshes when the server says TOKEN_EXPIRED. */
  expiresAt: number;
}

/** Where tokens live: in memory by default; plug in sessionStorage, a keychain, a cookie jar… */
export interface TokenStorage {
  get(): StoredTokens | null | Promise<StoredTokens | null>;
  set(tokens: StoredTokens | null): void | Promise<void>;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  sessionId: string;
}

export type LoginResult =
  | ({ type: 'tokens'; user: User; backupCodes?: string[] } & TokenSet)
  | {
      type: 'mfa';
      /** Pass to `verifyMfa` with the code; single-use, lives 5 minutes. */
      mfaToken: string;
      /** The tenant requires MFA and the user has none yet: enrol before verifying. */
      enrollmentRequired: boolean;
    };

export interface Me {
  user: User;
  sessionId: string;
  scope: string;
}

/** What `onRequest` and debug logging see: secrets (tokens, passwords, codes) are redacted. */
export interface RequestInfo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** 0 for the first try, then 1, 2, … for retries after a 429. */
  attempt: number;
}

/** What `onResponse` and debug logging see, secrets redacted. */
export interface ResponseInfo {
  method: string;
  url: string;
  status: number;
  requestId: string | null;
  /** Response headers (`Retry-After`, `X-RateLimit-*`, …), lower-case names. */
  headers: Record<string, string>;
  body: unknown;
  durationMs: number;
}

export interface AuthClientOptions {
  /** The server's origin, e.g. `https://id.example.com`; the client adds `/api/v1/auth/...`. */
  baseUrl: string;
  /** Sent as `X-Tenant-ID` on every call when set. */
  tenantId?: string;
  /** Log every request and response (secrets redacted) through `logger`. */
  debug?: boolean;
  /** Where debug lines go; `console.debug` by default. */
  logger?: (message: string, details?: unknown) => void;
  onRequest?: (config: RequestInfo) => void;
  onResponse?: (response: ResponseInfo) => void;
  /** Called with every error a method is about to throw. */
  onError?: (error: Error) => void;
  /** Token storage; in memory by default. */
  storage?: TokenStorage;
  /** Retries after a 429 (default 3). */
  maxRetries?: number;
  /** The longest wait before a retry (default 30000 ms); a longer `Retry-After` is not waited for. */
  maxRetryDelayMs?: number;
  /** First backoff step when a 429 carries no `Retry-After` (default 1000 ms), doubled on every retry. */
  retryBaseDelayMs?: number;
  /** A `fetch` implementation; the global one by default. */
  fetch?: typeof fetch;
}

/** A TOTP enrolment: add the secret (or scan the QR code) in an authenticator app. */
export interface MfaEnrolment {
  secret: string;
  otpauthUri: string;
  /** A PNG data URL of the otpauth URI. */
  qrCode: string;
}

export interface MfaStatus {
  enabled: boolean;
  pendingEnrolment: boolean;
  backupCodesRemaining: number;
}

/** A third-party app the user has allowed access to (`connectedApps`). */
export interface ConnectedApp {
  clientId: string;
  name: string;
  scope: string[];
  /** What the app may do on which API: the API's identifier and name, the scope and its description. */
  apiScopes: Array<{ resource: string; resourceName: string; scope: string; description: string | null }>;
  /** When the user last allowed the app something (ISO 8601). */
  updatedAt: string;
}

/** One of the user's own security events (`securityActivity`). */
export interface ActivityEvent {
  id: string;
  /** `signin.succeeded`, `signin.failed`, `mfa.verified`, `session.ended`, `password.changed`, … */
  type: string;
  outcome: 'success' | 'failure';
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** A short name for the device: browser and system ("Chrome · macOS"), or the start of the user agent. */
  device: string | null;
  createdAt: string;
}

/** A page of a list: the items under their name, and the cursor of the next page (null on the last). */
export type Page<K extends string, T> = { [key in K]: T[] } & { nextCursor: string | null };

export interface AdminUser extends User {
  locked: boolean;
  lockedUntil: string | null;
  failedLoginCount: number;
  mfaEnabled: boolean;
}

export interface TenantSettings {
  name?: string;
  sessionLimit?: number;
  sessionStrategy?: string;
  mfaPolicy?: 'off' | 'optional' | 'required';
  lockoutMaxFailures?: number;
  lockoutDurationSeconds?: number;
  rateLimits?: Record<string, { points: number; duration: number }>;
  selfRegistration?: boolean;
}

export interface AdminTenant extends Required<Omit<TenantSettings, 'name'>> {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: string;
  updatedAt: string;
}

export interface AdminRole {
  name: string;
  description: string;
  permissions: string[];
  builtIn: boolean;
}

export interface ClientInput {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: Array<'authorization_code' | 'refresh_token' | 'client_credentials' | 'urn:ietf:params:oauth:grant-type:device_code'>;
  scope?: string;
  firstParty?: boolean;
  /** null removes it. */
  backchannelLogoutUri?: string | null;
  backchannelLogoutSessionRequired?: boolean;
}

export interface AdminClientRecord {
  clientId: string;
  tenantId: string;
  name: string;
  public: boolean;
  firstParty: boolean;
  builtIn: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  scope: string;
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
  createdAt: string;
  updatedAt: string;
}

/** An API resource (RFC 8707): `identifier` is the `aud` of its access tokens. */
export interface AdminApiResource {
  id: string;
  tenantId: string;
  identifier: string;
  name: string;
  scopes: Array<{ name: string; description: string }>;
  accessTokenTtl: number;
  signingAlg: 'ES256' | 'RS256';
  allowRefreshTokens: boolean;
  consentRequired: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ApiResourceInput {
  name?: string;
  scopes?: Array<{ name: string; description: string }>;
  accessTokenTtl?: number;
  signingAlg?: 'ES256' | 'RS256';
  allowRefreshTokens?: boolean;
  consentRequired?: boolean;
}

export interface AuditEvent {
  id: string;
  tenantId: string | null;
  type: string;
  outcome: 'success' | 'failure';
  actorId: string | null;
  subjectId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

export interface OutboxMessage {
  id: string;
  tenantId: string | null;
  to: string;
  subject: string;
  body: string;
  kind: string;
  createdAt: string;
}
