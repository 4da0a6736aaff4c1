// MFA in the JSON API: enrolment with a real authenticator computation, the guide's "MFA Required" body,
// single-use short-lived mfaTokens, no replay, backup codes, tenant policy `required`.
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { totp } from '../helpers/totp.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { resetMfa } from '../../src/services/mfa.ts';

const PASSWORD = 'correct horse battery';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeTenant(server.ctx, 'strict');
  await server.ctx.db('tenants').where({ id: 'strict' }).update({ mfa_policy: 'required' });
  for (const email of ['ann@acme.test', 'bob@acme.test', 'cy@acme.test']) await makeUser(server.ctx, 'acme', email, PASSWORD);
  await makeUser(server.ctx, 'strict', 'sam@strict.test', PASSWORD);
});
afterAll(() => server.stop());

const api = authApi(() => server.url);
const login = (tenant: string, email: string) => api('POST', '/login', { tenant, body: { usernameOrEmail: email, password: PASSWORD } });

/** Signs in, enrols TOTP and activates it; returns the secret and backup codes. */
async function enrol(email: string) {
  const { accessToken } = (await login('acme', email)).body.data;
  const started = await api('POST', '/mfa/totp/enroll', { token: accessToken });
  expect(started.status).toBe(200);
  const { secret, otpauthUri, qrCode } = started.body.data;
  expect(otpauthUri).toMatch(new RegExp(`^otpauth://totp/.*\\?secret=${secret}`));
  expect(qrCode).toMatch(/^data:image\/png;base64,/);
  const activated = await api('POST', '/mfa/totp/activate', { token: accessToken, body: { code: await totp(secret) } });
  expect(activated.status).toBe(200);
  return { secret, backupCodes: activated.body.data.backupCodes as string[], accessToken };
}

it('enrols with a real TOTP, then login answers the guide body and /mfa/verify returns tokens', async () => {
  const { secret, backupCodes, accessToken } = await enrol('ann@acme.test');
  expect(backupCodes).toHaveLength(10);
  expect((await api('GET', '/mfa', { token: accessToken })).body.data).toEqual({
    enabled: true,
    pendingEnrolment: false,
    backupCodesRemaining: 10,
  });
  const stored = await server.ctx.db('user_mfa').first();
  expect(stored.secret_encrypted).not.toContain(secret);

  const res = await login('acme', 'ann@acme.test');
  expect(res.status).toBe(401);
  expect(Object.keys(res.body)).toEqual(['success', 'mfaRequired', 'mfaToken', 'message']);
  expect(res.body).toEqual({ success: false, mfaRequired: true, mfaToken: expect.any(String), message: 'MFA verification required' });

  // The previous step's code was spent on activation; the next one is inside the ±1 step window.
  const verified = await api('POST', '/mfa/verify', { body: { mfaToken: res.body.mfaToken, code: await totp(secret, 1) } });
  expect(verified.status).toBe(200);
  expect(decodeJwt(verified.body.data.accessToken)).toMatchObject({ tenant_id: 'acme', sid: verified.body.data.sessionId });
  const session = await server.ctx.db('sessions').where({ id: verified.body.data.sessionId }).first();
  expect(session.amr).toEqual(['pwd', 'otp']);

  // The mfaToken was single-use.
  const again = await api('POST', '/mfa/verify', { body: { mfaToken: res.body.mfaToken, code: await totp(secret, -1) } });
  expect(again.status).toBe(401);
  expect(again.body.errors[0].code).toBe('INVALID_MFA_TOKEN');
});

it('refuses a replayed code', async () => {
  const { secret } = await enrol('bob@acme.test');
  const code = await totp(secret, 1);
  const first = (await login('acme', 'bob@acme.test')).body.mfaToken;
  expect((await api('POST', '/mfa/verify', { body: { mfaToken: first, code } })).status).toBe(200);
  const second = (await login('acme', 'bob@acme.test')).body.mfaToken;
  const replay = await api('POST', '/mfa/verify', { body: { mfaToken: second, code } });
  expect(replay.status).toBe(401);
  expect(replay.body.errors[0].code).toBe('INVALID_MFA_CODE');
  const failure = await server.ctx.db('audit_events').where({ type: 'mfa.failed' }).whereRaw("data->>'reason' = 'replayed_code'").first();
  expect(failure).toBeDefined();
});

it('kills the mfaToken after five wrong codes', async () => {
  const { secret } = await enrol('cy@acme.test');
  const { mfaToken } = (await login('acme', 'cy@acme.test')).body;
  for (let i = 0; i < 5; i += 1) {
    const wrong = await api('POST', '/mfa/verify', { body: { mfaToken, code: '000000' } });
    expect(wrong.body.errors[0].code).toBe('INVALID_MFA_CODE');
  }
  const dead = await api('POST', '/mfa/verify', { body: { mfaToken, code: await totp(secret, 1) } });
  expect(dead.status).toBe(401);
  expect(dead.body.errors[0]).toEqual({
    code: 'INVALID_MFA_TOKEN',
    message: 'MFA token is invalid or expired',
  });
});

it('expires the mfaToken after five minutes', async () => {
  const { mfaToken } = (await login('acme', 'ann@acme.test')).body;
  const key = `mfa:challenge:{${createHash('sha256').update(mfaToken).digest('base64url')}}`;
  expect(await server.ctx.store.ttl(key)).toBeGreaterThan(290);
  expect(await server.ctx.store.ttl(key)).toBeLessThanOrEqual(300);
});

it('accepts each backup code once', async () => {
  const user = await makeUser(server.ctx, 'acme', 'dee@acme.test', PASSWORD);
  const { backupCodes } = await enrol('dee@acme.test');
  const code = backupCodes[0] as string;
  const first = await api('POST', '/mfa/verify', { body: { mfaToken: (await login('acme', 'dee@acme.test')).body.mfaToken, code } });
  expect(first.status).toBe(200);
  const again = await api('POST', '/mfa/verify', { body: { mfaToken: (await login('acme', 'dee@acme.test')).body.mfaToken, code } });
  expect(again.body.errors[0].code).toBe('INVALID_MFA_CODE');
  expect(await server.ctx.db('audit_events').where({ type: 'mfa.backup_code_used', subject_id: user.id }).first()).toBeDefined();
  const status = await api('GET', '/mfa', { token: first.body.data.accessToken });
  expect(status.body.data.backupCodesRemaining).toBe(9);
});

it('regenerates backup codes and disables MFA with the password; an admin reset removes it', async () => {
  const user = await makeUser(server.ctx, 'acme', 'eli@acme.test', PASSWORD);
  const { secret, backupCodes, accessToken } = await enrol('eli@acme.test');
  const fresh = await api('POST', '/mfa/backup-codes', { token: accessToken, body: { code: await totp(secret, 1) } });
  expect(fresh.body.data.backupCodes).toHaveLength(10);
  expect(fresh.body.data.backupCodes).not.toContain(backupCodes[0]);
  expect((await api('POST', '/mfa/disable', { token: accessToken, body: { password: 'wrong' } })).status).toBe(401);
  expect((await api('POST', '/mfa/disable', { token: accessToken, body: { password: PASSWORD } })).status).toBe(200);
  expect((await login('acme', 'eli@acme.test')).status).toBe(200);

  await enrol('eli@acme.test');
  expect((await login('acme', 'eli@acme.test')).body.mfaRequired).toBe(true);
  await resetMfa(server.ctx, 'acme', user.id, { actorId: 'admin' });
  expect((await login('acme', 'eli@acme.test')).status).toBe(200);
});

it('tenant policy required: no token until the user has enrolled', async () => {
  const res = await login('strict', 'sam@strict.test');
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ success: false, mfaRequired: true, mfaEnrollmentRequired: true, message: 'MFA verification required' });
  const enrolment = await api('POST', '/mfa/enroll', { body: { mfaToken: res.body.mfaToken } });
  expect(enrolment.status).toBe(200);
  const done = await api('POST', '/mfa/verify', { body: { mfaToken: res.body.mfaToken, code: await totp(enrolment.body.data.secret) } });
  expect(done.status).toBe(200);
  expect(done.body.data.backupCodes).toHaveLength(10);
  expect(done.body.data.accessToken).toBeTruthy();
  // From now on, a code is asked for.
  expect((await login('strict', 'sam@strict.test')).body.mfaEnrollmentRequired).toBeUndefined();
});

describe('one sign-in: wrong codes feed lockout, nothing is signed in before the second factor', () => {
  it('counts wrong codes against the user across mfaTokens, so a new password step gives no fresh guesses', async () => {
    // Lockout after 5 failures (the tenant default); each mfaToken alone would allow 5 wrong codes.
    const user = await makeUser(server.ctx, 'acme', 'fay@acme.test', PASSWORD);
    const { secret } = await enrol('fay@acme.test');
    await server.ctx.db('users').where({ id: user.id }).update({ failed_login_count: 0 });
    const sessionsBefore = await server.ctx.db('sessions').where({ user_id: user.id }).count<{ count: string }[]>('id as count');

    const first = (await login('acme', 'fay@acme.test')).body.mfaToken as string;
    for (let i = 0; i < 2; i += 1) {
      expect((await api('POST', '/mfa/verify', { body: { mfaToken: first, code: '000000' } })).body.errors[0].code).toBe(
        'INVALID_MFA_CODE',
      );
    }
    // The correct password of the next attempt neither resets the counter nor starts a session or a sign-in event.
    const second = (await login('acme', 'fay@acme.test')).body.mfaToken as string;
    const row = await server.ctx.db('users').where({ id: user.id }).first('failed_login_count', 'locked_until');
    expect(row).toEqual({ failed_login_count: 2, locked_until: null });
    expect(await server.ctx.db('sessions').where({ user_id: user.id }).count<{ count: string }[]>('id as count')).toEqual(sessionsBefore);
    const signedIn = () =>
      server.ctx.db('audit_events').where({ subject_id: user.id, type: 'signin.succeeded' }).count<{ count: string }[]>('id as count');
    const signInsBefore = await signedIn();

    for (let i = 0; i < 3; i += 1) await api('POST', '/mfa/verify', { body: { mfaToken: second, code: '000000' } });
    const locked = await server.ctx.db('users').where({ id: user.id }).first('locked_until');
    expect(locked.locked_until.getTime()).toBeGreaterThan(Date.now());
    expect(await server.ctx.db('audit_events').where({ subject_id: user.id, type: 'account.locked' }).first()).toBeDefined();
    // The challenge died with the lock, and the right password with the right code no longer helps.
    const dead = await api('POST', '/mfa/verify', { body: { mfaToken: second, code: await totp(secret) } });
    expect(dead.body.errors[0].code).toBe('INVALID_MFA_TOKEN');
    expect((await login('acme', 'fay@acme.test')).body.errors[0].code).toBe('INVALID_CREDENTIALS');
    expect(await signedIn()).toEqual(signInsBefore);
  });

  it('records signin.succeeded and resets the counter only when the second factor passes', async () => {
    const user = await makeUser(server.ctx, 'acme', 'gus@acme.test', PASSWORD);
    const { secret } = await enrol('gus@acme.test');
    const { mfaToken } = (await login('acme', 'gus@acme.test')).body;
    await api('POST', '/mfa/verify', { body: { mfaToken, code: '000000' } });
    const verified = await api('POST', '/mfa/verify', { body: { mfaToken, code: await totp(secret, 1) } });
    expect(verified.status).toBe(200);
    expect((await server.ctx.db('users').where({ id: user.id }).first('failed_login_count')).failed_login_count).toBe(0);
    const event = await server.ctx
      .db('audit_events')
      .where({ subject_id: user.id, type: 'signin.succeeded' })
      .orderBy('id', 'desc')
      .first('data');
    expect(event.data).toEqual({ method: 'pwd otp', sessionId: verified.body.data.sessionId });
    // The JSON API returns no ID token, and none is minted: its tokens carry no `openid` scope.
    expect(decodeJwt(verified.body.data.accessToken).scope).toBe('profile email offline_access');
  });
});
