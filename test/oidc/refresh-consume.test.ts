// A refresh token's consume waits for its successor's save and runs in the same statement
// (src/oidc/adapters/postgres-adapter.ts). When the request fails between the two, settlePendingConsume runs the
// consume alone: the presented token is spent whatever happened afterwards, as without the deferral.
import { jest } from '@jest/globals';
import * as oidc from 'openid-client';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { TEST_SECRET_KEY } from '../helpers/test-env.ts';
import { hashTokenId } from '../../src/oidc/adapters/token-ids.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const INVALID_REFRESH = '{"error":"invalid_grant","error_description":"Refresh token is invalid or expired"}';

let server: TestServer;
let rp: oidc.Configuration;
let basic: string;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeUser(server.ctx, 'acme', 'ann@acme.test', 'correct horse battery');
  const { client, clientSecret } = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Acme CRM',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
    firstParty: true,
  });
  rp = await discoverRp(server.url, client.clientId, clientSecret);
  basic = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
}, 60_000);
afterEach(() => jest.restoreAllMocks());
afterAll(() => server.stop());

function refresh(refreshToken: string): Promise<Response> {
  return fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

function refreshTokenRows(grantId: string) {
  return server.ctx.db('oidc_payloads').where({ model_name: 'RefreshToken', grant_id: grantId }).select('id', 'consumed_at', 'revoked_at');
}

it('spends the presented refresh token when the request fails after its consume and before the successor is saved', async () => {
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: 'ann@acme.test',
    password: 'correct horse battery',
  });
  const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
  const presented = tokens.refresh_token as string;
  const [issued] = await server.ctx
    .db('oidc_payloads')
    .where({ model_name: 'RefreshToken', id: hashTokenId(TEST_SECRET_KEY, presented) })
    .select('grant_id');
  const grantId = issued.grant_id as string;

  // oidc-provider's refresh_token grant consumes the old token, builds its successor and saves it: the save fails.
  const save = jest
    .spyOn(server.oidc.provider().RefreshToken.prototype, 'save')
    .mockRejectedValueOnce(new Error('successor could not be saved'));
  const failed = await refresh(presented);
  expect(save).toHaveBeenCalledTimes(1);
  expect(failed.status).toBe(500);
  expect(await readJson(failed)).toMatchObject({ error: 'server_error' });

  // The old token is consumed (not revoked), and no successor exists.
  expect(await refreshTokenRows(grantId)).toEqual([
    { id: hashTokenId(TEST_SECRET_KEY, presented), consumed_at: expect.any(Date), revoked_at: null },
  ]);

  const again = await refresh(presented);
  expect(again.status).toBe(400);
  expect(await again.text()).toBe(INVALID_REFRESH);
});
