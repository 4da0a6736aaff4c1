// First-party and third-party apps (docs/security.md): a user's access token issued to a third-party client the user
// consented to is refused by the account API (/api/v1/auth/*: TOTP enrolment, ending sessions, /me) and by the admin
// API, while userinfo still answers it; and every verifier refuses a token signed by us for another audience.
import { importJWK, SignJWT, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { loadSigningJwks } from '../../src/services/signing-keys.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, authApi } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const PASSWORD = 'correct horse battery';

let server: TestServer;
let thirdParty: oidc.Configuration;
let firstParty: oidc.Configuration;
let userId: string;
const api = authApi(() => server.url);
const admin = adminApi(() => server.url);

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  // An admin: the third-party app must not get the person's admin rights either.
  userId = (await makeUser(server.ctx, 'acme', 'ann@acme.test', PASSWORD, ['admin'])).id;
  const app = await makeClient(server.ctx, { tenantId: 'acme', name: 'Calendar sync', redirectUris: [REDIRECT_URI], firstParty: false });
  thirdParty = await discoverRp(server.url, app.client.clientId, app.clientSecret);
  const own = await makeClient(server.ctx, { tenantId: 'acme', name: 'Acme CRM', redirectUris: [REDIRECT_URI], firstParty: true });
  firstParty = await discoverRp(server.url, own.client.clientId, own.clientSecret);
}, 60_000);
afterAll(() => server.stop());

async function accessTokenOf(rp: oidc.Configuration): Promise<string> {
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: 'ann@acme.test',
    password: PASSWORD,
  });
  return (await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state })).access_token;
}

it("refuses a consented third-party app's token on the account and admin APIs, and accepts the first-party app's", async () => {
  const own = await accessTokenOf(firstParty);
  const foreign = await accessTokenOf(thirdParty); // signs in and consents through the pages
  expect(decodeJwt(foreign)).toMatchObject({ sub: userId, tenant_id: 'acme', sid: expect.any(String) });
  // A second session of the person, which the app must not be able to end.
  const other = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: PASSWORD } });
  expect(other.status).toBe(200);

  const attempts = [
    await api('GET', '/me', { tenant: 'acme', token: foreign }),
    await api('POST', '/mfa/totp/enroll', { tenant: 'acme', token: foreign }),
    await api('DELETE', '/sessions', { tenant: 'acme', token: foreign }),
    await api('DELETE', `/sessions/${other.body.data.sessionId}`, { tenant: 'acme', token: foreign }),
    await admin('GET', '/users', { tenant: 'acme', token: foreign }),
  ];
  for (const res of attempts) {
    expect(res.status).toBe(403);
    expect(res.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');
    expect(JSON.stringify(res.body)).not.toMatch(/otpauth|secret|backup/i);
  }
  // Nothing happened: no TOTP enrolment started, the other session is live.
  expect(await server.ctx.db('user_mfa').where({ user_id: userId }).first()).toBeUndefined();
  expect((await api('GET', '/me', { tenant: 'acme', token: other.body.data.accessToken })).status).toBe(200);

  // The person's own app, and userinfo for the third-party app, still work.
  expect((await api('GET', '/me', { tenant: 'acme', token: own })).status).toBe(200);
  expect(await oidc.fetchUserInfo(thirdParty, foreign, userId)).toMatchObject({ sub: userId });
});

it('refuses a token we signed for another audience on every verifier: account API, admin API, userinfo, introspection', async () => {
  const genuine = await accessTokenOf(firstParty);
  const { kid, alg } = decodeProtectedHeader(genuine);
  const jwks = await loadSigningJwks(server.ctx);
  const key = jwks.keys.find((k) => k.kid === kid) as JWK;
  const elsewhere = await new SignJWT({ ...decodeJwt(genuine), aud: 'https://other-api.example' })
    .setProtectedHeader({ alg: alg as string, kid: kid as string, typ: 'at+jwt' })
    .sign(await importJWK(key, alg));
  // The same token with our audience passes: only the audience differs.
  expect((await api('GET', '/me', { tenant: 'acme', token: genuine })).status).toBe(200);

  expect((await api('GET', '/me', { tenant: 'acme', token: elsewhere })).status).toBe(401);
  expect((await admin('GET', '/users', { tenant: 'acme', token: elsewhere })).status).toBe(401);
  const userinfo = await fetch(`${server.url}/oauth2/userinfo`, { headers: { Authorization: `Bearer ${elsewhere}` } });
  expect(userinfo.status).toBe(401);
  expect(await oidc.tokenIntrospection(firstParty, elsewhere)).toMatchObject({ active: false });
});
