// ACCESS_TOKEN_ALG: access tokens are signed with the configured algorithm by a key the JWKS publishes, and
// Gatehouse's own checks (introspection) accept them. (ID tokens follow each client's own setting: test/oidc/id-token-alg.test.ts.)
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { makeClient, makeTenant } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe.each(['ES256', 'RS256'])('ACCESS_TOKEN_ALG=%s', (alg) => {
  let server: TestServer;
  let basic: string;

  beforeAll(async () => {
    server = await startTestServer({ ACCESS_TOKEN_ALG: alg });
    await makeTenant(server.ctx, 'acme');
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Service',
      grantTypes: ['client_credentials'],
    });
    basic = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
  }, 60_000);
  afterAll(() => server.stop());

  const post = (path: string, body: string) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });

  it('signs access tokens with it, under a published key, and introspection accepts them', async () => {
    const { access_token: token } = await readJson(await post('/oauth2/token', 'grant_type=client_credentials'));
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg, typ: 'at+jwt' });
    const jwks = (await readJson(await fetch(`${server.url}/.well-known/jwks.json`))) as JSONWebKeySet;
    expect(jwks.keys.find((k) => k.kid === header.kid)?.alg).toBe(alg);
    const introspection = await readJson(await post('/oauth2/introspect', `token=${token}`));
    expect(introspection).toMatchObject({ active: true, client_id: expect.any(String) });
  });
});
