// The AuthClient SDK against a live server on real PostgreSQL and Redis: MFA sign-in, one shared refresh for
// many calls over an expired access token, backoff on 429 honouring Retry-After, typed errors, redacted debug logs.
import {
  AuthApiError,
  AuthClient,
  type AuthClientOptions,
  type RequestInfo,
  type ResponseInfo,
  type StoredTokens,
} from '../../src/client/index.ts';
import { activateEnrolment, beginEnrolment } from '../../src/services/mfa.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { totp } from '../helpers/totp.ts';

const PASSWORD = 'correct horse battery';
const ACCESS_TOKEN_TTL = 5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client that records what its hooks and debug logger saw. */
function recordingClient(baseUrl: string, options: Partial<AuthClientOptions> = {}) {
  const requests: RequestInfo[] = [];
  const responses: ResponseInfo[] = [];
  const errors: Error[] = [];
  const debugLines: string[] = [];
  /** When each hook saw its request or response. */
  const at = new Map<object, number>();
  const client = new AuthClient({
    baseUrl,
    tenantId: 'acme',
    onRequest: (config) => {
      requests.push(config);
      at.set(config, Date.now());
    },
    onResponse: (response) => {
      responses.push(response);
      at.set(response, Date.now());
    },
    onError: (error) => errors.push(error),
    logger: (message, details) => debugLines.push(`${message} ${JSON.stringify(details ?? null)}`),
    ...options,
  });
  const calls = (path: string) => requests.filter((r) => r.url.endsWith(`/api/v1/auth${path}`));
  return { client, requests, responses, errors, debugLines, calls, at };
}

describe('with short-lived access tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL) });
    await makeTenant(server.ctx, 'acme');
    for (const email of ['ann@acme.test', 'bob@acme.test', 'mia@acme.test', 'dan@acme.test'])
      await makeUser(server.ctx, 'acme', email, PASSWORD);
  });
  afterAll(() => server.stop());

  it('signs in, reads the user and sessions, ends a session and logs out', async () => {
    const { client, calls } = recordingClient(server.url);
    const other = await new AuthClient({ baseUrl: server.url, tenantId: 'acme' }).login('ann@acme.test', PASSWORD);
    const result = await client.login('ann@acme.test', PASSWORD);
    if (result.type !== 'tokens') throw new Error('expected tokens');
    expect(result).toMatchObject({ tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL, user: { email: 'ann@acme.test', tenantId: 'acme' } });
    expect(calls('/login')[0]?.headers['X-Tenant-ID']).toBe('acme');

    expect((await client.me()).sessionId).toBe(result.sessionId);
    const sessions = await client.sessions();
    expect(sessions.find((s) => s.current)?.id).toBe(result.sessionId);
    if (other.type !== 'tokens') throw new Error('expected tokens');
    expect(sessions.map((s) => s.id)).toContain(other.sessionId);
    await client.endSession(other.sessionId);
    expect((await client.sessions()).map((s) => s.id)).not.toContain(other.sessionId);

    await client.logout();
    expect(await client.getTokens()).toBeNull();
    const session = await server.ctx.db('sessions').where({ id: result.sessionId }).first();
    expect(session.ended_at).not.toBeNull();
  });

  it('completes an MFA sign-in end to end, and its debug log holds no secret', async () => {
    const user = await server.ctx.db('users').where({ email: 'mia@acme.test' }).first();
    const { secret } = await beginEnrolment(server.ctx, 'acme', user.id, { actorId: 'test' });
    await activateEnrolment(server.ctx, 'acme', user.id, await totp(secret), { actorId: 'test' });

    const { client, debugLines } = recordingClient(server.url, { debug: true });
    const step = await client.login('mia@acme.test', PASSWORD);
    expect(step).toEqual({ type: 'mfa', mfaToken: expect.any(String), enrollmentRequired: false });
    if (step.type !== 'mfa') throw new Error('expected the MFA step');
    expect(await client.getTokens()).toBeNull();

    // The step-0 code was spent on activation; the next one is inside the ±1 step window.
    const code = await totp(secret, 1);
    const signedIn = await client.verifyMfa(step.mfaToken, code);
    expect(signedIn).toMatchObject({ type: 'tokens', user: { email: 'mia@acme.test' } });
    const current = (await client.sessions()).find((s) => s.current);
    expect(current?.amr).toEqual(['pwd', 'otp']);

    const log = debugLines.join('\n');
    expect(log).toContain('POST');
    expect(log).toContain('[REDACTED]');
    for (const secretValue of [PASSWORD, step.mfaToken, code, signedIn.accessToken, signedIn.refreshToken]) {
      expect(log.includes(secretValue)).toBe(false);
    }
  });

  it('answers ten parallel calls over an expired access token with exactly one refresh', async () => {
    const { client, calls, responses, debugLines } = recordingClient(server.url, { debug: true });
    const signedIn = await client.login('bob@acme.test', PASSWORD);
    if (signedIn.type !== 'tokens') throw new Error('expected tokens');
    // The server checks `exp`; wait the lifetime out.
    await sleep((ACCESS_TOKEN_TTL + 1) * 1000);

    const results = await Promise.all(Array.from({ length: 10 }, () => client.me()));
    expect(results.map((r) => r.user.email)).toEqual(Array(10).fill('bob@acme.test'));
    expect(calls('/refresh')).toHaveLength(1);
    const meAnswers = responses.filter((r) => r.url.endsWith('/me'));
    expect(meAnswers.filter((r) => r.status === 401).map((r) => (r.body as { errors: [{ code: string }] }).errors[0].code)).toEqual(
      Array(10).fill('TOKEN_EXPIRED'),
    );
    expect(meAnswers.filter((r) => r.status === 200)).toHaveLength(10);
    const stored = await client.getTokens();
    expect(stored?.accessToken).not.toBe(signedIn.accessToken);
    expect(stored?.refreshToken).not.toBe(signedIn.refreshToken);
    const log = debugLines.join('\n');
    for (const secretValue of [PASSWORD, signedIn.accessToken, signedIn.refreshToken, stored?.accessToken, stored?.refreshToken]) {
      expect(log.includes(secretValue as string)).toBe(false);
    }
  }, 30_000);

  it('throws typed errors carrying code, status, request id, items and field', async () => {
    const { client, errors } = recordingClient(server.url);
    const wrong = await client.login('dan@acme.test', 'not the password').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AuthApiError);
    expect(wrong).toBeInstanceOf(Error);
    expect(wrong).toMatchObject({
      name: 'AuthApiError',
      code: 'INVALID_CREDENTIALS',
      status: 401,
      message: 'Invalid username or password',
      requestId: expect.stringMatching(UUID),
      errors: [{ code: 'INVALID_CREDENTIALS', message: 'Invalid username or password' }],
    });
    expect(errors).toEqual([wrong]);

    const invalid = (await client.login('', '').catch((e: unknown) => e)) as AuthApiError;
    expect(invalid).toMatchObject({ code: 'INVALID_FORMAT', status: 400, field: 'usernameOrEmail' });
    expect(invalid.errors.map((e) => e.field)).toEqual(['usernameOrEmail', 'password']);

    const signedOut = (await client.me().catch((e: unknown) => e)) as AuthApiError;
    expect(signedOut).toMatchObject({ code: 'AUTHENTICATION_REQUIRED', status: 401, requestId: null });

    const unreachable = new AuthClient({ baseUrl: 'http://127.0.0.1:1' });
    await expect(unreachable.login('x', 'y')).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
  });

  it('keeps tokens and refreshes through a pluggable storage', async () => {
    const saved: unknown[] = [];
    let tokens = null as StoredTokens | null;
    const client = new AuthClient({
      baseUrl: server.url,
      tenantId: 'acme',
      storage: {
        get: async () => tokens,
        set: async (next) => {
          tokens = next;
          saved.push(next);
        },
      },
    });
    await client.login('dan@acme.test', PASSWORD);
    const before = tokens;
    const refreshed = await client.refresh();
    expect(refreshed.refreshToken).not.toBe(before?.refreshToken);
    expect(tokens).toMatchObject({ accessToken: refreshed.accessToken, refreshToken: refreshed.refreshToken });
    expect(saved).toHaveLength(2);
  });
});

describe('with a tight rate limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_API: '2/3' });
    await makeTenant(server.ctx, 'acme');
    await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD);
  });
  afterAll(() => server.stop());

  it('waits Retry-After after a 429 and then succeeds', async () => {
    const { client, requests, responses, at } = recordingClient(server.url);
    await client.login('ann@acme.test', PASSWORD);
    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await client.me());
    expect(results.map((r) => r.user.email)).toEqual(['ann@acme.test', 'ann@acme.test', 'ann@acme.test']);

    const limited = responses.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    const retryAfter = Number(limited?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const retry = requests.find((r) => r.attempt === 1);
    expect(retry?.url).toBe(`${server.url}/api/v1/auth/me`);
    // Loosely: the retry did not go out before Retry-After had passed (less a little for timer rounding).
    const waited = (at.get(retry as object) ?? 0) - (at.get(limited as object) ?? 0);
    expect(waited).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
  }, 30_000);

  it('gives up after maxRetries with a typed RATE_LIMIT_EXCEEDED', async () => {
    const { client, errors } = recordingClient(server.url, { maxRetries: 0 });
    await client.login('ann@acme.test', PASSWORD);
    let failure: unknown;
    // Two calls per 3-second window: one of six quick calls is refused, wherever the window boundary falls.
    for (let i = 0; i < 6 && !failure; i += 1)
      failure = await client.me().then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failure).toBeInstanceOf(AuthApiError);
    expect(failure).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429, requestId: expect.stringMatching(UUID) });
    expect((failure as AuthApiError).retryAfter).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([failure]);
  }, 30_000);
});
