// The second factor in the login pages: the TOTP step, backup codes, and forced enrolment with a QR code.
import * as oidc from 'openid-client';
import { FormBrowser, formAction, hiddenField } from '../helpers/form-browser.ts';
import { makeFirstPartyRp, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authorizeUrl, submitLogin } from '../helpers/oidc-flow.ts';
import { totp } from '../helpers/totp.ts';
import { authApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { activateEnrolment, beginEnrolment } from '../../src/services/mfa.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const PASSWORD = 'correct horse battery';
let server: TestServer;
const rps: Record<string, oidc.Configuration> = {};

beforeAll(async () => {
  server = await startTestServer();
  for (const tenant of ['acme', 'strict', 'small']) {
    await makeTenant(server.ctx, tenant, tenant === 'small' ? { sessionLimit: 1, sessionStrategy: 'reject' } : {});
    rps[tenant] = await makeFirstPartyRp(server.ctx, server.url, tenant, REDIRECT_URI, `${tenant} app`);
  }
  await server.ctx.db('tenants').where({ id: 'strict' }).update({ mfa_policy: 'required' });
});
afterAll(() => server.stop());

async function withMfa(email: string) {
  const user = await makeUser(server.ctx, 'acme', email, PASSWORD);
  const { secret } = await beginEnrolment(server.ctx, 'acme', user.id, {});
  const backupCodes = await activateEnrolment(server.ctx, 'acme', user.id, await totp(secret), {});
  return { user, secret, backupCodes };
}

/** Password step through the pages; returns the page that follows it (the second factor, at the same interaction). */
async function passwordStep(tenant: string, email: string) {
  const browser = new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const start = await browser.follow(
    await authorizeUrl({ rp: rps[tenant] as oidc.Configuration, redirectUri: REDIRECT_URI }, verifier, state),
    server.url,
  );
  const loginPage = await start.res.text();
  const posted = await submitLogin(browser, server.url, loginPage, email, PASSWORD);
  expect(posted.status).toBe(200);
  return { browser, verifier, state, start, loginPage, html: await posted.text() };
}

async function submit(browser: FormBrowser, html: string, path: string, fields: Record<string, string> = {}) {
  return browser.post(new URL(formAction(html, path), server.url).href, { csrf: hiddenField(html, 'csrf'), ...fields });
}

it('asks for the TOTP code after the password and puts otp in the ID token amr', async () => {
  const { user, secret } = await withMfa('ann@acme.test');
  const { browser, verifier, state, html } = await passwordStep('acme', 'ann@acme.test');
  expect(html).toContain('Two-step verification');
  expect(html).toContain('name="code"');
  // The password alone starts no session.
  expect(await server.ctx.db('sessions').where({ user_id: user.id }).select('id')).toEqual([]);

  const wrong = await submit(browser, html, '/mfa', { code: '000000' });
  expect(wrong.status).toBe(401);
  const retry = await wrong.text();
  expect(retry).toContain('That code is not right');

  const done = await submit(browser, retry, '/mfa', { code: await totp(secret, 1) });
  expect(done.status).toBe(303);
  const callback = await browser.follow(new URL(done.headers.get('location') as string, server.url).href, server.url);
  expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);
  const tokens = await oidc.authorizationCodeGrant(rps.acme!, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp'], acr: 'urn:gatehouse:loa:mfa' });
  const sessions = await server.ctx.db('sessions').where({ user_id: user.id }).select('amr');
  expect(sessions).toEqual([{ amr: ['pwd', 'otp'] }]);
});

it('accepts a backup code on the MFA page', async () => {
  const { backupCodes } = await withMfa('bob@acme.test');
  const { browser, verifier, state, html } = await passwordStep('acme', 'bob@acme.test');
  const done = await submit(browser, html, '/mfa', { code: backupCodes[3] as string });
  const callback = await browser.follow(new URL(done.headers.get('location') as string, server.url).href, server.url);
  const tokens = await oidc.authorizationCodeGrant(rps.acme!, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.claims()?.amr).toContain('otp');
});

it('sends the person back to the client with access_denied after five wrong codes', async () => {
  await withMfa('cy@acme.test');
  const { browser, html } = await passwordStep('acme', 'cy@acme.test');
  let page = html;
  let res: Response | undefined;
  for (let i = 0; i < 5; i += 1) {
    res = await submit(browser, page, '/mfa', { code: '000000' });
    if (res.status === 303) break;
    page = await res.text();
  }
  expect(res?.status).toBe(303);
  const end = await browser.follow(new URL(res?.headers.get('location') as string, server.url).href, server.url);
  expect(new URL(end.url).searchParams.get('error')).toBe('access_denied');
});

it('tenant policy required: enrolment with a QR code comes before any code is issued', async () => {
  await makeUser(server.ctx, 'strict', 'sam@strict.test', PASSWORD);
  const { browser, verifier, state, html } = await passwordStep('strict', 'sam@strict.test');
  expect(html).toContain('Set up two-step verification');
  expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="QR code/);
  const secret = /Enter this key in the app: <code[^>]*>([A-Z2-7]+)<\/code>/.exec(html)?.[1] as string;

  const activated = await submit(browser, html, '/mfa', { code: await totp(secret) });
  expect(activated.status).toBe(200);
  const codesPage = await activated.text();
  expect(codesPage.match(/<li>[a-z2-9]{5}-[a-z2-9]{5}<\/li>/g)).toHaveLength(10);
  expect(await server.ctx.db('user_mfa').where({ tenant_id: 'strict', status: 'active' }).first()).toBeDefined();

  const cont = await submit(browser, codesPage, '/mfa/continue');
  expect(cont.status).toBe(303);
  const callback = await browser.follow(new URL(cont.headers.get('location') as string, server.url).href, server.url);
  const tokens = await oidc.authorizationCodeGrant(rps.strict!, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  expect(tokens.claims()?.amr).toEqual(['pwd', 'otp']);
});

const api = authApi(() => server.url);

it('keeps the browser signed out between the password and the code: a new authorization asks for the password again', async () => {
  await withMfa('dot@acme.test');
  const { browser, html } = await passwordStep('acme', 'dot@acme.test');
  expect(html).toContain('Two-step verification');
  const again = await browser.follow(
    await authorizeUrl(
      { rp: rps.acme as oidc.Configuration, redirectUri: REDIRECT_URI },
      oidc.randomPKCECodeVerifier(),
      oidc.randomState(),
    ),
    server.url,
  );
  const page = await again.res.text();
  expect(page).toContain('name="password"');
  expect(page).not.toContain('Two-step verification');
});

it('counts wrong codes on the page and in the JSON API together towards lockout', async () => {
  const { user, secret } = await withMfa('eve@acme.test');
  const { browser, html } = await passwordStep('acme', 'eve@acme.test');
  let page = html;
  for (let i = 0; i < 3; i += 1) {
    const res = await submit(browser, page, '/mfa', { code: '000000' });
    expect(res.status).toBe(401);
    page = await res.text();
  }
  const { mfaToken } = (await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'eve@acme.test', password: PASSWORD } }))
    .body;
  for (let i = 0; i < 2; i += 1) await api('POST', '/mfa/verify', { body: { mfaToken, code: '000000' } });
  const row = await server.ctx.db('users').where({ id: user.id }).first('locked_until');
  expect(row.locked_until.getTime()).toBeGreaterThan(Date.now());
  // The page's own challenge dies with the lock: even the right code ends this sign-in.
  const late = await submit(browser, page, '/mfa', { code: await totp(secret, 1) });
  expect(late.status).toBe(303);
  const end = await browser.follow(new URL(late.headers.get('location') as string, server.url).href, server.url);
  expect(new URL(end.url).searchParams.get('error')).toBe('access_denied');
  expect(await server.ctx.db('sessions').where({ user_id: user.id }).first()).toBeUndefined();
});

it('at the session limit, offers to end the oldest session after the sign-in instead of leaving the person stuck', async () => {
  const user = await makeUser(server.ctx, 'small', 'fin@small.test', PASSWORD);
  const first = await api('POST', '/login', { tenant: 'small', body: { usernameOrEmail: 'fin@small.test', password: PASSWORD } });
  expect(first.status).toBe(200);

  const browser = new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const start = await browser.follow(
    await authorizeUrl({ rp: rps.small as oidc.Configuration, redirectUri: REDIRECT_URI }, verifier, state),
    server.url,
  );
  const limited = await submitLogin(browser, server.url, await start.res.text(), 'fin@small.test', PASSWORD);
  expect(limited.status).toBe(409);
  const offer = await limited.text();
  expect(offer).toContain('Sign out of my oldest session and continue');

  const evicted = await submit(browser, offer, '/evict');
  expect(evicted.status).toBe(303);
  const callback = await browser.follow(new URL(evicted.headers.get('location') as string, server.url).href, server.url);
  const tokens = await oidc.authorizationCodeGrant(rps.small!, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.access_token).toBeTruthy();
  const live = await server.ctx.db('sessions').where({ user_id: user.id }).whereNull('ended_at').select('id');
  expect(live).toHaveLength(1);
  expect(live[0].id).not.toBe(first.body.data.sessionId);
  const refresh = await api('POST', '/refresh', { body: { refreshToken: first.body.data.refreshToken } });
  expect(refresh.body.errors[0].code).toBe('SESSION_NOT_FOUND');
});

it('at the session limit, ends only a session of the person signing in that they chose, then continues', async () => {
  await makeUser(server.ctx, 'small', 'gus@small.test', PASSWORD);
  const stranger = await makeUser(server.ctx, 'small', 'hal@small.test', PASSWORD);
  const mine = await api('POST', '/login', { tenant: 'small', body: { usernameOrEmail: 'gus@small.test', password: PASSWORD } });
  const theirs = await api('POST', '/login', { tenant: 'small', body: { usernameOrEmail: 'hal@small.test', password: PASSWORD } });

  const browser = new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const start = await browser.follow(
    await authorizeUrl({ rp: rps.small as oidc.Configuration, redirectUri: REDIRECT_URI }, verifier, state),
    server.url,
  );
  const limited = await submitLogin(browser, server.url, await start.res.text(), 'gus@small.test', PASSWORD);
  expect(limited.status).toBe(409);
  const offer = await limited.text();
  // The page lists the person's own sessions only, each with its own form.
  expect(offer).toContain(`value="${mine.body.data.sessionId}"`);
  expect(offer).not.toContain(theirs.body.data.sessionId);

  // Another user's session id ends nothing: the limit still holds and the page comes back.
  const wrong = await submit(browser, offer, '/end-session', { sessionId: theirs.body.data.sessionId });
  expect(wrong.status).toBe(409);
  const stillLive = await server.ctx.db('sessions').where({ id: theirs.body.data.sessionId }).first('ended_at');
  expect(stillLive.ended_at).toBeNull();
  // pg answers a count as text, embedded PGlite as a number.
  const [strangers] = await server.ctx.db('sessions').where({ user_id: stranger.id }).whereNull('ended_at').count('* as n');
  expect(Number(strangers?.n)).toBe(1);

  const chosen = await submit(browser, await wrong.text(), '/end-session', { sessionId: mine.body.data.sessionId });
  expect(chosen.status).toBe(303);
  const callback = await browser.follow(new URL(chosen.headers.get('location') as string, server.url).href, server.url);
  const tokens = await oidc.authorizationCodeGrant(rps.small!, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.access_token).toBeTruthy();
  const refresh = await api('POST', '/refresh', { body: { refreshToken: mine.body.data.refreshToken } });
  expect(refresh.body.errors[0].code).toBe('SESSION_NOT_FOUND');
  expect((await api('POST', '/refresh', { body: { refreshToken: theirs.body.data.refreshToken } })).status).toBe(200);
});

describe('a sign-in waiting at the session limit', () => {
  /** Signs in through the pages up to the session-limit offer (the account already has its one session). */
  async function atTheLimit(email: string) {
    const first = await api('POST', '/login', { tenant: 'small', body: { usernameOrEmail: email, password: PASSWORD } });
    expect(first.status).toBe(200);
    const browser = new FormBrowser();
    const start = await browser.follow(
      await authorizeUrl(
        { rp: rps.small as oidc.Configuration, redirectUri: REDIRECT_URI },
        oidc.randomPKCECodeVerifier(),
        oidc.randomState(),
      ),
      server.url,
    );
    const limited = await submitLogin(browser, server.url, await start.res.text(), email, PASSWORD);
    expect(limited.status).toBe(409);
    return { browser, offer: await limited.text(), first: first.body.data as { sessionId: string } };
  }

  const liveSessions = (userId: string) => server.ctx.db('sessions').where({ user_id: userId }).whereNull('ended_at').select('id');

  it('does not outlive a password reset by the owner: ending a session there signs nobody in', async () => {
    const user = await makeUser(server.ctx, 'small', 'ivy@small.test', PASSWORD);
    const { browser, offer } = await atTheLimit('ivy@small.test');

    // The owner notices and resets the password, which ends every session of the account.
    expect((await api('POST', '/password/forgot', { tenant: 'small', body: { email: 'ivy@small.test' } })).status).toBe(202);
    const link = new URL(/http\S+\/password\/reset\?\S+/.exec((await server.mail.take('ivy@small.test', 'password_reset')).body)![0]);
    const reset = await api('POST', '/password/reset', {
      tenant: 'small',
      body: { token: link.searchParams.get('token'), password: 'the owner chose this one' },
    });
    expect(reset.status).toBe(200);
    expect(await liveSessions(user.id)).toEqual([]);

    // Whoever waits at the offer (an intruder who had the old password, say) is sent back to the login page.
    const evicted = await submit(browser, offer, '/evict');
    expect(evicted.status).toBe(303);
    const again = await browser.follow(new URL(evicted.headers.get('location') as string, server.url).href, server.url);
    expect(await again.res.text()).toContain('name="usernameOrEmail"');
    expect(await liveSessions(user.id)).toEqual([]);
  });

  it('does not outlive a lockout: the waiting sign-in ends no session and starts none', async () => {
    const user = await makeUser(server.ctx, 'small', 'jo@small.test', PASSWORD);
    const { browser, offer, first } = await atTheLimit('jo@small.test');
    for (let i = 0; i < 5; i++)
      await api('POST', '/login', { tenant: 'small', body: { usernameOrEmail: 'jo@small.test', password: `wrong guess ${i}` } });

    const chosen = await submit(browser, offer, '/end-session', { sessionId: first.sessionId });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.get('location')).toMatch(/^\/interaction\/[\w-]+$/);
    expect((await liveSessions(user.id)).map((s: { id: string }) => s.id)).toEqual([first.sessionId]);
  });
});
