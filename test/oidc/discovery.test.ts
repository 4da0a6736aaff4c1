// Discovery advertises exactly what is enabled (OpenID Connect Discovery 1.0 §3, RFC 8414 §2): every member of the
// metadata has a check below that uses it against the running server, and a member without a check fails the test,
// so a feature can be neither advertised without working nor left advertised after it is turned off.
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey as JoseCryptoKey,
  type JSONWebKeySet,
  type JWK,
  UnsecuredJWT,
} from 'jose';
import { signedInUser } from '../helpers/admin.ts';
import { BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { adminApi, readJson } from '../helpers/http.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { PERMISSIONS } from '../../src/services/permissions.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

let server: TestServer;
let metadata: Record<string, unknown>;
let published: JSONWebKeySet;
let user: { id: string; email: string; password: string };
/** A confidential client with a secret, and one authenticating with private_key_jwt with an RSA, a P-256 and an Ed25519 key. */
let secretClient: { id: string; secret: string };
let keyClient: { id: string; keys: Record<string, { privateJwk: JWK; kid: string }> };
/** A public device client (RFC 8628). */
let deviceClientId: string;
let receiver: BackchannelReceiver;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  user = await makeUser(server.ctx, 'acme', 'ann@acme.test');
  const withSecret = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Secret app',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    firstParty: true,
  });
  secretClient = { id: withSecret.client.clientId, secret: withSecret.clientSecret as string };
  const keys: typeof keyClient.keys = {};
  const publicKeys: JWK[] = [];
  for (const [name, alg] of [
    ['RSA', 'RS256'],
    ['EC', 'ES256'],
    ['OKP', 'Ed25519'],
  ] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    const kid = `${name}-${randomUUID()}`;
    keys[name] = { privateJwk: await exportJWK(pair.privateKey), kid };
    publicKeys.push({ ...(await exportJWK(pair.publicKey)), kid, use: 'sig' });
  }
  const withKeys = await makeClient(server.ctx, {
    tenantId: 'acme',
    name: 'Key app',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'client_credentials'],
    authMethod: 'private_key_jwt',
    jwks: { keys: publicKeys as never },
  });
  keyClient = { id: withKeys.client.clientId, keys };
  deviceClientId = (await makeClient(server.ctx, { tenantId: 'acme', name: 'TV app', public: true, grantTypes: [DEVICE_CODE] })).client
    .clientId;
  receiver = new BackchannelReceiver();
  metadata = await readJson(await fetch(`${server.url}/.well-known/openid-configuration`));
  published = (await readJson(await fetch(`${server.url}/.well-known/jwks.json`))) as JSONWebKeySet;
}, 60_000);
afterAll(async () => {
  await receiver.close();
  await server.stop();
});

const url = (path: string) => `${server.url}${path}`;
const list = (name: string) => metadata[name] as string[];

/** The key of `keyClient` that signs with `alg` (one RSA key serves RS256 and PS256). */
async function keyFor(alg: string): Promise<{ privateKey: JoseCryptoKey; kid: string }> {
  const kind = alg.startsWith('ES') ? 'EC' : alg.startsWith('Ed') ? 'OKP' : 'RSA';
  const { privateJwk, kid } = keyClient.keys[kind] as { privateJwk: JWK; kid: string };
  return { privateKey: (await importJWK(privateJwk, alg)) as JoseCryptoKey, kid };
}

/** A client assertion (RFC 7523 §3) of `keyClient`, signed with `alg`. */
async function clientAssertion(alg: string): Promise<Record<string, string>> {
  const { privateKey, kid } = await keyFor(alg);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg, kid })
    .setIssuer(keyClient.id)
    .setSubject(keyClient.id)
    .setAudience(server.url)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(privateKey);
  return { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
}

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});
const basic = () => ({
  authorization: `Basic ${btoa(`${encodeURIComponent(secretClient.id)}:${encodeURIComponent(secretClient.secret)}`)}`,
});

/** An authorization request without a browser session and prompt=none: the answer (login_required) comes in `mode`. */
async function promptNone(extra: Record<string, string>): Promise<Response> {
  const query = new URLSearchParams({
    client_id: secretClient.id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid',
    prompt: 'none',
    state: 'st',
    ...extra,
  });
  return fetch(url(`/oauth2/authorize?${query.toString()}`), { redirect: 'manual' });
}

/** Starts a device authorization of the device client (RFC 8628 §3.1). */
async function deviceAuthorization(): Promise<Response> {
  return fetch(url('/oauth2/device/auth'), form({ client_id: deviceClientId, scope: 'openid' }));
}

let backchannel: Promise<{ logoutSid: unknown; idTokenSid: unknown }> | undefined;
/**
 * A client registered with a back-channel logout URI (and `sid` required) signs a person in; an admin ends that
 * session; the logout token the client's receiver gets carries the `sid` of its ID token. Run once for both members.
 */
function backchannelLogout(): Promise<{ logoutSid: unknown; idTokenSid: unknown }> {
  backchannel ??= (async () => {
    const receiverUrl = await receiver.listen();
    const { client, clientSecret } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Back-channel app',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
      backchannelLogoutUri: `${receiverUrl}/logout`,
      backchannelLogoutSessionRequired: true,
    });
    const rp = await discoverRp(server.url, client.clientId, clientSecret);
    const person = await makeUser(server.ctx, 'acme', 'bcl@acme.test');
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: person.email,
      password: person.password,
    });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const sessionId = decodeJwt(tokens.access_token).sid as string;
    const { token } = await signedInUser(server, 'acme', 'bcl-admin@acme.test', ['admin']);
    const ended = await adminApi(() => server.url)('DELETE', `/users/${person.id}/sessions/${sessionId}`, { tenant: 'acme', token });
    expect(ended.status).toBe(200);
    const [received] = await receiver.tokensAt('/logout');
    const claims = decodeJwt(received?.token as string);
    expect(claims).toMatchObject({
      aud: client.clientId,
      sub: person.id,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    return { logoutSid: claims.sid, idTokenSid: tokens.claims()?.sid };
  })();
  return backchannel;
}

/** Each advertised member, and how it is shown to work. */
const checks: Record<string, () => Promise<void>> = {
  issuer: async () => expect(metadata.issuer).toBe(server.url),
  device_authorization_endpoint: async () => {
    expect(metadata.device_authorization_endpoint).toBe(url('/oauth2/device/auth'));
    const res = await deviceAuthorization();
    expect(await readJson(res)).toMatchObject({
      device_code: expect.any(String),
      user_code: expect.any(String),
      verification_uri: url('/oauth2/device'),
    });
  },
  backchannel_logout_supported: async () => {
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect((await backchannelLogout()).logoutSid).toEqual(expect.any(String));
  },
  backchannel_logout_session_supported: async () => {
    expect(metadata.backchannel_logout_session_supported).toBe(true);
    const { logoutSid, idTokenSid } = await backchannelLogout();
    expect(logoutSid).toBe(idTokenSid);
  },
  authorization_endpoint: async () => {
    expect(metadata.authorization_endpoint).toBe(url('/oauth2/authorize'));
    const { callback } = await signInThroughPages({
      baseUrl: server.url,
      rp: await discoverRp(server.url, secretClient.id, secretClient.secret),
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
    });
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
  },
  token_endpoint: async () => {
    expect(metadata.token_endpoint).toBe(url('/oauth2/token'));
    const res = await fetch(url('/oauth2/token'), form({ grant_type: 'client_credentials' }, basic()));
    expect(res.status).toBe(200);
  },
  userinfo_endpoint: async () => {
    expect(metadata.userinfo_endpoint).toBe(url('/oauth2/userinfo'));
    const rp = await discoverRp(server.url, secretClient.id, secretClient.secret);
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
    });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect((await oidc.fetchUserInfo(rp, tokens.access_token, user.id)).sub).toBe(user.id);
  },
  jwks_uri: async () => {
    expect(metadata.jwks_uri).toBe(url('/.well-known/jwks.json'));
    expect(published.keys.length).toBeGreaterThanOrEqual(3);
  },
  registration_endpoint: async () => {
    expect(metadata.registration_endpoint).toBe(url('/oauth2/register'));
    // Open only to an initial access token (a tenant admin issues them): without one, 401 and not 404.
    const res = await fetch(url('/oauth2/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI] }),
    });
    expect(res.status).toBe(401);
  },
  introspection_endpoint: async () => {
    expect(metadata.introspection_endpoint).toBe(url('/oauth2/introspect'));
    const { access_token: token } = await readJson(await fetch(url('/oauth2/token'), form({ grant_type: 'client_credentials' }, basic())));
    const res = await fetch(url('/oauth2/introspect'), form({ token }, basic()));
    expect(await readJson(res)).toMatchObject({ active: true, client_id: secretClient.id });
  },
  revocation_endpoint: async () => {
    expect(metadata.revocation_endpoint).toBe(url('/oauth2/revoke'));
    const { access_token: token } = await readJson(await fetch(url('/oauth2/token'), form({ grant_type: 'client_credentials' }, basic())));
    expect((await fetch(url('/oauth2/revoke'), form({ token }, basic()))).status).toBe(200);
    expect(await readJson(await fetch(url('/oauth2/introspect'), form({ token }, basic())))).toEqual({ active: false });
  },
  end_session_endpoint: async () => {
    expect(metadata.end_session_endpoint).toBe(url('/oauth2/logout'));
    const res = await fetch(url('/oauth2/logout'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('logout');
  },
  pushed_authorization_request_endpoint: async () => {
    expect(metadata.pushed_authorization_request_endpoint).toBe(url('/oauth2/par'));
    const res = await fetch(
      url('/oauth2/par'),
      form({ client_id: secretClient.id, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid' }, basic()),
    );
    expect(res.status).toBe(201);
    expect((await readJson(res)).request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  },
  grant_types_supported: async () => {
    expect(list('grant_types_supported').sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token', DEVICE_CODE].sort());
    expect((await deviceAuthorization()).status).toBe(200);
    const rp = await discoverRp(server.url, secretClient.id, secretClient.secret);
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
    });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect((await oidc.refreshTokenGrant(rp, tokens.refresh_token as string)).access_token).toEqual(expect.any(String));
    expect((await oidc.clientCredentialsGrant(rp)).access_token).toEqual(expect.any(String));
  },
  response_types_supported: async () => {
    expect(metadata.response_types_supported).toEqual(['code']);
    const implicit = await promptNone({ response_type: 'id_token', nonce: 'n' });
    expect(implicit.headers.get('location') ?? (await implicit.text())).toMatch(/unsupported_response_type|unauthorized_client/);
  },
  response_modes_supported: async () => {
    expect(list('response_modes_supported').sort()).toEqual(
      ['form_post', 'form_post.jwt', 'fragment', 'fragment.jwt', 'jwt', 'query', 'query.jwt'].sort(),
    );
    const delivered = async (mode: string) => {
      const res = await promptNone({ response_mode: mode });
      // Redirecting modes answer 303 with the Location; form_post ones a self-posting page (400 for an error).
      return res.headers.get('location') ?? (await res.text());
    };
    expect(await delivered('query')).toMatch(/^http:\/\/127\.0\.0\.1:7777\/callback\?error=login_required/);
    expect(await delivered('fragment')).toMatch(/^http:\/\/127\.0\.0\.1:7777\/callback#error=login_required/);
    expect(await delivered('form_post')).toMatch(/name="error" value="login_required"/);
    expect(await delivered('jwt')).toMatch(/^http:\/\/127\.0\.0\.1:7777\/callback\?response=ey/);
    expect(await delivered('query.jwt')).toMatch(/^http:\/\/127\.0\.0\.1:7777\/callback\?response=ey/);
    expect(await delivered('fragment.jwt')).toMatch(/^http:\/\/127\.0\.0\.1:7777\/callback#response=ey/);
    expect(await delivered('form_post.jwt')).toMatch(/name="response" value="ey/);
  },
  authorization_response_iss_parameter_supported: async () => {
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    const location = new URL((await promptNone({})).headers.get('location') as string);
    expect(location.searchParams.get('iss')).toBe(server.url);
  },
  scopes_supported: async () => {
    expect(list('scopes_supported').sort()).toEqual(['email', 'offline_access', 'openid', 'profile', ...PERMISSIONS].sort());
    // The permission scopes reach client_credentials tokens of clients allowed them (test/api covers the admin side).
    const res = await promptNone({ scope: 'openid email profile offline_access' });
    expect(res.headers.get('location')).toMatch(/error=login_required/);
  },
  subject_types_supported: async () => expect(metadata.subject_types_supported).toEqual(['public']),
  claim_types_supported: async () => expect(metadata.claim_types_supported).toEqual(['normal']),
  claims_supported: async () => {
    expect(list('claims_supported').sort()).toEqual(
      ['acr', 'amr', 'auth_time', 'email', 'email_verified', 'iss', 'preferred_username', 'sid', 'sub', 'tenant_id', 'updated_at'].sort(),
    );
  },
  claims_parameter_supported: async () => {
    expect(metadata.claims_parameter_supported).toBe(true);
    // Accepted (the request fails only for want of a session), where a disabled feature would refuse it.
    const res = await promptNone({ claims: JSON.stringify({ id_token: { email: { essential: true } } }) });
    expect(res.headers.get('location')).toMatch(/error=login_required/);
  },
  acr_values_supported: async () => {
    expect(metadata.acr_values_supported).toEqual(['urn:gatehouse:loa:pwd', 'urn:gatehouse:loa:mfa']);
    const res = await promptNone({ acr_values: 'urn:gatehouse:loa:mfa' });
    expect(res.headers.get('location')).toMatch(/error=login_required/);
  },
  code_challenge_methods_supported: async () => {
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    const plain = await promptNone({ code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' });
    expect(plain.headers.get('location')).toMatch(/error=invalid_request/);
  },
  token_endpoint_auth_methods_supported: async () => {
    expect(list('token_endpoint_auth_methods_supported').sort()).toEqual(
      ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'].sort(),
    );
    const grant = { grant_type: 'client_credentials' };
    expect((await fetch(url('/oauth2/token'), form(grant, basic()))).status).toBe(200);
    expect(
      (await fetch(url('/oauth2/token'), form({ ...grant, client_id: secretClient.id, client_secret: secretClient.secret }))).status,
    ).toBe(200);
    expect((await fetch(url('/oauth2/token'), form({ ...grant, ...(await clientAssertion('ES256')) }))).status).toBe(200);
    // `none`: a public client redeems its code with PKCE alone.
    const { client } = await makeClient(server.ctx, {
      tenantId: 'acme',
      name: 'Public app',
      redirectUris: [REDIRECT_URI],
      public: true,
      firstParty: true,
    });
    const rp = await oidc.discovery(new URL(server.url), client.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: server.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
    });
    expect(
      (await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state })).access_token,
    ).toBeTruthy();
  },
  token_endpoint_auth_signing_alg_values_supported: async () => {
    expect(list('token_endpoint_auth_signing_alg_values_supported').sort()).toEqual(['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256']);
    for (const alg of list('token_endpoint_auth_signing_alg_values_supported')) {
      const res = await fetch(url('/oauth2/token'), form({ grant_type: 'client_credentials', ...(await clientAssertion(alg)) }));
      expect([alg, res.status]).toEqual([alg, 200]);
    }
  },
  id_token_signing_alg_values_supported: async () => {
    // Exactly the algorithms the JWKS holds a key for (test/oidc/client-protocols.test.ts signs ID tokens with each).
    const algs = list('id_token_signing_alg_values_supported');
    expect([...algs].sort()).toEqual([...new Set(published.keys.map((k) => k.alg as string))].sort());
  },
  authorization_signing_alg_values_supported: async () => {
    const algs = list('authorization_signing_alg_values_supported');
    expect([...algs].sort()).toEqual([...new Set(published.keys.map((k) => k.alg as string))].sort());
  },
  request_parameter_supported: async () => {
    expect(metadata.request_parameter_supported).toBe(true);
    const request = await requestObject('ES256', { prompt: 'none' });
    const res = await fetch(url(`/oauth2/authorize?${new URLSearchParams({ client_id: keyClient.id, request }).toString()}`), {
      redirect: 'manual',
    });
    expect(res.headers.get('location')).toMatch(/error=login_required/);
    // An unsigned request object (`alg: none`) is not among the advertised algorithms, and is refused.
    const unsigned = new UnsecuredJWT({
      client_id: keyClient.id,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      prompt: 'none',
    })
      .setIssuer(keyClient.id)
      .setAudience(server.url)
      .setIssuedAt()
      .setExpirationTime('1m')
      .encode();
    const refused = await fetch(
      url(`/oauth2/authorize?${new URLSearchParams({ client_id: keyClient.id, request: unsigned }).toString()}`),
      {
        redirect: 'manual',
      },
    );
    expect(new URL(refused.headers.get('location') as string).searchParams.get('error')).toBe('invalid_request_object');
  },
  request_uri_parameter_supported: async () => {
    // request_uri only as PAR hands it out (RFC 9126): a URL of the client's is never fetched.
    expect(metadata.request_uri_parameter_supported).toBe(false);
    const res = await fetch(
      url(`/oauth2/authorize?${new URLSearchParams({ client_id: keyClient.id, request_uri: 'https://attacker.example/ro' }).toString()}`),
      { redirect: 'manual' },
    );
    expect(res.headers.get('location') ?? (await res.text())).toMatch(/request_uri_not_supported|invalid_request_uri|invalid_request/);
  },
  request_object_signing_alg_values_supported: async () => {
    expect(list('request_object_signing_alg_values_supported').sort()).toEqual(['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256']);
    for (const alg of list('request_object_signing_alg_values_supported')) {
      const res = await fetch(url('/oauth2/par'), form({ request: await requestObject(alg), ...(await clientAssertion('ES256')) }));
      expect([alg, res.status]).toEqual([alg, 201]);
    }
  },
  dpop_signing_alg_values_supported: async () => {
    expect(list('dpop_signing_alg_values_supported').sort()).toEqual(['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256']);
    for (const alg of list('dpop_signing_alg_values_supported')) {
      const res = await fetch(url('/oauth2/token'), form({ grant_type: 'client_credentials' }, { ...basic(), DPoP: await dpopProof(alg) }));
      const body = await readJson(res);
      expect([alg, res.status, body.token_type]).toEqual([alg, 200, 'DPoP']);
    }
  },
};

/** A request object (RFC 9101) of `keyClient`, signed with `alg`. */
async function requestObject(alg: string, extra: Record<string, string> = {}): Promise<string> {
  const { privateKey, kid } = await keyFor(alg);
  return new SignJWT({
    client_id: keyClient.id,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state: 'st',
    ...extra,
  })
    .setProtectedHeader({ alg, kid, typ: 'oauth-authz-req+jwt' })
    .setIssuer(keyClient.id)
    .setAudience(server.url)
    .setJti(randomUUID())
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime('1m')
    .sign(privateKey);
}

/** A DPoP proof (RFC 9449 §4.2) for the token endpoint with a fresh key of `alg`. */
async function dpopProof(alg: string): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  expect(await calculateJwkThumbprint(jwk)).toEqual(expect.any(String));
  return new SignJWT({ htm: 'POST', htu: url('/oauth2/token') })
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
    .setJti(randomUUID())
    .setIssuedAt()
    .sign(privateKey);
}

it('advertises only members this test knows how to exercise', () => {
  expect(Object.keys(metadata).sort()).toEqual(Object.keys(checks).sort());
});

it('serves the same metadata at the RFC 8414 address', async () => {
  expect(await readJson(await fetch(url('/.well-known/oauth-authorization-server')))).toEqual(metadata);
});

it.each(Object.keys(checks))(
  '%s works as advertised',
  async (member) => {
    await (checks[member] as () => Promise<void>)();
  },
  30_000,
);
