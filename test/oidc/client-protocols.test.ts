// Per-client protocol settings, each driven by a real relying party (openid-client) against the real server:
// DPoP-bound tokens (RFC 9449) and sender-constrained refresh tokens for a public client, private_key_jwt client
// authentication (RFC 7523), request objects through PAR (RFC 9101, RFC 9126), JARM responses, ID tokens in each
// offered algorithm checked with jose against the JWKS, and the `claims` request parameter (OIDC Core §5.5).
import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import * as oidc from 'openid-client';
import {
  SignJWT,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
} from 'jose';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { signInThroughPages } from '../helpers/oidc-flow.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';

let server: TestServer;
let user: { id: string; email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  user = await makeUser(server.ctx, 'acme', 'ann@acme.test');
}, 60_000);
afterAll(() => server.stop());

const insecure = { execute: [oidc.allowInsecureRequests] };

/**
 * A key pair the client keeps, and its public JWK Set to register. The JWK names no `alg`: openid-client signs with
 * an Ed25519 key as `Ed25519`, the fully-specified name of what the key store calls EdDSA.
 */
async function clientKeys(alg: 'ES256' | 'EdDSA' | 'RS256' = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(publicKey);
  const jwk = { ...exported, kty: exported.kty as 'EC' | 'RSA' | 'OKP', kid: `key-${alg}-${randomUUID()}`, use: 'sig' };
  return { privateKey, kid: jwk.kid, jwks: { keys: [jwk] } };
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await readJson(await fetch(`${server.url}/.well-known/jwks.json`))) as JSONWebKeySet;
}

/** Signs in through the pages and exchanges the code (with DPoP when given). */
async function codeFlow(
  rp: oidc.Configuration,
  options: { dpop?: oidc.DPoPHandle; authorize?: Parameters<typeof signInThroughPages>[0]['authorize'] } = {},
) {
  const { callback, verifier, state } = await signInThroughPages({
    baseUrl: server.url,
    rp,
    redirectUri: REDIRECT_URI,
    login: user.email,
    password: user.password,
    ...(options.authorize && { authorize: options.authorize }),
  });
  return oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state }, undefined, {
    ...(options.dpop && { DPoP: options.dpop }),
  });
}

describe('DPoP (RFC 9449) with a public first-party client', () => {
  let rp: oidc.Configuration;
  let dpop: oidc.DPoPHandle;
  let tokens: Awaited<ReturnType<typeof codeFlow>>;

  beforeAll(async () => {
    const { client } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'DPoP SPA',
      redirectUris: [REDIRECT_URI],
      public: true,
      firstParty: true,
    });
    rp = await oidc.discovery(new URL(server.url), client.clientId, undefined, oidc.None(), insecure);
    dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    tokens = await codeFlow(rp, { dpop });
  }, 60_000);

  it('issues a DPoP access token bound to the proof key (cnf.jkt)', async () => {
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const claims = decodeJwt(tokens.access_token);
    expect((claims.cnf as { jkt?: string } | undefined)?.jkt).toEqual(expect.any(String));
  });

  it('answers userinfo with the DPoP scheme and a proof, and refuses the token as a Bearer token', async () => {
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, user.id, { DPoP: dpop });
    expect(info.sub).toBe(user.id);
    const asBearer = await fetch(`${server.url}/oauth2/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(await readJson(asBearer)).toEqual({ error: 'invalid_token', error_description: 'invalid token provided' });
  });

  /** The DPoP header openid-client sent with its last request (through its customFetch hook). */
  async function sentProof(url: string): Promise<string> {
    let proof = '';
    rp[oidc.customFetch] = (input, init) => {
      proof = new Headers(init.headers).get('dpop') ?? '';
      return fetch(input, init);
    };
    try {
      const res = await oidc.fetchProtectedResource(rp, tokens.access_token, new URL(url), 'GET', null, undefined, { DPoP: dpop });
      expect(res.status).toBe(200);
    } finally {
      delete rp[oidc.customFetch];
    }
    return proof;
  }

  it('refuses the DPoP scheme without a proof, with a proof for another URL, or with a replayed proof', async () => {
    const userinfo = `${server.url}/oauth2/userinfo`;
    const send = (proof?: string) =>
      fetch(userinfo, { headers: { Authorization: `DPoP ${tokens.access_token}`, ...(proof !== undefined && { DPoP: proof }) } });
    const noProof = await send();
    expect(noProof.status).toBe(401);
    expect(noProof.headers.get('www-authenticate')).toMatch(/^DPoP realm=.*error="invalid_token"/);
    // A proof made for /api/v1/auth/me does not open /oauth2/userinfo.
    expect((await send(await sentProof(`${server.url}/api/v1/auth/me`))).status).toBe(401);
    // A proof already used at userinfo is not accepted a second time (its jti).
    expect((await send(await sentProof(userinfo))).status).toBe(401);
  });

  it('refuses the DPoP-bound token as a Bearer token at /api/v1/auth/me, and accepts it with its proof', async () => {
    const asBearer = await fetch(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    const withProof = await oidc.fetchProtectedResource(
      rp,
      tokens.access_token,
      new URL(`${server.url}/api/v1/auth/me`),
      'GET',
      null,
      undefined,
      {
        DPoP: dpop,
      },
    );
    expect(withProof.status).toBe(200);
    expect((await readJson(withProof)).data.user.id).toBe(user.id);
  });

  it("refuses a proof signed by another key than the token's", async () => {
    const other = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    await expect(
      oidc.fetchProtectedResource(rp, tokens.access_token, new URL(`${server.url}/oauth2/userinfo`), 'GET', null, undefined, {
        DPoP: other,
      }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('binds the refresh token of the public client: the same key refreshes, another key is refused', async () => {
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token as string, undefined, { DPoP: dpop });
    expect(decodeJwt(refreshed.access_token).cnf).toEqual(decodeJwt(tokens.access_token).cnf);
    const thief = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    await expect(oidc.refreshTokenGrant(rp, refreshed.refresh_token as string, undefined, { DPoP: thief })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // Without any proof the bound refresh token is refused as well.
    await expect(oidc.refreshTokenGrant(rp, refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('reports the binding at introspection (RFC 9449 §6.2) to a confidential client of the token', async () => {
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'DPoP confidential',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
    });
    const confidential = await oidc.discovery(new URL(server.url), client.clientId, clientSecret, undefined, insecure);
    const handle = oidc.getDPoPHandle(confidential, await oidc.randomDPoPKeyPair('EdDSA'));
    const own = await codeFlow(confidential, { dpop: handle });
    const introspected = await oidc.tokenIntrospection(confidential, own.access_token);
    expect(introspected).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: expect.any(String) } });
  });
});

describe("the engine's guarantees hold with DPoP", () => {
  let rp: oidc.Configuration;

  beforeAll(async () => {
    const { client } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'DPoP guarantees',
      redirectUris: [REDIRECT_URI],
      public: true,
      firstParty: true,
    });
    rp = await oidc.discovery(new URL(server.url), client.clientId, undefined, oidc.None(), insecure);
  });

  it('a reused code is refused and revokes the tokens issued from it', async () => {
    const dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
    });
    const checks = { pkceCodeVerifier: verifier, expectedState: state };
    const tokens = await oidc.authorizationCodeGrant(rp, callback, checks, undefined, { DPoP: dpop });
    expect((await oidc.fetchUserInfo(rp, tokens.access_token, user.id, { DPoP: dpop })).sub).toBe(user.id);
    await expect(oidc.authorizationCodeGrant(rp, callback, checks, undefined, { DPoP: dpop })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'Authorization code is invalid or expired',
    });
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, user.id, { DPoP: dpop })).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token as string, undefined, { DPoP: dpop })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('a reused refresh token revokes the grant: the newest one stops working too', async () => {
    const dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    const tokens = await codeFlow(rp, { dpop });
    // Two rotations: the first successor has been used, so the reuse interval's grace for lost answers is over.
    const first = await oidc.refreshTokenGrant(rp, tokens.refresh_token as string, undefined, { DPoP: dpop });
    const newest = await oidc.refreshTokenGrant(rp, first.refresh_token as string, undefined, { DPoP: dpop });
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token as string, undefined, { DPoP: dpop })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'Refresh token is invalid or expired',
    });
    await expect(oidc.refreshTokenGrant(rp, newest.refresh_token as string, undefined, { DPoP: dpop })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.fetchUserInfo(rp, newest.access_token, user.id, { DPoP: dpop })).rejects.toMatchObject({ status: 401 });
  });
});

describe('dpop_bound_access_tokens', () => {
  it('refuses a token request without a DPoP proof, and binds the one with a proof', async () => {
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Bound service',
      grantTypes: ['client_credentials'],
      scope: 'openid',
      dpopBoundAccessTokens: true,
    });
    const rp = await oidc.discovery(new URL(server.url), client.clientId, clientSecret, undefined, insecure);
    await expect(oidc.clientCredentialsGrant(rp)).rejects.toMatchObject({ status: 400, error: 'invalid_grant' });
    const dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    const tokens = await oidc.clientCredentialsGrant(rp, undefined, { DPoP: dpop });
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: expect.any(String) });
  });
});

describe('a DPoP-bound admin token (client_credentials with a permission scope)', () => {
  it('is refused by the admin API as a Bearer token and accepted with its proof', async () => {
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Bound admin automation',
      grantTypes: ['client_credentials'],
      scope: 'clients:read',
      dpopBoundAccessTokens: true,
    });
    const rp = await oidc.discovery(new URL(server.url), client.clientId, clientSecret, undefined, insecure);
    const dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
    const { access_token: token } = await oidc.clientCredentialsGrant(rp, { scope: 'clients:read' }, { DPoP: dpop });
    const clients = new URL(`${server.url}/api/v1/admin/clients`);
    const asBearer = await fetch(clients, { headers: { Authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
    expect((await readJson(asBearer)).errors[0].code).toBe('INVALID_TOKEN');
    const withProof = await oidc.fetchProtectedResource(rp, token, clients, 'GET', null, undefined, { DPoP: dpop });
    expect(withProof.status).toBe(200);
    expect((await readJson(withProof)).data.clients.map((c: { clientId: string }) => c.clientId)).toContain(client.clientId);
  });
});

describe('private_key_jwt (RFC 7523)', () => {
  it('authenticates client_credentials and the code exchange with a signed assertion, never a secret', async () => {
    const keys = await clientKeys('ES256');
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Signed assertions',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      firstParty: true,
      authMethod: 'private_key_jwt',
      jwks: keys.jwks,
    });
    expect(clientSecret).toBeUndefined();
    const rp = await oidc.discovery(
      new URL(server.url),
      client.clientId,
      undefined,
      oidc.PrivateKeyJwt({ key: keys.privateKey, kid: keys.kid }),
      insecure,
    );
    const service = await oidc.clientCredentialsGrant(rp, { scope: 'openid' });
    expect(decodeJwt(service.access_token)).toMatchObject({ client_id: client.clientId, sub: client.clientId });
    const tokens = await codeFlow(rp);
    expect(tokens.claims()?.sub).toBe(user.id);

    // An assertion signed by a key the client did not register is refused with the guide's body.
    const stranger = await clientKeys('ES256');
    const impostor = await oidc.discovery(
      new URL(server.url),
      client.clientId,
      undefined,
      oidc.PrivateKeyJwt({ key: stranger.privateKey, kid: keys.kid }),
      insecure,
    );
    await expect(oidc.clientCredentialsGrant(impostor, { scope: 'openid' })).rejects.toMatchObject({
      status: 401,
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });
    // A secret-based attempt gets nowhere either: the client has none.
    const basic = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa(`${client.clientId}:guess`)}` },
      body: 'grant_type=client_credentials',
    });
    expect(basic.status).toBe(401);
  });
});

describe('request objects (JAR) through PAR, and JARM', () => {
  let keys: Awaited<ReturnType<typeof clientKeys>>;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    keys = await clientKeys('EdDSA');
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'FAPI-style app',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
      jwks: keys.jwks,
      requireSignedRequestObject: true,
      authorizationSignedResponseAlg: 'ES256',
    });
    rp = await oidc.discovery(new URL(server.url), client.clientId, clientSecret, undefined, insecure);
  });

  const pkceParams = (challenge: string, state: string) => ({
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  });

  it('accepts a signed request object pushed through PAR', async () => {
    const tokens = await codeFlow(rp, {
      authorize: async ({ challenge, state }) => {
        const jar = await oidc.buildAuthorizationUrlWithJAR(rp, pkceParams(challenge, state), { key: keys.privateKey, kid: keys.kid });
        return (await oidc.buildAuthorizationUrlWithPAR(rp, jar.searchParams)).href;
      },
    });
    expect(tokens.claims()?.sub).toBe(user.id);
  });

  it('refuses a plain authorization request or a plain PAR from a client that requires request objects', async () => {
    const plain = oidc.buildAuthorizationUrl(rp, pkceParams('x'.repeat(43), 'state-1'));
    const res = await fetch(plain.href, { redirect: 'manual' });
    const refused = new URL(res.headers.get('location') as string);
    expect(refused.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    expect(refused.searchParams.get('code')).toBeNull();
    await expect(oidc.buildAuthorizationUrlWithPAR(rp, pkceParams('x'.repeat(43), 'state-2'))).rejects.toMatchObject({
      error: 'invalid_request',
    });
  });

  it('refuses a request object signed by a key the client did not register', async () => {
    const stranger = await clientKeys('EdDSA');
    const jar = await oidc.buildAuthorizationUrlWithJAR(rp, pkceParams('x'.repeat(43), 'state-3'), {
      key: stranger.privateKey,
      kid: keys.kid,
    });
    await expect(oidc.buildAuthorizationUrlWithPAR(rp, jar.searchParams)).rejects.toMatchObject({ error: 'invalid_request_object' });
  });

  it('matches the redirect URI inside a request object exactly, as for a plain request', async () => {
    const jar = await oidc.buildAuthorizationUrlWithJAR(
      rp,
      { ...pkceParams('x'.repeat(43), 'state-4'), redirect_uri: `${REDIRECT_URI}/` },
      { key: keys.privateKey, kid: keys.kid },
    );
    await expect(oidc.buildAuthorizationUrlWithPAR(rp, jar.searchParams)).rejects.toMatchObject({
      error: 'invalid_request',
      error_description: "redirect_uri did not match any of the client's registered redirect_uris",
    });
  });

  it('answers response_mode=jwt with a JARM response signed with the client’s algorithm', async () => {
    const jarm = await oidc.discovery(
      new URL(server.url),
      rp.clientMetadata().client_id,
      rp.clientMetadata().client_secret as string,
      undefined,
      insecure,
    );
    oidc.useJwtResponseMode(jarm);
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp: jarm,
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
      authorize: async ({ challenge, state: s }) => {
        const jar = await oidc.buildAuthorizationUrlWithJAR(
          jarm,
          { ...pkceParams(challenge, s), response_mode: 'jwt' },
          { key: keys.privateKey, kid: keys.kid },
        );
        return (await oidc.buildAuthorizationUrlWithPAR(jarm, jar.searchParams)).href;
      },
    });
    const response = callback.searchParams.get('response') ?? '';
    expect(callback.searchParams.get('code')).toBeNull();
    expect(decodeProtectedHeader(response).alg).toBe('ES256');
    const { payload } = await jwtVerify(response, createLocalJWKSet(await jwks()), {
      issuer: server.url,
      audience: rp.clientMetadata().client_id,
    });
    expect(payload).toMatchObject({ state, code: expect.any(String) });
    const tokens = await oidc.authorizationCodeGrant(jarm, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe(user.id);
  });
});

describe('ID token algorithms and the claims parameter', () => {
  it.each(['ES256', 'EdDSA', 'RS256'] as const)('signs ID tokens with %s, verifiable with jose against the JWKS', async (alg) => {
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: `ID tokens in ${alg}`,
      redirectUris: [REDIRECT_URI],
      firstParty: true,
      idTokenSigningAlg: alg,
    });
    const rp = await oidc.discovery(new URL(server.url), client.clientId, clientSecret, undefined, insecure);
    const tokens = await codeFlow(rp);
    const idToken = tokens.id_token as string;
    expect(decodeProtectedHeader(idToken).alg).toBe(alg);
    const { payload } = await jwtVerify(idToken, createLocalJWKSet(await jwks()), {
      issuer: server.url,
      audience: client.clientId,
      algorithms: [alg],
    });
    expect(payload.sub).toBe(user.id);
  });

  it('puts the claims asked for with the claims parameter into the ID token, and only those beyond the scope', async () => {
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Claims asker',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
    });
    const rp = await oidc.discovery(new URL(server.url), client.clientId, clientSecret, undefined, insecure);
    const ask = (claims?: object) =>
      codeFlow(rp, {
        authorize: async ({ challenge, state }) =>
          oidc.buildAuthorizationUrl(rp, {
            redirect_uri: REDIRECT_URI,
            scope: 'openid',
            code_challenge: challenge,
            code_challenge_method: 'S256',
            state,
            ...(claims && { claims: JSON.stringify(claims) }),
          }).href,
      });
    const plain = (await ask()).claims();
    expect(plain?.email).toBeUndefined();
    const asked = (await ask({ id_token: { email: { essential: true }, preferred_username: null } })).claims();
    expect(asked).toMatchObject({ sub: user.id, email: user.email, preferred_username: user.email });
    expect(asked?.email_verified).toBeUndefined();
  });
});

describe('client settings through the admin service', () => {
  it('refuses private keys in a client JWK Set, private_key_jwt without keys, and jwks with jwks_uri together', async () => {
    const keys = await clientKeys('ES256');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'leaked' };
    await expect(
      makeClient(server.ctx, { tenantId: 'acme', name: 'Leaky', redirectUris: [REDIRECT_URI], jwks: { keys: [privateJwk] } as never }),
    ).rejects.toMatchObject({ errors: [{ code: 'INVALID_FORMAT', field: 'jwks.keys.0' }] });
    await expect(
      makeClient(server.ctx, { tenantId: 'acme', name: 'Keyless', redirectUris: [REDIRECT_URI], authMethod: 'private_key_jwt' }),
    ).rejects.toMatchObject({ errors: [{ field: 'jwks' }] });
    await expect(
      makeClient(server.ctx, {
        tenantId: 'acme',
        name: 'Both',
        redirectUris: [REDIRECT_URI],
        jwks: keys.jwks,
        jwksUri: 'https://keys.example/jwks.json',
      }),
    ).rejects.toMatchObject({ errors: [{ field: 'jwksUri' }] });
    await expect(
      makeClient(server.ctx, {
        tenantId: 'acme',
        name: 'Public signer',
        redirectUris: [REDIRECT_URI],
        public: true,
        authMethod: 'private_key_jwt',
      }),
    ).rejects.toMatchObject({ errors: [{ field: 'authMethod' }] });
  });
});

// A second server on the first one's database: embedded PGlite is single-process.
describeWithSharedServices('DPoP proofs on a tenant subdomain (TENANT_DOMAIN)', () => {
  /** A raw GET with any Host header (fetch cannot set it). */
  function rawGet(base: string, path: string, headers: Record<string, string>): Promise<number> {
    const url = new URL(base);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it("checks the proof's htu against the subdomain the request was made to", async () => {
    const tenantServer = await startTestServer({ TENANT_DOMAIN: 'id.test' }, server.env);
    try {
      const port = new URL(tenantServer.url).port;
      const { client, clientSecret } = await makeClient(server.ctx, {
        tenantId: 'acme',
        name: 'Bound automation on a subdomain',
        grantTypes: ['client_credentials'],
        scope: 'clients:read',
      });
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = await exportJWK(publicKey);
      const proof = (htm: string, htu: string, extra: Record<string, string> = {}) =>
        new SignJWT({ htm, htu, ...extra })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
          .setJti(randomUUID())
          .setIssuedAt()
          .sign(privateKey);
      const tokenRes = await fetch(`${tenantServer.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${client.clientId}:${clientSecret as string}`)}`,
          DPoP: await proof('POST', `${tenantServer.url}/oauth2/token`),
        },
        body: 'grant_type=client_credentials&scope=clients%3Aread',
      });
      const { access_token: token, token_type: tokenType } = await readJson(tokenRes);
      expect(tokenType).toBe('DPoP');
      const ath = createHash('sha256').update(token).digest('base64url');
      const path = '/api/v1/admin/clients';
      const host = `acme.id.test:${port}`;
      const call = async (htu: string) =>
        rawGet(tenantServer.url, path, { Host: host, Authorization: `DPoP ${token}`, DPoP: await proof('GET', htu, { ath }) });
      expect(await call(`http://${host}${path}`)).toBe(200);
      // A proof for PUBLIC_URL's origin does not fit a request made to the subdomain.
      expect(await call(`${tenantServer.url}${path}`)).toBe(401);
    } finally {
      await tenantServer.stop();
    }
  }, 60_000);
});
