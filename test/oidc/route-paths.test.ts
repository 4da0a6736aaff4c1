// oidc-provider's router matches its routes in any letter case and with one trailing slash; our middleware in front
// of those routes must match them the same way. Here an authorization request at `/OAuth2/Authorize/` asking for
// offline_access still gets it (koa-offline-access.ts), as at `/oauth2/authorize`.
import * as oidc from 'openid-client';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { isRoutePath } from '../../src/oidc/route-path.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
}, 60_000);
afterAll(() => server.stop());

it('matches a route as the library does: any letter case, one trailing slash, nothing else', () => {
  for (const path of ['/oauth2/authorize', '/OAuth2/Authorize', '/oauth2/authorize/', '/OAUTH2/AUTHORIZE/'])
    expect([path, isRoutePath(path, '/oauth2/authorize')]).toEqual([path, true]);
  for (const path of ['/oauth2/authorize//', '/oauth2/authorizes', '/oauth2/authorize/abc', '/oauth2'])
    expect([path, isRoutePath(path, '/oauth2/authorize')]).toEqual([path, false]);
});

it.each(['/oauth2/authorize', '/OAuth2/Authorize/'])('keeps offline_access for a request at %s', async (path) => {
  const user = await makeUser(server.ctx, 'acme', `ann-${path.length}-${path.charCodeAt(1)}@acme.test`);
  const { client, clientSecret } = await makeClient(server.ctx, { tenantId: 'acme', name: `App ${path}`, redirectUris: [REDIRECT_URI] });
  const rp = await discoverRp(server.url, client.clientId, clientSecret);
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: user.email,
    password: user.password,
    scope: 'openid offline_access',
    authorizationUrl: (url) => url.replace('/oauth2/authorize', path),
  });
  const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.scope?.split(' ')).toContain('offline_access');
  expect(tokens.refresh_token).toEqual(expect.any(String));
});
