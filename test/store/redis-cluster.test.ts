// Gatehouse on a real three-node Redis Cluster (REDIS_CLUSTER=true): sign-in, refresh, the code flow through the
// login pages, rate limits, and a tenant suspension announced from one server to another over cluster pub/sub.
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { setTenantStatus } from '../../src/services/tenants.ts';
import { makeClient, makeFirstPartyRp, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { signInThroughPages } from '../helpers/oidc-flow.ts';
import { describeWithRedisCluster, startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.ts';
import { serviceMode, TEST_REDIS_URL } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';

(serviceMode() === 'services' ? describeWithRedisCluster : describe.skip)('on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let env: TestEnv;
  let a: TestServer;
  let b: TestServer;
  let user: { email: string; password: string };

  beforeAll(async () => {
    cluster = await startRedisCluster();
    env = await createTestEnv();
    // REFRESH_REUSE_INTERVAL_SECONDS=0: the reuse below is refused at once (no retry interval).
    const overrides = {
      REDIS_URL: cluster.url,
      REDIS_CLUSTER: 'true',
      CACHE_TTL_SECONDS: '300',
      RATE_LIMIT_API: '1000/60',
      REFRESH_REUSE_INTERVAL_SECONDS: '0',
    };
    a = await startTestServer(overrides, env);
    b = await startTestServer(overrides, env);
    await makeTenant(a.ctx, 'acme');
    user = await makeUser(a.ctx, 'acme', 'ann@acme.test');
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.destroy();
    await cluster?.stop();
  });

  it('signs in, refreshes and counts rate limits through the cluster', async () => {
    const api = authApi(() => a.url);
    const login = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: user.email, password: user.password } });
    expect(login.status).toBe(200);
    const me = await api('GET', '/me', { tenant: 'acme', token: login.body.data.accessToken });
    expect(me.status).toBe(200);
    expect(me.headers.get('X-RateLimit-Limit')).toBe('1000');
    const again = await api('GET', '/me', { tenant: 'acme', token: login.body.data.accessToken });
    expect(Number(again.headers.get('X-RateLimit-Remaining'))).toBe(Number(me.headers.get('X-RateLimit-Remaining')) - 1);
    const refreshed = await api('POST', '/refresh', { body: { refreshToken: login.body.data.refreshToken } });
    expect(refreshed.status).toBe(200);
    const reused = await api('POST', '/refresh', { body: { refreshToken: login.body.data.refreshToken } });
    expect(reused.status).toBe(401);
    // The state lives in the cluster, under this run's prefix, and none of it on the standalone Redis. (Which
    // nodes hold it depends on the keys' hash slots; the store contract test covers keys across slots.)
    const prefix = env.vars.REDIS_KEY_PREFIX as string;
    const keysAt = async (node: Redis) => {
      try {
        return (await node.keys(`${prefix}*`)).length;
      } finally {
        node.disconnect();
      }
    };
    const inCluster = await Promise.all(cluster.ports.map((port) => keysAt(new Redis(port, '127.0.0.1'))));
    expect(inCluster.reduce((a, n) => a + n, 0)).toBeGreaterThan(0);
    expect(await keysAt(new Redis(TEST_REDIS_URL))).toBe(0);
  });

  it('runs the code flow: interaction and code live in the cluster, and the code redeems once', async () => {
    const rp = await makeFirstPartyRp(a.ctx, a.url, 'acme', REDIRECT_URI);
    const { callback, verifier, state } = await signInThroughPages({
      baseUrl: a.url,
      rp,
      redirectUri: REDIRECT_URI,
      login: user.email,
      password: user.password,
    });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.access_token).toBeTruthy();
    await expect(oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state })).rejects.toThrow();
  });

  it("announces a tenant's suspension to the other server over cluster pub/sub", async () => {
    const { client, clientSecret } = await makeClient(a.ctx, { tenantId: 'acme', name: 'Service', grantTypes: ['client_credentials'] });
    const grant = (server: TestServer) =>
      fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }).then((res) => res.status);
    expect(await grant(b)).toBe(200); // b caches the tenant and the client for 300 s
    await setTenantStatus(a.ctx, 'acme', 'suspended', { actorId: 'test' });
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i += 1) {
      status = await grant(b);
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    await setTenantStatus(a.ctx, 'acme', 'active', { actorId: 'test' });
  });
});
