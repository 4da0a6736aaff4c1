// CORS at the token endpoint: a browser app (a public client) may call it from the origin of one of its registered
// redirect URIs, and from nowhere else; a confidential client is never answered for a browser.
import { makeClient, makeTenant } from '../helpers/fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const APP = 'http://127.0.0.1:7777';
let server: TestServer;
let publicClientId: string;
let confidentialClientId: string;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  publicClientId = (await makeClient(server.ctx, { tenantId: 'acme', name: 'SPA', public: true, redirectUris: [`${APP}/cb`] })).client
    .clientId;
  confidentialClientId = (await makeClient(server.ctx, { tenantId: 'acme', name: 'Server app', redirectUris: [`${APP}/cb`] })).client
    .clientId;
}, 60_000);
afterAll(() => server.stop());

/** A refresh with an unknown token, as a browser on `origin` would send it; returns the CORS header of the answer. */
async function allowedOrigin(clientId: string, origin: string): Promise<string | null> {
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'unknown', client_id: clientId }).toString(),
  });
  expect(res.status).toBeGreaterThanOrEqual(400); // the token is unknown either way: only the header differs
  return res.headers.get('access-control-allow-origin');
}

it("answers a public client's own redirect origin", async () => {
  expect(await allowedOrigin(publicClientId, APP)).toBe(APP);
});

it('answers no other origin, and never for a confidential client', async () => {
  expect(await allowedOrigin(publicClientId, 'http://evil.example')).toBeNull();
  expect(await allowedOrigin(publicClientId, 'null')).toBeNull();
  expect(await allowedOrigin(confidentialClientId, APP)).toBeNull();
});
