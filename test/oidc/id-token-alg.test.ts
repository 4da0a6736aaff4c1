// ID tokens: ES256 for clients made by Gatehouse (the default), RS256 for a client that asks for it, both listed in
// discovery; a refreshed ID token is signed like the first. Each is checked by a real relying party (openid-client)
// against the published JWKS.
import * as oidc from 'openid-client';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { apiClientId, ensureApiClient } from '../../src/services/api-client.ts';
import { getClient, presentClient, updateClient } from '../../src/services/clients.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';

let server: TestServer;
let user: { email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  user = await makeUser(server.ctx, 'acme', 'ann@acme.test');
}, 60_000);
afterAll(() => server.stop());

/** A code flow and a refresh for the client; returns the algorithms of both ID tokens, checked against the JWKS. */
async function idTokenAlgs(clientId: string, clientSecret: string | undefined): Promise<string[]> {
  const rp = await discoverRp(server.url, clientId, clientSecret);
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: user.email,
    password: user.password,
  });
  const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  // A refresh returns an ID token when it asks for openid (test/oidc/refresh-id-token.test.ts).
  const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token as string, { scope: 'openid email profile offline_access' });
  const jwks = (await readJson(await fetch(`${server.url}/.well-known/jwks.json`))) as JSONWebKeySet;
  return [tokens.id_token, refreshed.id_token].map((token) => {
    const header = decodeProtectedHeader(token as string);
    expect(jwks.keys.find((k) => k.kid === header.kid)?.alg).toBe(header.alg);
    return header.alg as string;
  });
}

it('discovery lists ES256 and RS256 for ID tokens', async () => {
  const metadata = await readJson(await fetch(`${server.url}/.well-known/openid-configuration`));
  expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256']));
});

it('signs the ID tokens of a new client with ES256, at sign-in and at refresh', async () => {
  const { client, clientSecret } = await makeClient(server.ctx, { tenantId: 'acme', name: 'New app', redirectUris: [REDIRECT_URI] });
  expect(presentClient(client).idTokenSigningAlg).toBe('ES256');
  expect(await idTokenAlgs(client.clientId, clientSecret)).toEqual(['ES256', 'ES256']);
});

it('signs with RS256 for a client that asks for it, and keeps it across changes', async () => {
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Legacy app',
    redirectUris: [REDIRECT_URI],
    idTokenSigningAlg: 'RS256',
  });
  await updateClient(server.ctx, 'acme', client.clientId, { name: 'Legacy app, renamed' }, { actorId: 'test' });
  expect(presentClient(await getClient(server.ctx, 'acme', client.clientId)).idTokenSigningAlg).toBe('RS256');
  expect(await idTokenAlgs(client.clientId, clientSecret)).toEqual(['RS256', 'RS256']);
});

it("gives the tenant's JSON API client ES256", async () => {
  await ensureApiClient(server.ctx, 'acme');
  expect(presentClient(await getClient(server.ctx, 'acme', apiClientId('acme'))).idTokenSigningAlg).toBe('ES256');
});
