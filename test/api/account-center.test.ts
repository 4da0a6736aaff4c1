// The account center's JSON routes on a real server: re-authentication before sensitive changes, password change
// that ends the other sessions, email change confirmed from the new mailbox, the verification mail again,
// connected third-party apps whose refresh tokens die when disconnected, and the person's own activity — each
// refused across tenants, users and to third-party tokens.
import * as oidc from 'openid-client';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, authApi } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { totp } from '../helpers/totp.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { updateUserProfile } from '../../src/db/queries/users.ts';
import { createApiResource, setClientResourceScopes } from '../../src/services/api-resources.ts';

const PASSWORD = 'correct horse battery';
const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
let server: TestServer;
let rp: oidc.Configuration;
let partnerId: string;
const api = authApi(() => server.url);

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeTenant(server.ctx, 'beta');
  for (const email of ['ann@acme.test', 'bob@acme.test', 'cy@acme.test', 'dee@acme.test', 'eve@acme.test', 'fay@acme.test'])
    await makeUser(server.ctx, 'acme', email, PASSWORD);
  await makeUser(server.ctx, 'beta', 'ann@beta.test', PASSWORD);
  await makeUser(server.ctx, 'acme', 'boss@acme.test', PASSWORD, ['admin']);
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Partner App',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  partnerId = client.clientId;
  rp = await discoverRp(server.url, client.clientId, clientSecret);
});
afterAll(() => server.stop());

async function login(tenant: string, email: string, password = PASSWORD) {
  const res = await api('POST', '/login', { tenant, body: { usernameOrEmail: email, password } });
  expect(res.status).toBe(200);
  return res.body.data as { accessToken: string; refreshToken: string; sessionId: string; user: { id: string } };
}

/** Moves a session's sign-in out of the re-authentication window (as if it had started ten minutes ago). */
async function age(sessionId: string) {
  await server.ctx
    .db('sessions')
    .where({ id: sessionId })
    .update({ created_at: new Date(Date.now() - 10 * 60_000) });
}

it('asks a stale session to re-authenticate before a password change, which can end the other sessions', async () => {
  const other = await login('acme', 'ann@acme.test');
  const me = await login('acme', 'ann@acme.test');
  await age(me.sessionId);
  const body = { currentPassword: PASSWORD, newPassword: 'a brand new passphrase', endOtherSessions: true };

  const stale = await api('POST', '/password/change', { token: me.accessToken, body });
  expect(stale.status).toBe(403);
  expect(stale.body.errors[0]).toEqual({ code: 'REAUTHENTICATION_REQUIRED', message: 'Recent authentication is required for this change' });

  const wrong = await api('POST', '/reauthenticate', { token: me.accessToken, body: { password: 'not my password' } });
  expect(wrong.status).toBe(401);
  expect(wrong.body.errors[0].code).toBe('INVALID_CREDENTIALS');
  const reauth = await api('POST', '/reauthenticate', { token: me.accessToken, body: { password: PASSWORD } });
  expect(reauth.status).toBe(200);
  expect(Date.parse(reauth.body.data.validUntil)).toBeGreaterThan(Date.now());

  // The window belongs to the session that re-authenticated, not to the user's other sessions.
  await age(other.sessionId);
  expect((await api('POST', '/email/change', { token: other.accessToken, body: { email: 'x@acme.test' } })).status).toBe(403);

  const badCurrent = await api('POST', '/password/change', { token: me.accessToken, body: { ...body, currentPassword: 'wrong one' } });
  expect(badCurrent.status).toBe(401);
  expect(badCurrent.body.errors[0]).toMatchObject({ code: 'INVALID_CREDENTIALS', field: 'currentPassword' });

  const changed = await api('POST', '/password/change', { token: me.accessToken, body });
  expect(changed.status).toBe(200);
  expect(changed.body.data).toEqual({ passwordChanged: true, sessionsEnded: 1 });
  expect((await api('POST', '/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(401);
  expect((await api('GET', '/me', { token: me.accessToken })).status).toBe(200);
  expect((await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } })).status).toBe(
    401,
  );
  await login('acme', 'ann@acme.test', 'a brand new passphrase');
});

it('needs the second factor to re-authenticate when MFA is on, and a fresh sign-in to turn MFA off', async () => {
  const me = await login('acme', 'bob@acme.test');
  const { secret } = (await api('POST', '/mfa/totp/enroll', { token: me.accessToken })).body.data;
  expect((await api('POST', '/mfa/totp/activate', { token: me.accessToken, body: { code: await totp(secret) } })).status).toBe(200);
  await age(me.sessionId);

  const stale = await api('POST', '/mfa/disable', { token: me.accessToken, body: { password: PASSWORD } });
  expect(stale.status).toBe(403);
  expect(stale.body.errors[0].code).toBe('REAUTHENTICATION_REQUIRED');
  const noCode = await api('POST', '/reauthenticate', { token: me.accessToken, body: { password: PASSWORD } });
  expect(noCode.status).toBe(401);
  expect(noCode.body.errors[0]).toMatchObject({ code: 'INVALID_MFA_CODE', field: 'code' });
  const withCode = await api('POST', '/reauthenticate', {
    token: me.accessToken,
    body: { password: PASSWORD, code: await totp(secret, 1) },
  });
  expect(withCode.status).toBe(200);
  const off = await api('POST', '/mfa/disable', { token: me.accessToken, body: { password: PASSWORD } });
  expect(off.status).toBe(200);
  expect(off.body.data).toEqual({ enabled: false, requiredByTenant: false });
});

it('changes the email only once the new address opens its link; a taken address gets the same answer', async () => {
  const me = await login('acme', 'cy@acme.test');
  const taken = await api('POST', '/email/change', { token: me.accessToken, body: { email: 'dee@acme.test' } });
  const free = await api('POST', '/email/change', { token: me.accessToken, body: { email: 'cy.new@acme.test' } });
  expect(taken.status).toBe(202);
  expect(free.status).toBe(202);
  expect(taken.body.data).toEqual(free.body.data);
  expect((await server.mail.take('dee@acme.test', 'email_change_taken')).body).not.toMatch(/token=/);
  expect((await server.mail.take('cy@acme.test', 'email_change_notice')).body).toContain('cy.new@acme.test');

  // Until the link is opened, nothing changes.
  expect((await api('GET', '/me', { token: me.accessToken })).body.data.user.email).toBe('cy@acme.test');
  const link = new URL(/http\S+\/email\/verify\?\S+/.exec((await server.mail.take('cy.new@acme.test', 'email_change')).body)![0]);
  expect(link.searchParams.get('tenant')).toBe('acme');
  const token = link.searchParams.get('token');
  // Another tenant cannot spend it.
  expect((await api('POST', '/verify-email', { tenant: 'beta', body: { token } })).status).toBe(401);
  expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token } })).status).toBe(200);
  expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token } })).status).toBe(401);
  expect((await api('GET', '/me', { token: me.accessToken })).body.data.user).toMatchObject({
    email: 'cy.new@acme.test',
    emailVerified: true,
  });
  await login('acme', 'cy.new@acme.test');
});

it('mails the verification link again to an unverified address, at most once a minute', async () => {
  const me = await login('acme', 'eve@acme.test');
  expect((await api('POST', '/verify-email/resend', { token: me.accessToken })).body.data).toEqual({ sent: false });
  await updateUserProfile(server.ctx.db, 'acme', me.user.id, { emailVerified: false });
  const sent = await api('POST', '/verify-email/resend', { token: me.accessToken });
  expect(sent.status).toBe(202);
  expect(sent.body.data).toEqual({ sent: true });
  const again = await api('POST', '/verify-email/resend', { token: me.accessToken });
  expect(again.status).toBe(429);
  expect(again.body.errors[0].code).toBe('RATE_LIMIT_EXCEEDED');
  expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
  const link = new URL(/http\S+\/email\/verify\?\S+/.exec((await server.mail.take('eve@acme.test', 'verify_email')).body)![0]);
  expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token: link.searchParams.get('token') } })).status).toBe(200);
  expect((await api('GET', '/me', { token: me.accessToken })).body.data.user.emailVerified).toBe(true);
});

it('lists a connected third-party app and disconnecting it kills its refresh token at /oauth2/token', async () => {
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: 'fay@acme.test',
    password: PASSWORD,
    scope: 'openid email offline_access',
  });
  const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.refresh_token).toBeTruthy();

  const me = await login('acme', 'fay@acme.test');
  const listed = await api('GET', '/apps', { token: me.accessToken });
  expect(listed.status).toBe(200);
  expect(listed.body.data.apps).toEqual([
    {
      clientId: partnerId,
      name: 'Partner App',
      scope: expect.arrayContaining(['openid', 'email']),
      apiScopes: [],
      updatedAt: expect.any(String),
    },
  ]);
  // The app's own token cannot use the account API; nor can another user or tenant touch the consent.
  expect((await api('GET', '/apps', { token: tokens.access_token })).status).toBe(403);
  const dee = await login('acme', 'dee@acme.test');
  expect((await api('GET', '/apps', { token: dee.accessToken })).body.data.apps).toEqual([]);
  expect((await api('DELETE', `/apps/${partnerId}`, { token: dee.accessToken })).status).toBe(404);
  const beta = await login('beta', 'ann@beta.test');
  expect((await api('DELETE', `/apps/${partnerId}`, { token: beta.accessToken })).status).toBe(404);
  expect((await api('DELETE', `/apps/${partnerId}`, { token: me.accessToken, tenant: 'beta' })).status).toBe(403);
  expect((await api('DELETE', '/apps/acme_api', { token: me.accessToken })).status).toBe(404);
  expect(await oidc.refreshTokenGrant(rp, tokens.refresh_token as string).then(() => 'still works')).toBe('still works');

  const revoked = await api('DELETE', `/apps/${partnerId}`, { token: me.accessToken });
  expect(revoked.status).toBe(200);
  expect(revoked.body.data.clientId).toBe(partnerId);
  expect(revoked.body.data.grantsRevoked).toBeGreaterThanOrEqual(1);
  expect((await api('GET', '/apps', { token: me.accessToken })).body.data.apps).toEqual([]);

  const refused = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic(rp)}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }),
  });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toEqual({ error: 'invalid_grant', error_description: 'Refresh token is invalid or expired' });
});

it("shows a person their own security activity and nobody else's", async () => {
  const dee = await login('acme', 'dee@acme.test');
  await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'dee@acme.test', password: 'wrong password' } });
  const mine = await api('GET', '/activity?limit=20', { token: dee.accessToken });
  expect(mine.status).toBe(200);
  const types = mine.body.data.events.map((e: { type: string }) => e.type);
  expect(types).toEqual(expect.arrayContaining(['signin.succeeded', 'signin.failed', 'session.started']));
  expect(mine.body.data.events.find((e: { type: string }) => e.type === 'signin.failed')).toMatchObject({ outcome: 'failure' });
  expect(Object.keys(mine.body.data.events[0]).sort()).toEqual([
    'clientId',
    'createdAt',
    'device',
    'id',
    'ip',
    'outcome',
    'type',
    'userAgent',
  ]);

  // What an admin does to another account is that account's activity, not the admin's.
  const boss = await login('acme', 'boss@acme.test');
  const ended = await adminApi(() => server.url)('DELETE', `/users/${dee.user.id}/sessions`, { token: boss.accessToken });
  expect(ended.status).toBe(200);
  const bossEvents = (await api('GET', '/activity', { token: boss.accessToken })).body.data.events;
  expect(bossEvents.map((e: { type: string }) => e.type)).not.toContain('session.ended');
  const deeAgain = await login('acme', 'dee@acme.test');
  const deeEvents = (await api('GET', '/activity', { token: deeAgain.accessToken })).body.data.events;
  expect(deeEvents.map((e: { type: string }) => e.type)).toContain('session.ended');

  const beta = await login('beta', 'ann@beta.test');
  const theirs = await api('GET', '/activity', { token: beta.accessToken });
  const deeId = dee.user.id;
  expect(theirs.body.data.events.length).toBeGreaterThan(0);
  const rows = await server.ctx.db('audit_events').whereIn(
    'id',
    theirs.body.data.events.map((e: { id: string }) => e.id),
  );
  expect(rows.every((r: { tenant_id: string; subject_id: string }) => r.tenant_id === 'beta' && r.subject_id !== deeId)).toBe(true);
});

function basic(config: oidc.Configuration): string {
  const { client_id: id } = config.clientMetadata();
  const secret = config.clientMetadata().client_secret as string;
  return Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

describe('re-authentication and the account lockout', () => {
  beforeAll(async () => {
    await makeUser(server.ctx, 'acme', 'gus@acme.test', PASSWORD);
    await makeUser(server.ctx, 'acme', 'hal@acme.test', PASSWORD);
    await makeUser(server.ctx, 'acme', 'kim@acme.test', PASSWORD);
    await makeUser(server.ctx, 'acme', 'lia@acme.test', PASSWORD);
  });

  it('refuses a locked account even with the right password, and opens no window', async () => {
    const me = await login('acme', 'gus@acme.test');
    await age(me.sessionId);
    // Someone holding the token guesses the password until the account locks (tenant policy: 5 failures).
    for (let i = 0; i < 5; i++) {
      const wrong = await api('POST', '/reauthenticate', { token: me.accessToken, body: { password: `guess number ${i}` } });
      expect(wrong.status).toBe(401);
    }
    const locked = await api('POST', '/reauthenticate', { token: me.accessToken, body: { password: PASSWORD } });
    expect(locked.status).toBe(401);
    expect(locked.body.errors[0].code).toBe('INVALID_CREDENTIALS');
    const change = await api('POST', '/email/change', { token: me.accessToken, body: { email: 'gus.new@acme.test' } });
    expect(change.status).toBe(403);
    expect(change.body.errors[0].code).toBe('REAUTHENTICATION_REQUIRED');
  });

  it('counts a wrong second-factor code towards the lockout, as at sign-in', async () => {
    const me = await login('acme', 'hal@acme.test');
    const { secret } = (await api('POST', '/mfa/totp/enroll', { token: me.accessToken })).body.data;
    expect((await api('POST', '/mfa/totp/activate', { token: me.accessToken, body: { code: await totp(secret) } })).status).toBe(200);
    await age(me.sessionId);
    // The password is known (phished, say), the second factor is not: codes are guessed at the re-authentication.
    const valid = await Promise.all([-1, 0, 1, 2].map((step) => totp(secret, step)));
    const wrongCodes = ['000000', '111111', '222222', '333333', '444444', '555555', '666666'].filter((c) => !valid.includes(c));
    for (const code of wrongCodes.slice(0, 5)) {
      const wrong = await api('POST', '/reauthenticate', { token: me.accessToken, body: { password: PASSWORD, code } });
      expect(wrong.status).toBe(401);
      expect(wrong.body.errors[0].code).toBe('INVALID_MFA_CODE');
    }
    // Locked now: the right password and code are refused too, and a sign-in meets the lockout.
    const right = await api('POST', '/reauthenticate', {
      token: me.accessToken,
      body: { password: PASSWORD, code: await totp(secret, 1) },
    });
    expect(right.status).toBe(401);
    const signIn = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'hal@acme.test', password: PASSWORD } });
    expect(signIn.status).toBe(401);
    expect(signIn.body.errors[0].code).toBe('INVALID_CREDENTIALS');
    expect(signIn.body.mfaRequired).toBeUndefined();
  });
});

it('voids an earlier email-change link when a newer change is asked: a mistyped address cannot take the account later', async () => {
  const me = await login('acme', 'kim@acme.test');
  const linkTo = async (address: string) =>
    new URL(/http\S+\/email\/verify\?\S+/.exec((await server.mail.take(address, 'email_change')).body)![0]).searchParams.get('token');
  // A typo first (someone else's mailbox), then the address meant.
  expect((await api('POST', '/email/change', { token: me.accessToken, body: { email: 'kim@acme-typo.test' } })).status).toBe(202);
  const typo = await linkTo('kim@acme-typo.test');
  expect((await api('POST', '/email/change', { token: me.accessToken, body: { email: 'kim.new@acme.test' } })).status).toBe(202);
  const meant = await linkTo('kim.new@acme.test');

  const stale = await api('POST', '/verify-email', { tenant: 'acme', body: { token: typo } });
  expect(stale.status).toBe(401);
  expect(stale.body.errors[0].code).toBe('INVALID_TOKEN');
  expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token: meant } })).status).toBe(200);
  expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token: typo } })).status).toBe(401);
  expect((await api('GET', '/me', { token: me.accessToken })).body.data.user.email).toBe('kim.new@acme.test');
});

it('voids the reset links mailed to the old address once the new one is confirmed', async () => {
  // A reset link sits in the old mailbox (the reason to move away from it, say) when the email changes.
  expect((await api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'lia@acme.test' } })).status).toBe(202);
  const resetLink = new URL(/http\S+\/password\/reset\?\S+/.exec((await server.mail.take('lia@acme.test', 'password_reset')).body)![0]);
  const me = await login('acme', 'lia@acme.test');
  expect((await api('POST', '/email/change', { token: me.accessToken, body: { email: 'lia.new@acme.test' } })).status).toBe(202);
  const change = new URL(/http\S+\/email\/verify\?\S+/.exec((await server.mail.take('lia.new@acme.test', 'email_change')).body)![0]);
  expect((await api('POST', '/verify-email', { tenant: 'acme', body: { token: change.searchParams.get('token') } })).status).toBe(200);

  const reset = await api('POST', '/password/reset', {
    tenant: 'acme',
    body: { token: resetLink.searchParams.get('token'), password: 'whoever reads the old mailbox' },
  });
  expect(reset.status).toBe(401);
  expect(reset.body.errors[0].code).toBe('INVALID_TOKEN');
  await login('acme', 'lia.new@acme.test');
});

it('counts email changes against the per-IP registration budget: a signed-in person cannot mail any address at will', async () => {
  const limited = await startTestServer({ RATE_LIMIT_REGISTRATION: '2/600' });
  try {
    await makeTenant(limited.ctx, 'acme');
    await makeUser(limited.ctx, 'acme', 'max@acme.test', PASSWORD);
    const limitedApi = authApi(() => limited.url);
    const me = (await limitedApi('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'max@acme.test', password: PASSWORD } })).body
      .data as { accessToken: string };
    const change = (email: string) => limitedApi('POST', '/email/change', { token: me.accessToken, body: { email } });
    expect((await change('victim1@elsewhere.test')).status).toBe(202);
    expect((await change('victim2@elsewhere.test')).status).toBe(202);
    const refused = await change('victim3@elsewhere.test');
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].code).toBe('RATE_LIMIT_EXCEEDED');
    expect(limited.mail.delivered.some((m) => m.to === 'victim3@elsewhere.test')).toBe(false);
  } finally {
    await limited.stop();
  }
});

it('disconnecting an app withdraws what it was allowed of an API too: the next sign-in asks for those scopes again', async () => {
  const NOTES = 'https://notes.example/api';
  const notes = await createApiResource(
    server.ctx,
    'acme',
    { identifier: NOTES, name: 'Notes', scopes: [{ name: 'notes:read', description: 'Read your notes' }] },
    { actorId: 'test' },
  );
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Notes Viewer',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
  });
  await setClientResourceScopes(server.ctx, 'acme', client.clientId, notes.id, ['notes:read'], { actorId: 'test' });
  await makeUser(server.ctx, 'acme', 'nia@acme.test', PASSWORD);
  const notesRp = await discoverRp(server.url, client.clientId, clientSecret);
  const consentPage = async () => {
    let page = '';
    await signInThroughPages({
      baseUrl: server.url,
      rp: notesRp,
      redirectUri: REDIRECT_URI,
      login: 'nia@acme.test',
      password: PASSWORD,
      scope: 'openid notes:read',
      params: { resource: NOTES },
      onConsentPage: (html) => (page = html),
    });
    return page;
  };
  expect(await consentPage()).toContain('Read your notes');

  const me = await login('acme', 'nia@acme.test');
  expect((await api('DELETE', `/apps/${client.clientId}`, { token: me.accessToken })).status).toBe(200);
  // Disconnected: a new sign-in of the app asks again for everything, the API's scopes included.
  expect(await consentPage()).toContain('Read your notes');
});
