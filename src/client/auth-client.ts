// AuthClient: the JSON auth API (docs/api.md) for TypeScript apps, on nothing but `fetch`. It keeps the tokens,
// refreshes once when the server answers TOKEN_EXPIRED however many calls were waiting (guide "Token Expired
// Error"), and backs off on 429 honouring Retry-After (guide "Rate Limit Exceeded").
import { AuthApiError, docsLinksOf } from './errors.ts';
import { AUTH_OPERATIONS, AUTH_PREFIX, fillPath, type AuthOperationId } from './operations.ts';
import { MemoryTokenStorage } from './memory-storage.ts';
import type {
  ActivityEvent,
  AuthClientOptions,
  AuthErrorItem,
  ConnectedApp,
  LoginResult,
  Me,
  MfaEnrolment,
  MfaStatus,
  RequestInfo,
  ResponseInfo,
  Session,
  StoredTokens,
  TokenSet,
  TokenStorage,
  User,
} from './types.ts';

const REDACTED = '[REDACTED]';
/** Fields never shown to hooks or logs: what requests send, and what answers return. */
const REQUEST_SECRETS = new Set(['password', 'refreshToken', 'mfaToken', 'code', 'token']);
const RESPONSE_SECRETS = new Set(['accessToken', 'refreshToken', 'idToken', 'mfaToken', 'backupCodes', 'secret', 'otpauthUri', 'qrCode']);

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  headers: Headers;
}

interface CallOptions {
  body?: unknown;
  /** Send the stored access token, and refresh it once on TOKEN_EXPIRED. */
  auth?: boolean;
}

export class AuthClient {
  readonly #baseUrl: string;
  readonly #options: AuthClientOptions;
  readonly #storage: TokenStorage;
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #maxRetryDelayMs: number;
  readonly #retryBaseDelayMs: number;
  /** The refresh in flight: every call that meets TOKEN_EXPIRED meanwhile waits for this one. */
  #refreshing: Promise<StoredTokens> | undefined;
  /** The access token the last refresh replaced: a late TOKEN_EXPIRED for it needs no second refresh. */
  #replacedAccessToken: string | undefined;

  constructor(options: AuthClientOptions) {
    if (!options.baseUrl) throw new TypeError('AuthClient: baseUrl is required');
    this.#options = options;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#storage = options.storage ?? new MemoryTokenStorage();
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxRetries = options.maxRetries ?? 3;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? 1000;
  }

  /** Signs in. With MFA the answer is `{ type: 'mfa', mfaToken }`: finish with `verifyMfa`. */
  login(usernameOrEmail: string, password: string): Promise<LoginResult> {
    return this.#guard(async () => {
      const answer = await this.#send('POST', `${AUTH_PREFIX}/login`, { body: { usernameOrEmail, password } });
      const body = answer.body ?? {};
      // Guide "MFA Required Error": a 401 that is a step, not a failure.
      if (answer.status === 401 && body['mfaRequired'] === true && typeof body['mfaToken'] === 'string') {
        return { type: 'mfa', mfaToken: body['mfaToken'], enrollmentRequired: body['mfaEnrollmentRequired'] === true };
      }
      return this.#signedIn(answer);
    });
  }

  /** Completes an MFA sign-in with a TOTP or backup code. */
  verifyMfa(mfaToken: string, code: string): Promise<Extract<LoginResult, { type: 'tokens' }>> {
    return this.#guard(async () => this.#signedIn(await this.#send('POST', `${AUTH_PREFIX}/mfa/verify`, { body: { mfaToken, code } })));
  }

  /** Exchanges the stored refresh token for a new pair (refresh tokens rotate); joins a refresh already running. */
  refresh(): Promise<TokenSet> {
    return this.#guard(async () => {
      const tokens = await this.#refreshOnce(undefined);
      return { ...tokens, tokenType: 'Bearer' as const, expiresIn: Math.max(0, Math.round((tokens.expiresAt - Date.now()) / 1000)) };
    });
  }

  /** Ends the current session on the server and forgets the tokens (also when the server says it had ended). */
  logout(): Promise<void> {
    return this.#guard(async () => {
      try {
        await this.#call('POST', `${AUTH_PREFIX}/logout`, { auth: true });
      } finally {
        await this.#storage.set(null);
      }
    });
  }

  me(): Promise<Me> {
    return this.#guard(() => this.#call<Me>('GET', `${AUTH_PREFIX}/me`, { auth: true }));
  }

  /** The user's live sessions; `current` marks this one. */
  sessions(): Promise<Session[]> {
    return this.#guard(async () => (await this.#call<{ sessions: Session[] }>('GET', `${AUTH_PREFIX}/sessions`, { auth: true })).sessions);
  }

  /** Ends one of the user's sessions (SESSION_NOT_FOUND, 404, if it is not theirs). */
  endSession(sessionId: string): Promise<void> {
    return this.#guard(async () => {
      await this.#call('DELETE', `${AUTH_PREFIX}/sessions/${encodeURIComponent(sessionId)}`, { auth: true });
    });
  }

  /** Ends every session of the user except this one; returns how many ended. */
  endOtherSessions(): Promise<number> {
    return this.#guard(async () => (await this.#call<{ ended: number }>('DELETE', `${AUTH_PREFIX}/sessions`, { auth: true })).ended);
  }

  /** Creates an account in the client's tenant; it can sign in once the emailed link (its token) is verified. */
  /** Answers the same whether or not the address already has an account (its owner gets a mail instead). */
  register(input: { email: string; password: string; username?: string }): Promise<{ message: string; emailVerificationRequired: true }> {
    return this.#guard(() => this.#op('register', { body: input }));
  }

  /** Confirms an email address with the token from the verification mail. */
  verifyEmail(token: string): Promise<{ emailVerified: true }> {
    return this.#guard(() => this.#op('verifyEmail', { body: { token } }));
  }

  /** Mails a password-reset link when the address has an account; answers the same either way. */
  forgotPassword(email: string): Promise<{ message: string }> {
    return this.#guard(() => this.#op('forgotPassword', { body: { email } }));
  }

  /** Sets a new password with the token from the reset mail; every session of the user ends. */
  resetPassword(token: string, password: string): Promise<{ passwordReset: true; sessionsEnded: number }> {
    return this.#guard(() => this.#op('resetPassword', { body: { token, password } }));
  }

  /** During a sign-in that requires enrolment (`enrollmentRequired`): a TOTP secret; finish with `verifyMfa`. */
  enrollMfaDuringSignIn(mfaToken: string): Promise<MfaEnrolment> {
    return this.#guard(() => this.#op('enrollMfaDuringSignIn', { body: { mfaToken } }));
  }

  /** The signed-in user's MFA state. */
  mfaStatus(): Promise<MfaStatus> {
    return this.#guard(() => this.#op('getMfaStatus', { auth: true }));
  }

  /** Starts TOTP enrolment: a secret, its otpauth URI and a QR code; `activateTotp` with a first code finishes it. */
  enrollTotp(): Promise<MfaEnrolment> {
    return this.#guard(() => this.#op('enrollTotp', { auth: true }));
  }

  /** Activates the pending enrolment with a code from the app; returns ten single-use backup codes, shown once. */
  activateTotp(code: string): Promise<{ backupCodes: string[] }> {
    return this.#guard(() => this.#op('activateTotp', { auth: true, body: { code } }));
  }

  /** Replaces the backup codes (a current TOTP code proves the device). */
  regenerateBackupCodes(code: string): Promise<{ backupCodes: string[] }> {
    return this.#guard(() => this.#op('regenerateBackupCodes', { auth: true, body: { code } }));
  }

  /** Turns MFA off with a current code or the password (refused when the tenant requires MFA). */
  disableMfa(proof: { code: string } | { password: string }): Promise<{ enabled: false; requiredByTenant: boolean }> {
    return this.#guard(() => this.#op('disableMfa', { auth: true, body: proof }));
  }

  /**
   * Proves again that it is the user (the password, and a code when MFA is on): opens the five-minute window that
   * `changePassword`, `changeEmail` and `disableMfa` need once the sign-in is older (else REAUTHENTICATION_REQUIRED).
   */
  reauthenticate(password: string, code?: string): Promise<{ validUntil: string }> {
    return this.#guard(() => this.#op('reauthenticate', { auth: true, body: { password, ...(code !== undefined && { code }) } }));
  }

  /** Changes the password (the current one is asked too); optionally ends every other session of the user. */
  changePassword(input: {
    currentPassword: string;
    newPassword: string;
    endOtherSessions?: boolean;
  }): Promise<{ passwordChanged: true; sessionsEnded: number }> {
    return this.#guard(() => this.#op('changePassword', { auth: true, body: input }));
  }

  /** Starts an email change: the new address gets a link that confirms it; until then the email stays. */
  changeEmail(email: string): Promise<{ message: string }> {
    return this.#guard(() => this.#op('changeEmail', { auth: true, body: { email } }));
  }

  /** Mails the verification link again (at most once a minute); `sent` is false when already verified. */
  resendVerificationEmail(): Promise<{ sent: boolean }> {
    return this.#guard(() => this.#op('resendVerificationEmail', { auth: true }));
  }

  /** The third-party apps the user has allowed access to. */
  async connectedApps(): Promise<ConnectedApp[]> {
    return (await this.#guard(() => this.#op<{ apps: ConnectedApp[] }>('listConnectedApps', { auth: true }))).apps;
  }

  /** Disconnects a third-party app: its consent, grants and refresh tokens end at once. */
  revokeConnectedApp(clientId: string): Promise<{ clientId: string; grantsRevoked: number }> {
    return this.#guard(() => this.#op('revokeConnectedApp', { auth: true, params: { clientId } }));
  }

  /** The user's own recent security events, newest first (at most `limit`, 1–100). */
  async securityActivity(limit = 50): Promise<ActivityEvent[]> {
    const events = await this.#guard(() =>
      this.#op<{ events: ActivityEvent[] }>('securityActivity', { auth: true, query: { limit: String(limit) } }),
    );
    return events.events;
  }

  /**
   * Any API call under this server (e.g. `/api/v1/admin/users`), authenticated with the stored tokens and refreshed
   * once on TOKEN_EXPIRED; answers the envelope's `data`. AdminClient is built on it.
   */
  request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | undefined> } = {},
  ): Promise<T> {
    const query = new URLSearchParams(
      Object.entries(options.query ?? {}).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]])),
    ).toString();
    return this.#guard(() => this.#call<T>(method, query ? `${path}?${query}` : path, { auth: true, body: options.body }));
  }

  /** The stored tokens, or null when signed out. */
  async getTokens(): Promise<StoredTokens | null> {
    return this.#storage.get();
  }

  /** Stores tokens obtained elsewhere (e.g. restored from a previous run). */
  async setTokens(tokens: StoredTokens | null): Promise<void> {
    await this.#storage.set(tokens);
  }

  #op<T>(id: AuthOperationId, options: CallOptions & { params?: Record<string, string>; query?: Record<string, string> } = {}): Promise<T> {
    const { method, path } = AUTH_OPERATIONS[id];
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
    return this.#call<T>(method, `${AUTH_PREFIX}${fillPath(path, options.params)}${query}`, options);
  }

  async #guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      this.#options.onError?.(err as Error);
      throw err;
    }
  }

  async #signedIn(answer: Answer): Promise<Extract<LoginResult, { type: 'tokens' }>> {
    const data = this.#dataOf(answer) as TokenSet & { user: User; backupCodes?: string[] };
    await this.#store(data);
    return { type: 'tokens', ...data };
  }

  async #store(data: TokenSet): Promise<StoredTokens> {
    const tokens = {
      accessToken: data.accessToken,
      refreshToken: data.refreshToken,
      sessionId: data.sessionId,
      expiresAt: Date.now() + data.expiresIn * 1000,
    };
    await this.#storage.set(tokens);
    return tokens;
  }

  /** An authenticated call: on TOKEN_EXPIRED, one shared refresh, then this call once more. */
  async #call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const used = options.auth ? await this.#requireTokens() : undefined;
    const answer = await this.#send(method, path, { ...options, accessToken: used?.accessToken });
    if (used && answer.status === 401 && firstCode(answer) === 'TOKEN_EXPIRED') {
      const fresh = await this.#refreshAfterExpiry(used.accessToken);
      return this.#dataOf(await this.#send(method, path, { ...options, accessToken: fresh.accessToken })) as T;
    }
    return this.#dataOf(answer) as T;
  }

  async #requireTokens(): Promise<StoredTokens> {
    const tokens = await this.#storage.get();
    if (tokens) return tokens;
    throw new AuthApiError({
      status: 401,
      requestId: null,
      errors: [{ code: 'AUTHENTICATION_REQUIRED', message: 'Not signed in: call login() first' }],
    });
  }

  /**
   * Decided without awaiting anything, so that calls failing together share one refresh: join the one in
   * flight; if the token this call used was already replaced, use the stored one; else start the refresh.
   */
  async #refreshAfterExpiry(usedAccessToken: string): Promise<StoredTokens> {
    if (this.#refreshing) return this.#refreshing;
    if (this.#replacedAccessToken === usedAccessToken) return this.#requireTokens();
    return this.#refreshOnce(usedAccessToken);
  }

  #refreshOnce(replacing: string | undefined): Promise<StoredTokens> {
    if (!this.#refreshing) {
      this.#refreshing = this.#refreshNow(replacing).finally(() => {
        this.#refreshing = undefined;
      });
    }
    return this.#refreshing;
  }

  async #refreshNow(replacing: string | undefined): Promise<StoredTokens> {
    const current = await this.#requireTokens();
    const answer = await this.#send('POST', `${AUTH_PREFIX}/refresh`, { body: { refreshToken: current.refreshToken } });
    if (answer.status === 401) {
      // The refresh token or its session is gone: signed out.
      await this.#storage.set(null);
    }
    const tokens = await this.#store(this.#dataOf(answer) as TokenSet);
    this.#replacedAccessToken = replacing ?? current.accessToken;
    return tokens;
  }

  #dataOf(answer: Answer): unknown {
    if (answer.status >= 200 && answer.status < 300 && answer.body?.['success'] === true) return answer.body['data'];
    throw toError(answer);
  }

  /** One API request, retried after a 429 as long as the wait fits (guide "Exponential Backoff Example"). */
  async #send(method: string, path: string, options: CallOptions & { accessToken?: string | undefined }): Promise<Answer> {
    for (let attempt = 0; ; attempt += 1) {
      const answer = await this.#sendOnce(method, path, options, attempt);
      if (answer.status !== 429 || attempt >= this.#maxRetries) return answer;
      const delay = this.#retryDelay(answer.headers.get('retry-after'), attempt);
      if (delay === undefined) return answer;
      this.#log(`rate limited; retrying ${method} ${path} in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Retry-After (seconds or an HTTP date) when sent, else exponential steps; undefined when longer than allowed. */
  #retryDelay(retryAfter: string | null, attempt: number): number | undefined {
    let delay = this.#retryBaseDelayMs * 2 ** attempt;
    if (retryAfter !== null && retryAfter.trim() !== '') {
      const seconds = Number(retryAfter);
      const date = Date.parse(retryAfter);
      if (Number.isFinite(seconds)) delay = Math.max(0, seconds) * 1000;
      else if (Number.isFinite(date)) delay = Math.max(0, date - Date.now());
    }
    return delay <= this.#maxRetryDelayMs ? delay : undefined;
  }

  async #sendOnce(method: string, path: string, options: CallOptions & { accessToken?: string | undefined }, attempt: number) {
    const url = `${this.#baseUrl}${path}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.#options.tenantId) headers['X-Tenant-ID'] = this.#options.tenantId;
    if (options.accessToken) headers['Authorization'] = `Bearer ${options.accessToken}`;

    const requestInfo: RequestInfo = { method, url, headers: redactHeaders(headers), attempt };
    if (options.body !== undefined) requestInfo.body = redact(options.body, REQUEST_SECRETS);
    this.#options.onRequest?.(requestInfo);
    this.#log(`→ ${method} ${url}`, requestInfo);

    const started = Date.now();
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
      });
    } catch (err) {
      throw new AuthApiError({
        status: 0,
        requestId: null,
        errors: [{ code: 'NETWORK_ERROR', message: `No answer from ${this.#baseUrl}: ${(err as Error).message}` }],
        cause: err,
      });
    }
    const text = await res.text();
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = text ? JSON.parse(text) : null;
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      body = null;
    }
    const responseInfo: ResponseInfo = {
      method,
      url,
      status: res.status,
      requestId: requestIdOf({ status: res.status, body, headers: res.headers }),
      headers: Object.fromEntries([...res.headers].filter(([name]) => name !== 'set-cookie')),
      body: redact(body, RESPONSE_SECRETS),
      durationMs: Date.now() - started,
    };
    this.#options.onResponse?.(responseInfo);
    this.#log(`← ${res.status} ${method} ${url}`, responseInfo);
    return { status: res.status, body, headers: res.headers };
  }

  #log(message: string, details?: unknown): void {
    if (!this.#options.debug) return;
    const logger = this.#options.logger ?? ((m: string, d?: unknown) => console.debug(`[AuthClient] ${m}`, d ?? ''));
    logger(message, details);
  }
}

function firstCode(answer: Answer): string | undefined {
  const errors = answer.body?.['errors'];
  return Array.isArray(errors) ? (errors[0] as AuthErrorItem | undefined)?.code : undefined;
}

function requestIdOf(answer: Answer): string | null {
  const fromBody = answer.body?.['requestId'];
  return typeof fromBody === 'string' ? fromBody : answer.headers.get('x-request-id');
}

function toError(answer: Answer): AuthApiError {
  const items = answer.body?.['errors'];
  const links = docsLinksOf(answer.headers.get('link'));
  const errors: AuthErrorItem[] = Array.isArray(items)
    ? (items as AuthErrorItem[]).map((item) =>
        item.docs || !links.length ? item : { ...item, docs: links.find((l) => l.endsWith(`#${item.code}`)) ?? links[0] },
      )
    : [{ code: answer.status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_FORMAT', message: `Unexpected HTTP ${answer.status} response` }];
  const retryAfter = Number(answer.headers.get('retry-after') ?? Number.NaN);
  return new AuthApiError({
    status: answer.status,
    errors,
    requestId: requestIdOf(answer),
    retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
  });
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, k.toLowerCase() === 'authorization' ? `Bearer ${REDACTED}` : v]));
}

/** A copy with every secret field replaced, at any depth. */
function redact(value: unknown, secrets: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secrets.has(k) ? REDACTED : redact(v, secrets)]));
}
