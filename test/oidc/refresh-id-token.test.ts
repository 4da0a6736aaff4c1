// ID tokens at refresh (docs/api.md, "Refreshing tokens"): a refresh returns a new ID token only when its request names
// `openid` in `scope`; the code exchange always returns one. A real relying party (openid-client) makes each call and
// checks what it gets against the JWKS; the wrapper around oidc-provider's IdToken is pinned here against the library.
import * as oidc from 'openid-client';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';

let server: TestServer;
let rp: oidc.Configuration;
let user: { email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  user = await makeUser(server.ctx, 'acme', 'ann@acme.test');
  const { client, clientSecret } = await makeClient(server.ctx, { tenantId: 'acme', name: 'App', redirectUris: [REDIRECT_URI] });
  rp = await discoverRp(server.url, client.clientId, clientSecret);
}, 60_000);
afterAll(() => server.stop());

async function signIn(): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: user.email,
    password: user.password,
  });
  return oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
}

it('returns an ID token at the code exchange, none at a plain refresh, and a fresh one when the refresh asks for openid', async () => {
  const first = await signIn();
  expect(first.claims()?.sub).toEqual(expect.any(String));

  const plain = await oidc.refreshTokenGrant(rp, first.refresh_token as string);
  expect(plain.id_token).toBeUndefined();
  expect(plain.access_token).toEqual(expect.any(String));
  // The access token keeps the grant's whole scope: leaving out `scope` narrows nothing.
  expect(plain.scope?.split(' ').sort()).toEqual(first.scope?.split(' ').sort());

  const asked = await oidc.refreshTokenGrant(rp, plain.refresh_token as string, { scope: 'openid email profile offline_access' });
  expect(asked.claims()).toMatchObject({ sub: first.claims()?.sub, aud: rp.clientMetadata().client_id });
  expect(asked.claims()?.sid).toBe(first.claims()?.sid);

  const userinfo = await oidc.fetchUserInfo(rp, plain.access_token, first.claims()?.sub as string);
  expect(userinfo.email).toBe(user.email);
});

it('a refresh whose scope leaves out openid gets an access token for what it names and no ID token', async () => {
  const first = await signIn();
  const narrowed = await oidc.refreshTokenGrant(rp, first.refresh_token as string, { scope: 'email offline_access' });
  expect(narrowed.id_token).toBeUndefined();
  expect(narrowed.scope?.split(' ').sort()).toEqual(['email', 'offline_access']);
});
