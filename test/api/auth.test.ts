// The first-party JSON API over real HTTP on real PostgreSQL/Redis, against the guide's exact bodies.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { jest } from '@jest/globals';
import { decodeJwt } from 'jose';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { setUserStatus, unlockUser } from '../../src/services/users.ts';
import { setTenantStatus } from '../../src/services/tenants.ts';
import { hashUserToken } from '../../src/services/account-recovery.ts';

const GUIDE = {
  INVALID_CREDENTIALS: { success: false, errors: [{ code: 'INVALID_CREDENTIALS', message: 'Invalid username or password' }] },
  TOKEN_EXPIRED: { success: false, errors: [{ code: 'TOKEN_EXPIRED', message: 'JWT token has expired' }] },
  TENANT_ACCESS_DENIED: { success: false, errors: [{ code: 'TENANT_ACCESS_DENIED', message: 'Access to tenant is denied' }] },
  SESSION_NOT_FOUND: { success: false, errors: [{ code: 'SESSION_NOT_FOUND', message: 'Session not found or expired' }] },
  SESSION_LIMIT_EXCEEDED: { success: false, errors: [{ code: 'SESSION_LIMIT_EXCEEDED', message: 'Maximum concurrent sessions exceeded' }] },
  REQUIRED_FIELD_EMAIL: { success: false, errors: [{ code: 'REQUIRED_FIELD', message: 'Required field is missing', field: 'email' }] },
  INVALID_FORMAT_EMAIL: {
    success: false,
    errors: [{ code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'email', constraint: 'EMAIL_FORMAT' }],
  },
};

const PASSWORD = 'correct horse battery';
let server: TestServer;

beforeAll(async () => {
  // A realistic bcrypt cost, so the timing comparison measures the hash and not the noise around it.
  // Strict refresh reuse detection (test/oidc/refresh-reuse.test.ts covers the retry interval).
  server = await startTestServer({ BCRYPT_COST: '10', REFRESH_REUSE_INTERVAL_SECONDS: '0' });
  const deps = server.ctx;
  await makeTenant(deps, 'acme');
  await makeTenant(deps, 'limited', { sessionLimit: 5, sessionStrategy: 'reject' });
  await makeTenant(deps, 'defaulted', { sessionLimit: 1 });
  await makeTenant(deps, 'evicting', { sessionLimit: 2, sessionStrategy: 'evict_oldest' });
  await makeTenant(deps, 'other');
  for (const [tenant, email] of [
    ['acme', 'ann@acme.test'],
    ['acme', 'bob@acme.test'],
    ['acme', 'locky@acme.test'],
    ['acme', 'tim@acme.test'],
    ['acme', 'dis@acme.test'],
    ['limited', 'lim@limited.test'],
    ['evicting', 'eve@evicting.test'],
    ['other', 'olga@other.test'],
  ] as const) {
    await makeUser(deps, tenant, email, PASSWORD);
  }
}, 60_000);
afterAll(() => server.stop());

const api = authApi(() => server.url);

const login = (tenant: string | undefined, usernameOrEmail: string, password = PASSWORD) =>
  api('POST', '/login', { body: { usernameOrEmail, password }, ...(tenant && { tenant }) });

/** The guide's body exactly, plus the request id docs/api.md adds to every error. */
function expectGuideBody(body: Record<string, unknown>, expected: (typeof GUIDE)[keyof typeof GUIDE]) {
  const { requestId, ...rest } = body;
  expect(rest).toEqual(expected);
  expect(typeof requestId).toBe('string');
}

describe('POST /login', () => {
  it('returns tokens, the session and the user', async () => {
    const res = await login('acme', 'ann@acme.test');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      data: {
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { email: 'ann@acme.test', tenantId: 'acme', roles: ['member'], emailVerified: true },
      },
    });
    const at = decodeJwt(res.body.data.accessToken);
    expect(at).toMatchObject({ tenant_id: 'acme', sid: res.body.data.sessionId, client_id: 'acme_api', roles: ['member'] });
    expect(res.body.data.user.passwordHash).toBeUndefined();
  });

  it('answers every failure cause with the identical guide body', async () => {
    await setUserStatus(server.ctx, 'acme', (await login('acme', 'dis@acme.test')).body.data.user.id, 'disabled', { actorId: 'test' });
    await makeUser(server.ctx, 'acme', 'unverified@acme.test', PASSWORD).then((u) =>
      server.ctx.db('users').where({ id: u.id }).update({ email_verified: false }),
    );
    await makeTenant(server.ctx, 'frozen').then(() => makeUser(server.ctx, 'frozen', 'fay@frozen.test', PASSWORD));
    await setTenantStatus(server.ctx, 'frozen', 'suspended', { actorId: 'test' });
    const causes = [
      ['wrong password', login('acme', 'ann@acme.test', 'not the password')],
      ['unknown user', login('acme', 'nobody@acme.test')],
      ['disabled', login('acme', 'dis@acme.test')],
      ['unverified', login('acme', 'unverified@acme.test')],
      ['missing tenant', login(undefined, 'ann@acme.test')],
      ['unknown tenant', login('no-such-tenant', 'ann@acme.test')],
      ['suspended tenant', login('frozen', 'fay@frozen.test')],
      ['user of another tenant', login('acme', 'olga@other.test')],
    ] as const;
    for (const [cause, pending] of causes) {
      const res = await pending;
      expect({ cause, status: res.status }).toEqual({ cause, status: 401 });
      expectGuideBody(res.body, GUIDE.INVALID_CREDENTIALS);
    }
    const reasons = await server.ctx.db('audit_events').where({ type: 'signin.failed' }).select('data');
    expect(reasons.map((r: { data: { reason: string } }) => r.data.reason)).toEqual(
      expect.arrayContaining(['wrong_password', 'unknown_user', 'disabled', 'unverified', 'unknown_tenant', 'tenant_suspended']),
    );
  });

  it('takes the same time for an unknown user as for a wrong password (medians within 20% over 20 tries each)', async () => {
    const attempt = async (email: string) => {
      const started = performance.now();
      expect((await login('acme', email, 'wrong password!')).status).toBe(401);
      return performance.now() - started;
    };
    // Warm both paths (the unknown-user path builds its dummy hash once). tim is locked after five failures;
    // a locked account costs the same bcrypt as any other failure, by design.
    await attempt('ghost@acme.test');
    await attempt('tim@acme.test');
    // Interleaved, so load from other test files falls on both series alike; medians, so a single request
    // stalled by another process's burst does not decide the comparison.
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      unknown.push(await attempt('ghost@acme.test'));
      wrong.push(await attempt('tim@acme.test'));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    expect(Math.abs(median(unknown) - median(wrong)) / Math.max(median(unknown), median(wrong))).toBeLessThan(0.2);
  }, 60_000);

  it('reports every validation problem at once, as the guide shows them', async () => {
    const res = await login('acme', '', '');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      {
        success: false,
        errors: [
          { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'usernameOrEmail', constraint: 'MIN_LENGTH' },
          { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'password', constraint: 'MIN_LENGTH' },
        ],
      }.errors,
    );
    // The guide's fields in the guide's order, and nothing else.
    expect(Object.keys(res.body.errors[0])).toEqual(['code', 'message', 'field', 'constraint']);
    const missing = await api('POST', '/login', { tenant: 'acme', body: {} });
    expect(missing.body.errors.map((e: { code: string; field: string }) => [e.code, e.field])).toEqual([
      ['REQUIRED_FIELD', 'usernameOrEmail'],
      ['REQUIRED_FIELD', 'password'],
    ]);
  });

  it('locks the account after five failures and audits the lock', async () => {
    for (let i = 0; i < 5; i += 1) expect((await login('acme', 'locky@acme.test', 'bad guess')).status).toBe(401);
    const locked = await login('acme', 'locky@acme.test');
    expectGuideBody(locked.body, GUIDE.INVALID_CREDENTIALS);
    expect(await server.ctx.db('audit_events').where({ type: 'account.locked', tenant_id: 'acme' }).first()).toBeDefined();
    const failures = await server.ctx.db('audit_events').where({ type: 'signin.failed' }).whereRaw("data->>'reason' = 'locked'").first();
    expect(failures).toBeDefined();

    // An admin unlock lets the right password in again.
    const user = await server.ctx.db('users').where({ email: 'locky@acme.test' }).first();
    await unlockUser(server.ctx, 'acme', user.id, { actorId: 'test-admin' });
    expect((await login('acme', 'locky@acme.test')).status).toBe(200);
  });

  it("finds the tenant from the subdomain when TENANT_DOMAIN is set, and refuses another tenant's tokens there", async () => {
    const other = await startTestServer({ TENANT_DOMAIN: 'id.example.test', BCRYPT_COST: '4' });
    try {
      await makeTenant(other.ctx, 'acme');
      await makeTenant(other.ctx, 'globex');
      await makeUser(other.ctx, 'acme', 'sub@acme.test', PASSWORD);
      await makeUser(other.ctx, 'globex', 'gus@globex.test', PASSWORD);
      // fetch() will not send a custom Host header; node:http will.
      const { port } = new URL(other.url);
      const at = (subdomain: string, method: string, path: string, options: { body?: unknown; token?: string; prefix?: string } = {}) =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        new Promise<{ status: number; body: any }>((resolve, reject) => {
          const headers: Record<string, string> = { Host: `${subdomain}.id.example.test:${port}` };
          if (options.body !== undefined) headers['Content-Type'] = 'application/json';
          if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
          const req = request({ host: '127.0.0.1', port, path: `${options.prefix ?? '/api/v1/auth'}${path}`, method, headers }, (r) => {
            let text = '';
            r.on('data', (c: Buffer) => (text += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
          });
          req.on('error', reject);
          req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
        });

      const signedIn = await at('acme', 'POST', '/login', { body: { usernameOrEmail: 'sub@acme.test', password: PASSWORD } });
      expect(signedIn.status).toBe(200);
      expect(signedIn.body.data.user.tenantId).toBe('acme');
      expect((await at('acme', 'GET', '/me', { token: signedIn.body.data.accessToken })).status).toBe(200);

      // Globex's tokens at acme's subdomain, with no X-Tenant-ID: refused as with the header.
      const globex = await authApi(() => other.url)('POST', '/login', {
        tenant: 'globex',
        body: { usernameOrEmail: 'gus@globex.test', password: PASSWORD },
      });
      const { accessToken, refreshToken } = globex.body.data;
      const me = await at('acme', 'GET', '/me', { token: accessToken });
      expect(me.status).toBe(403);
      expectGuideBody(me.body, GUIDE.TENANT_ACCESS_DENIED);
      const refreshed = await at('acme', 'POST', '/refresh', { body: { refreshToken } });
      expect(refreshed.status).toBe(403);
      expectGuideBody(refreshed.body, GUIDE.TENANT_ACCESS_DENIED);
      // Refused before the token endpoint: the refresh token is still good at its own tenant.
      expect((await at('globex', 'POST', '/refresh', { body: { refreshToken } })).status).toBe(200);
      // A subdomain that is no tenant name is refused too, not read as the token's own tenant.
      const malformed = await at('no_such', 'GET', '/users', { token: accessToken, prefix: '/api/v1/admin' });
      expect(malformed.status).toBe(403);
      expectGuideBody(malformed.body, GUIDE.TENANT_ACCESS_DENIED);
    } finally {
      await other.stop();
    }
  });
});

describe('validation on registration', () => {
  it('answers REQUIRED_FIELD and EMAIL_FORMAT exactly as the guide', async () => {
    expectGuideBody((await api('POST', '/register', { tenant: 'acme', body: { password: PASSWORD } })).body, GUIDE.REQUIRED_FIELD_EMAIL);
    expectGuideBody(
      (await api('POST', '/register', { tenant: 'acme', body: { email: 'not-an-email', password: PASSWORD } })).body,
      GUIDE.INVALID_FORMAT_EMAIL,
    );
  });
});

describe('tokens on our own endpoints', () => {
  it('GET /me with the access token; TENANT_ACCESS_DENIED when X-Tenant-ID differs', async () => {
    const { accessToken } = (await login('acme', 'bob@acme.test')).body.data;
    const me = await api('GET', '/me', { token: accessToken, tenant: 'acme' });
    expect(me.status).toBe(200);
    expect(me.body.data.user.email).toBe('bob@acme.test');
    const denied = await api('GET', '/me', { token: accessToken, tenant: 'other' });
    expect(denied.status).toBe(403);
    expectGuideBody(denied.body, GUIDE.TENANT_ACCESS_DENIED);
  });

  it('answers TOKEN_EXPIRED for an expired access token', async () => {
    const { accessToken } = (await login('acme', 'bob@acme.test')).body.data;
    // Sixteen minutes later (access tokens live 15); only the clock is faked, timers run for real.
    jest.useFakeTimers({
      doNotFake: [
        'nextTick',
        'setImmediate',
        'clearImmediate',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'queueMicrotask',
        'hrtime',
        'performance',
      ],
    });
    jest.setSystemTime(Date.now() + 16 * 60 * 1000);
    try {
      const res = await api('GET', '/me', { token: accessToken });
      expect(res.status).toBe(401);
      expectGuideBody(res.body, GUIDE.TOKEN_EXPIRED);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*", error="invalid_token"$/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('rotates refresh tokens; a reused one is refused and kills the grant', async () => {
    const { refreshToken } = (await login('acme', 'bob@acme.test')).body.data;
    const next = await api('POST', '/refresh', { body: { refreshToken } });
    expect(next.status).toBe(200);
    const audited = await server.ctx
      .db('audit_events')
      .where({ type: 'token.refreshed' })
      .whereRaw("data->>'sessionId' = ?", [next.body.data.sessionId])
      .first();
    expect(audited).toMatchObject({ tenant_id: 'acme', client_id: 'acme_api' });
    expect(next.body.data.refreshToken).not.toBe(refreshToken);
    const reuse = await api('POST', '/refresh', { body: { refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.errors[0].code).toBe('INVALID_TOKEN');
    const after = await api('POST', '/refresh', { body: { refreshToken: next.body.data.refreshToken } });
    expect(after.status).toBe(401);
  });
});

describe('sessions', () => {
  it('a tenant made without a strategy evicts the oldest session at its limit: nobody is left stuck', async () => {
    await makeUser(server.ctx, 'defaulted', 'dan@defaulted.test', PASSWORD);
    const first = await login('defaulted', 'dan@defaulted.test');
    const second = await login('defaulted', 'dan@defaulted.test');
    expect([first.status, second.status]).toEqual([200, 200]);
    const refresh = await api('POST', '/refresh', { body: { refreshToken: first.body.data.refreshToken } });
    expectGuideBody(refresh.body, GUIDE.SESSION_NOT_FOUND);
  });

  it('20 concurrent logins against a limit of 5 leave exactly 5 sessions', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => login('limited', 'lim@limited.test')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expectGuideBody(r.body, GUIDE.SESSION_LIMIT_EXCEEDED);
    }
    const live = await server.ctx.db('sessions').where({ tenant_id: 'limited' }).whereNull('ended_at').count({ n: '*' });
    expect(Number(live[0]?.n)).toBe(5);
  }, 60_000);

  it('evict_oldest ends the oldest session and its tokens instead of refusing', async () => {
    const first = (await login('evicting', 'eve@evicting.test')).body.data;
    await login('evicting', 'eve@evicting.test');
    const third = await login('evicting', 'eve@evicting.test');
    expect(third.status).toBe(200);
    expectGuideBody((await api('GET', '/me', { token: first.accessToken })).body, GUIDE.SESSION_NOT_FOUND);
    expectGuideBody((await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } })).body, GUIDE.SESSION_NOT_FOUND);
  });

  it('lists browser and JSON sessions together; DELETE ends one and its refresh fails with SESSION_NOT_FOUND', async () => {
    // A browser sign-in through the OAuth pages for the same user.
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Web',
      redirectUris: ['http://127.0.0.1:7777/cb'],
      firstParty: true,
    });
    const rp = await discoverRp(server.url, client.clientId, clientSecret);
    await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: 'http://127.0.0.1:7777/cb',
      login: 'ann@acme.test',
      password: PASSWORD,
    });

    const json = (await login('acme', 'ann@acme.test')).body.data;
    const other = (await login('acme', 'ann@acme.test')).body.data;
    const listed = await api('GET', '/sessions', { token: json.accessToken });
    const sessions = listed.body.data.sessions as Array<{ id: string; clientId: string; current: boolean }>;
    expect(sessions.map((s) => s.clientId)).toEqual(expect.arrayContaining([client.clientId, 'acme_api']));
    expect(sessions.find((s) => s.id === json.sessionId)?.current).toBe(true);

    const del = await api('DELETE', `/sessions/${other.sessionId}`, { token: json.accessToken });
    expect(del.status).toBe(200);
    const refresh = await api('POST', '/refresh', { body: { refreshToken: other.refreshToken } });
    expect(refresh.status).toBe(401);
    expectGuideBody(refresh.body, GUIDE.SESSION_NOT_FOUND);
    expectGuideBody((await api('GET', '/me', { token: other.accessToken })).body, GUIDE.SESSION_NOT_FOUND);

    const again = await api('DELETE', `/sessions/${other.sessionId}`, { token: json.accessToken });
    expect(again.status).toBe(404);
    expectGuideBody(again.body, GUIDE.SESSION_NOT_FOUND);
  });

  it("cannot end another user's session", async () => {
    const bob = (await login('acme', 'bob@acme.test')).body.data;
    const ann = (await login('acme', 'ann@acme.test')).body.data;
    expect((await api('DELETE', `/sessions/${bob.sessionId}`, { token: ann.accessToken })).status).toBe(404);
    expect((await api('GET', '/me', { token: bob.accessToken })).status).toBe(200);
  });

  it('DELETE /sessions ends every other session; logout ends the current one', async () => {
    const a = (await login('acme', 'bob@acme.test')).body.data;
    const b = (await login('acme', 'bob@acme.test')).body.data;
    const res = await api('DELETE', '/sessions', { token: a.accessToken });
    expect(res.body.data.ended).toBeGreaterThanOrEqual(1);
    expect((await api('GET', '/me', { token: b.accessToken })).status).toBe(401);
    expect((await api('GET', '/me', { token: a.accessToken })).status).toBe(200);
    expect((await api('POST', '/logout', { token: a.accessToken })).status).toBe(200);
    expectGuideBody((await api('GET', '/me', { token: a.accessToken })).body, GUIDE.SESSION_NOT_FOUND);
  });
});

describe('registration, email verification and password reset', () => {
  /** The token a mail carries, read as its recipient reads it. */
  const tokenIn = (body: string) => /[?&]token=([\w-]+)/.exec(body)?.[1] as string;

  it('registers an unverified user who can sign in once the emailed token is used, once', async () => {
    const reg = await api('POST', '/register', { tenant: 'acme', body: { email: 'Neo@Acme.test', password: PASSWORD } });
    expect(reg.status).toBe(202);
    expect(reg.body.data.emailVerificationRequired).toBe(true);
    expect((await login('acme', 'neo@acme.test')).status).toBe(401);

    const token = tokenIn((await server.mail.take('Neo@Acme.test', 'verify_email')).body);
    const stored = await server.ctx.db('user_tokens').where({ purpose: 'verify_email' }).select('token_hash');
    expect(stored.map((r) => r.token_hash)).toEqual([hashUserToken(server.ctx.config.secretKey, token)]);
    expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token } })).status).toBe(200);
    expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token } })).status).toBe(401);
    expect((await login('acme', 'neo@acme.test')).status).toBe(200);
  });

  it('answers a taken address exactly like a new one, and mails its owner instead', async () => {
    const taken = await api('POST', '/register', { tenant: 'acme', body: { email: 'neo@acme.TEST', password: 'another passphrase' } });
    const fresh = await api('POST', '/register', { tenant: 'acme', body: { email: 'trinity@acme.test', password: PASSWORD } });
    expect({ status: taken.status, data: taken.body.data }).toEqual({ status: fresh.status, data: fresh.body.data });
    expect((await server.mail.take('neo@acme.test', 'account_exists')).body).toMatch(/already has one/);
    await server.mail.take('trinity@acme.test', 'verify_email');
    expect(await server.ctx.db('users').where({ tenant_id: 'acme' }).whereRaw('lower(email) = ?', ['neo@acme.test'])).toHaveLength(1);
    // The taken address kept its password.
    expect((await login('acme', 'neo@acme.test')).status).toBe(200);
  });

  it('resets a password with the emailed token and ends every session', async () => {
    const before = (await login('acme', 'neo@acme.test')).body.data;
    const unknown = await api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'nobody@acme.test' } });
    const forgot = await api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'neo@acme.test' } });
    expect(forgot.status).toBe(202);
    expect({ status: unknown.status, data: unknown.body.data }).toEqual({ status: forgot.status, data: forgot.body.data });

    const token = tokenIn((await server.mail.take('Neo@Acme.test', 'password_reset')).body);
    // The queue works in order: the unknown address's request was dropped before, without a mail.
    expect(server.mail.delivered.some((m) => m.to === 'nobody@acme.test')).toBe(false);
    expect(await server.ctx.db('mail_outbox').where({ to_address: 'nobody@acme.test' })).toEqual([]);
    const reset = await api('POST', '/password/reset', { tenant: 'acme', body: { token, password: 'a brand new passphrase' } });
    expect(reset.status).toBe(200);
    expect(reset.body.data.sessionsEnded).toBeGreaterThanOrEqual(1);
    expectGuideBody((await api('POST', '/refresh', { body: { refreshToken: before.refreshToken } })).body, GUIDE.SESSION_NOT_FOUND);
    expect((await login('acme', 'neo@acme.test')).status).toBe(401);
    expect((await login('acme', 'neo@acme.test', 'a brand new passphrase')).status).toBe(200);
    expect((await api('POST', '/password/reset', { tenant: 'acme', body: { token, password: 'yet another passphrase' } })).status).toBe(
      401,
    );
  });

  it('a new password voids every other reset link of the account', async () => {
    await makeUser(server.ctx, 'acme', 'oz@acme.test', PASSWORD);
    // Two links in the mailbox (asked twice, or a lockout mail beside a request): one is used...
    await api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'oz@acme.test' } });
    const first = tokenIn((await server.mail.take('oz@acme.test', 'password_reset')).body);
    await api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'oz@acme.test' } });
    const second = tokenIn((await server.mail.take('oz@acme.test', 'password_reset')).body);
    expect(second).not.toBe(first);
    expect(
      (await api('POST', '/password/reset', { tenant: 'acme', body: { token: second, password: 'the one the owner chose' } })).status,
    ).toBe(200);
    // ...and the other, wherever it lies, no longer sets a password.
    const stale = await api('POST', '/password/reset', { tenant: 'acme', body: { token: first, password: 'someone else chose this' } });
    expect(stale.status).toBe(401);
    expect(stale.body.errors[0].code).toBe('INVALID_TOKEN');
    expect((await login('acme', 'oz@acme.test', 'the one the owner chose')).status).toBe(200);
  });

  it('keeps no live token readable in the database: tokens keyed-hashed, mail sealed and redacted', async () => {
    await api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'neo@acme.test' } });
    const token = tokenIn((await server.mail.take('neo@acme.test', 'password_reset')).body);
    const dump = JSON.stringify([await server.ctx.db('mail_outbox'), await server.ctx.db('user_tokens')]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(createHash('sha256').update(token).digest('hex'));
    const row = await server.ctx.db('mail_outbox').where({ kind: 'password_reset' }).orderBy('id', 'desc').first();
    expect(row.body).toContain('[redacted]');
    expect(row.sent_at).not.toBeNull();
  });
});
