// Back-channel logout (OpenID Connect Back-Channel Logout 1.0) end to end: relying parties registered with a
// backchannel_logout_uri get a logout token, checked here by a receiver on another port with jose against the
// published JWKS, whichever way the session ends: RP-initiated logout, an admin, a password reset, the session
// limit, the JSON API. A receiver that fails gets the same token again later; every attempt is audited.
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { signedInUser } from '../helpers/admin.ts';
import { BackchannelReceiver as Receiver } from '../helpers/backchannel-receiver.ts';
import { hiddenField, type FormBrowser } from '../helpers/form-browser.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, authApi } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:7777/signed-out';
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

let server: TestServer;
let receiver: Receiver;
let receiverUrl: string;
let jwks: ReturnType<typeof createRemoteJWKSet>;

beforeAll(async () => {
  server = await startTestServer({
    BACKCHANNEL_LOGOUT_POLL_MS: '100',
    BACKCHANNEL_LOGOUT_RETRY_BASE_MS: '50',
    BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: '4',
  });
  receiver = new Receiver();
  receiverUrl = await receiver.listen();
  jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  await makeTenant(server.ctx, 'acme');
  await makeTenant(server.ctx, 'tiny', { sessionLimit: 1, sessionStrategy: 'evict_oldest' });
});
afterAll(async () => {
  await receiver.close();
  await server.stop();
});

/** A confidential client of the tenant whose logout tokens go to `receiverUrl + path`. */
async function rpWithBackchannel(tenantId: string, name: string, path: string, sessionRequired = true) {
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId,
    name,
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [AFTER_LOGOUT],
    firstParty: true,
    backchannelLogoutUri: `${receiverUrl}${path}`,
    backchannelLogoutSessionRequired: sessionRequired,
  });
  return { clientId: client.clientId, rp: await discoverRp(server.url, client.clientId, clientSecret) };
}

async function signInAndRedeem(rp: oidc.Configuration, login: string, password: string, browser?: FormBrowser) {
  const signedIn = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login,
    password,
    ...(browser && { browser }),
  });
  const tokens = await oidc.authorizationCodeGrant(rp, signedIn.callback, {
    pkceCodeVerifier: signedIn.verifier,
    expectedState: signedIn.state,
  });
  return { tokens, browser: signedIn.browser, sessionId: decodeJwt(tokens.access_token).sid as string };
}

/** Polls the queue row of a session's logout token until `done` holds for it (the worker writes after the POST). */
async function queuedLogout(
  sessionId: string,
  done: (row: Record<string, unknown>) => boolean,
  clientId?: string,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [row] = await server.ctx.db('backchannel_logouts').where({ session_id: sessionId, ...(clientId && { client_id: clientId }) });
    if (row && done(row)) return row;
    if (Date.now() > deadline) throw new Error(`the logout token of ${sessionId} never got there: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Everything §2.4 and §2.6 ask a receiver to check, against our published keys. */
async function verifyLogoutToken(token: string, clientId: string): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: server.ctx.config.publicUrl,
    audience: clientId,
    typ: 'logout+jwt',
    maxTokenAge: '2 minutes',
  });
  expect(protectedHeader.alg).toMatch(/^(ES256|RS256)$/);
  expect(payload.events).toEqual({ [LOGOUT_EVENT]: {} });
  expect(payload).not.toHaveProperty('nonce');
  expect(typeof payload.jti).toBe('string');
  expect(typeof payload.iat).toBe('number');
  expect(typeof payload.exp).toBe('number');
  expect(payload.sub ?? payload.sid).toBeDefined();
  return payload;
}

async function auditTypes(
  tenantId: string,
  clientId: string,
): Promise<Array<{ type: string; outcome: string; data: Record<string, unknown> }>> {
  return server.ctx
    .db('audit_events')
    .where({ tenant_id: tenantId, client_id: clientId })
    .where('type', 'like', 'backchannel_logout.%')
    .orderBy('id')
    .select('type', 'outcome', 'data');
}

describe('discovery', () => {
  it('advertises back-channel logout with sessions', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true });
  });
});

describe('registration', () => {
  it('the admin API sets, shows, refuses a bad URI and removes it', async () => {
    const { token } = await signedInUser(server, 'acme', 'reg-admin@acme.test', ['admin']);
    const api = adminApi(() => server.url);
    for (const bad of ['http://rp.example/logout', 'https://rp.example/logout#frag', 'relative/logout']) {
      const refused = await api('POST', '/clients', {
        tenant: 'acme',
        token,
        body: { name: `Bad ${bad}`, redirectUris: [REDIRECT_URI], backchannelLogoutUri: bad },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'backchannelLogoutUri', constraint: 'URL_FORMAT' });
    }
    const created = await api('POST', '/clients', {
      tenant: 'acme',
      token,
      body: { name: 'Registered RP', redirectUris: [REDIRECT_URI], backchannelLogoutUri: 'https://rp.example/logout' },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.client).toMatchObject({
      backchannelLogoutUri: 'https://rp.example/logout',
      backchannelLogoutSessionRequired: false,
    });
    const clientId = created.body.data.client.clientId as string;
    const required = await api('PATCH', `/clients/${clientId}`, {
      tenant: 'acme',
      token,
      body: { backchannelLogoutSessionRequired: true },
    });
    expect(required.body.data.client).toMatchObject({
      backchannelLogoutUri: 'https://rp.example/logout',
      backchannelLogoutSessionRequired: true,
    });
    const removed = await api('PATCH', `/clients/${clientId}`, { tenant: 'acme', token, body: { backchannelLogoutUri: null } });
    expect(removed.body.data.client).toMatchObject({ backchannelLogoutUri: null });
    const stored = await server.ctx.db('clients').where({ client_id: clientId }).first();
    expect(stored.metadata).not.toHaveProperty('backchannel_logout_uri');
  });

  it('dynamic registration accepts backchannel_logout_uri with the same rules, and such a client is logged out too', async () => {
    const { token } = await signedInUser(server, 'acme', 'dyn-admin@acme.test', ['admin']);
    const iat = (await adminApi(() => server.url)('POST', '/initial-access-tokens', { tenant: 'acme', token, body: { expiresIn: 600 } }))
      .body.data.initialAccessToken as string;
    const register = (body: Record<string, unknown>) =>
      fetch(`${server.url}/oauth2/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${iat}` },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI], post_logout_redirect_uris: [AFTER_LOGOUT], ...body }),
      });
    const bad = await register({ client_name: 'Dyn bad', backchannel_logout_uri: 'http://internal.example/logout' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client_metadata' });

    const res = await register({
      client_name: 'Dyn RP',
      backchannel_logout_uri: `${receiverUrl}/dynamic`,
      backchannel_logout_session_required: true,
    });
    expect(res.status).toBe(201);
    const registered = (await res.json()) as { client_id: string; client_secret: string; backchannel_logout_uri: string };
    expect(registered.backchannel_logout_uri).toBe(`${receiverUrl}/dynamic`);

    const user = await makeUser(server.ctx, 'acme', 'dyn@acme.test');
    const rp = await discoverRp(server.url, registered.client_id, registered.client_secret);
    const { tokens, sessionId } = await signInAndRedeem(rp, user.email, user.password);
    const ended = await adminApi(() => server.url)('DELETE', `/users/${user.id}/sessions/${sessionId}`, { tenant: 'acme', token });
    expect(ended.status).toBe(200);
    const [received] = await receiver.tokensAt('/dynamic');
    expect(await verifyLogoutToken(received?.token as string, registered.client_id)).toMatchObject({
      sub: user.id,
      sid: tokens.claims()?.sid,
    });
  });
});

describe('RP-initiated logout at /oauth2/logout', () => {
  it('sends every client of the browser session a logout token whose sid is the one in its ID token', async () => {
    const user = await makeUser(server.ctx, 'acme', 'ann@acme.test');
    const first = await rpWithBackchannel('acme', 'First app', '/first');
    const second = await rpWithBackchannel('acme', 'Second app', '/second');
    const one = await signInAndRedeem(first.rp, user.email, user.password);
    // Single sign-on: the same browser, the same Gatehouse session, a second client.
    const two = await signInAndRedeem(second.rp, user.email, user.password, one.browser);
    expect(two.sessionId).toBe(one.sessionId);
    const firstSid = one.tokens.claims()?.sid;
    const secondSid = two.tokens.claims()?.sid;
    expect(typeof firstSid).toBe('string');
    expect(typeof secondSid).toBe('string');

    const url = oidc.buildEndSessionUrl(first.rp, { id_token_hint: one.tokens.id_token as string, post_logout_redirect_uri: AFTER_LOGOUT });
    const confirm = await one.browser.get(url.href);
    const page = await confirm.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1] as string;
    const done = await one.browser.post(new URL(action, server.url).href, { xsrf: hiddenField(page, 'xsrf'), logout: 'yes' });
    expect(done.status).toBe(303);

    const [toFirst] = await receiver.tokensAt('/first');
    const [toSecond] = await receiver.tokensAt('/second');
    expect(toFirst?.contentType).toBe('application/x-www-form-urlencoded');
    expect(await verifyLogoutToken(toFirst?.token as string, first.clientId)).toMatchObject({ sub: user.id, sid: firstSid });
    expect(await verifyLogoutToken(toSecond?.token as string, second.clientId)).toMatchObject({ sub: user.id, sid: secondSid });
    // A token for one client is no token for another.
    await expect(verifyLogoutToken(toFirst?.token as string, second.clientId)).rejects.toThrow();
    // Exactly one token each: the library's own unqueued delivery does not send a second one.
    await server.oidc.backchannelLogouts.drain();
    expect(receiver.received.filter((r) => r.path === '/first' || r.path === '/second')).toHaveLength(2);
    await queuedLogout(one.sessionId, (r) => r.delivered_at !== null, first.clientId);
    expect(await auditTypes('acme', first.clientId)).toEqual([
      expect.objectContaining({
        type: 'backchannel_logout.delivered',
        outcome: 'success',
        data: expect.objectContaining({ attempt: 1, status: 200 }),
      }),
    ]);
  });
});

describe('sessions ended outside the browser', () => {
  it('an admin ending the session', async () => {
    const user = await makeUser(server.ctx, 'acme', 'bob@acme.test');
    const app = await rpWithBackchannel('acme', 'Admin-ended app', '/admin-ended');
    const { tokens, sessionId } = await signInAndRedeem(app.rp, user.email, user.password);
    const { token } = await signedInUser(server, 'acme', 'root@acme.test', ['admin']);
    const ended = await adminApi(() => server.url)('DELETE', `/users/${user.id}/sessions/${sessionId}`, { tenant: 'acme', token });
    expect(ended.status).toBe(200);
    const [received] = await receiver.tokensAt('/admin-ended');
    expect(await verifyLogoutToken(received?.token as string, app.clientId)).toMatchObject({ sub: user.id, sid: tokens.claims()?.sid });
  });

  it('an admin disabling the user', async () => {
    const user = await makeUser(server.ctx, 'acme', 'ida@acme.test');
    const app = await rpWithBackchannel('acme', 'Disabled app', '/disabled');
    const { tokens } = await signInAndRedeem(app.rp, user.email, user.password);
    const { token } = await signedInUser(server, 'acme', 'root5@acme.test', ['admin']);
    const disabled = await adminApi(() => server.url)('POST', `/users/${user.id}/disable`, { tenant: 'acme', token });
    expect(disabled.body.data.sessionsEnded).toBe(1);
    const [received] = await receiver.tokensAt('/disabled');
    expect(await verifyLogoutToken(received?.token as string, app.clientId)).toMatchObject({ sub: user.id, sid: tokens.claims()?.sid });
  });

  it('a password reset ending every session of the user', async () => {
    const user = await makeUser(server.ctx, 'acme', 'cat@acme.test');
    const app = await rpWithBackchannel('acme', 'Reset app', '/reset');
    const first = await signInAndRedeem(app.rp, user.email, user.password);
    const second = await signInAndRedeem(app.rp, user.email, user.password);
    expect(second.sessionId).not.toBe(first.sessionId);
    const api = authApi(() => server.url);
    expect((await api('POST', '/password/forgot', { tenant: 'acme', body: { email: user.email } })).status).toBe(202);
    const token = /[?&]token=([\w-]+)/.exec((await server.mail.take(user.email, 'password_reset')).body)?.[1] as string;
    const reset = await api('POST', '/password/reset', { tenant: 'acme', body: { token, password: 'a brand new passphrase' } });
    expect(reset.status).toBe(200);

    const received = await receiver.tokensAt('/reset', 2);
    const sids = await Promise.all(received.map(async (r) => (await verifyLogoutToken(r.token, app.clientId)).sid));
    expect(new Set(sids)).toEqual(new Set([first.tokens.claims()?.sid, second.tokens.claims()?.sid]));
  });

  it('the session limit evicting the oldest session', async () => {
    const user = await makeUser(server.ctx, 'tiny', 'dan@tiny.test');
    const app = await rpWithBackchannel('tiny', 'Tiny app', '/evicted');
    const oldest = await signInAndRedeem(app.rp, user.email, user.password);
    expect(receiver.received.filter((r) => r.path === '/evicted')).toEqual([]);
    await signInAndRedeem(app.rp, user.email, user.password);
    const [received] = await receiver.tokensAt('/evicted');
    expect(await verifyLogoutToken(received?.token as string, app.clientId)).toMatchObject({
      sub: user.id,
      sid: oldest.tokens.claims()?.sid,
    });
    const row = await server.ctx.db('sessions').where({ id: oldest.sessionId }).first();
    expect(row.end_reason).toBe('evicted');
  });

  it('the person ending it through the JSON API (DELETE /sessions/:id)', async () => {
    const { user, token } = await signedInUser(server, 'acme', 'eve@acme.test', ['member']);
    const app = await rpWithBackchannel('acme', 'Json-ended app', '/json-ended', false);
    const { sessionId } = await signInAndRedeem(app.rp, user.email, user.password);
    const del = await authApi(() => server.url)('DELETE', `/sessions/${sessionId}`, { token });
    expect(del.status).toBe(200);
    const [received] = await receiver.tokensAt('/json-ended');
    expect(await verifyLogoutToken(received?.token as string, app.clientId)).toMatchObject({ sub: user.id });
  });

  it('a client that never took part in the session gets nothing, and nor does one without a URI', async () => {
    const user = await makeUser(server.ctx, 'acme', 'fay@acme.test');
    const bystander = await rpWithBackchannel('acme', 'Bystander app', '/bystander');
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'No-URI app',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
    });
    const { sessionId } = await signInAndRedeem(await discoverRp(server.url, client.clientId, clientSecret), user.email, user.password);
    const { token } = await signedInUser(server, 'acme', 'root2@acme.test', ['admin']);
    await adminApi(() => server.url)('DELETE', `/users/${user.id}/sessions/${sessionId}`, { tenant: 'acme', token });
    await server.oidc.backchannelLogouts.drain();
    expect(await server.ctx.db('backchannel_logouts').where({ session_id: sessionId })).toEqual([]);
    expect(receiver.received.filter((r) => r.path === '/bystander')).toEqual([]);
    expect(bystander.clientId).toBeTruthy();
  });
});

describe('delivery', () => {
  it('retries a failing receiver with backoff and delivers the same token id; every attempt is audited', async () => {
    const user = await makeUser(server.ctx, 'acme', 'gil@acme.test');
    const app = await rpWithBackchannel('acme', 'Flaky app', '/flaky');
    receiver.failFirst.set('/flaky', 2);
    const { tokens, sessionId } = await signInAndRedeem(app.rp, user.email, user.password);
    const { token } = await signedInUser(server, 'acme', 'root3@acme.test', ['admin']);
    await adminApi(() => server.url)('DELETE', `/users/${user.id}/sessions/${sessionId}`, { tenant: 'acme', token });

    const [received] = await receiver.tokensAt('/flaky');
    const payload = await verifyLogoutToken(received?.token as string, app.clientId);
    expect(payload.sid).toBe(tokens.claims()?.sid);
    const row = await queuedLogout(sessionId, (r) => r.delivered_at !== null);
    expect(row).toMatchObject({ attempts: 3, jti: payload.jti, abandoned_at: null });
    expect((await auditTypes('acme', app.clientId)).map((e) => [e.type, e.data.attempt, e.data.status ?? null])).toEqual([
      ['backchannel_logout.failed', 1, 503],
      ['backchannel_logout.failed', 2, 503],
      ['backchannel_logout.delivered', 3, 200],
    ]);
  });

  // Two server processes on one database: embedded PGlite is single-process.
  describeWithSharedServices('across processes', () => {
    it('two processes on one database share the queue: each token goes out once', async () => {
      // One deployment: the same issuer, whichever process signs.
      const second = await startTestServer(
        { PUBLIC_URL: server.ctx.config.publicUrl, BACKCHANNEL_LOGOUT_POLL_MS: '50', BACKCHANNEL_LOGOUT_RETRY_BASE_MS: '50' },
        server.env,
      );
      try {
        const user = await makeUser(server.ctx, 'acme', 'jo@acme.test');
        const app = await rpWithBackchannel('acme', 'Shared app', '/shared');
        const sids = new Set<unknown>();
        for (let i = 0; i < 6; i += 1) sids.add((await signInAndRedeem(app.rp, user.email, user.password)).tokens.claims()?.sid);
        const { token } = await signedInUser(server, 'acme', 'root6@acme.test', ['admin']);
        const ended = await adminApi(() => server.url)('DELETE', `/users/${user.id}/sessions`, { tenant: 'acme', token });
        expect(ended.body.data.ended).toBe(6);

        const received = await receiver.tokensAt('/shared', 6);
        const payloads = await Promise.all(received.map((r) => verifyLogoutToken(r.token, app.clientId)));
        expect(new Set(payloads.map((p) => p.sid))).toEqual(sids);
        // Both workers have looked at the queue again since: nothing was sent twice.
        await Promise.all([server.oidc.backchannelLogouts.drain(), second.oidc.backchannelLogouts.drain()]);
        expect(receiver.received.filter((r) => r.path === '/shared')).toHaveLength(6);
        expect(new Set(payloads.map((p) => p.jti)).size).toBe(6);
      } finally {
        await second.stop();
      }
    });
  });

  it('gives up after the configured attempts and audits that it did', async () => {
    const user = await makeUser(server.ctx, 'acme', 'hal@acme.test');
    const app = await rpWithBackchannel('acme', 'Dead app', '/dead');
    receiver.failFirst.set('/dead', 100);
    const { sessionId } = await signInAndRedeem(app.rp, user.email, user.password);
    const { token } = await signedInUser(server, 'acme', 'root4@acme.test', ['admin']);
    await adminApi(() => server.url)('DELETE', `/users/${user.id}/sessions/${sessionId}`, { tenant: 'acme', token });

    const row = await queuedLogout(sessionId, (r) => r.abandoned_at !== null);
    expect(row).toMatchObject({ attempts: 4, delivered_at: null });
    const types = (await auditTypes('acme', app.clientId)).map((e) => e.type);
    expect(types).toEqual([
      'backchannel_logout.failed',
      'backchannel_logout.failed',
      'backchannel_logout.failed',
      'backchannel_logout.abandoned',
    ]);
  });
});
