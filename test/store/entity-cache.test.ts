// The tenant and client cache is safe across processes: with a TTL far longer than the test, a tenant suspended
// through one server, or through the CLI, stops working at another server at once — the invalidation travels over
// Redis — and activating it again works at once too.
import { makeClient, makeTenant } from '../helpers/fixtures.ts';
import { runScript } from '../helpers/processes.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { setTenantStatus } from '../../src/services/tenants.ts';

describeWithSharedServices('entity cache invalidation across processes', () => {
  let env: TestEnv;
  let a: TestServer;
  let b: TestServer;
  let basic: string;

  beforeAll(async () => {
    env = await createTestEnv();
    a = await startTestServer({ CACHE_TTL_SECONDS: '300' }, env);
    b = await startTestServer({ CACHE_TTL_SECONDS: '300' }, env);
    await makeTenant(a.ctx, 'acme');
    const { client, clientSecret } = await makeClient(a.ctx, { tenantId: 'acme', name: 'Service', grantTypes: ['client_credentials'] });
    basic = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.destroy();
  });

  const grant = (server: TestServer) =>
    fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    }).then((res) => res.status);

  /** Pub/sub delivery is asynchronous: ask again for a moment (far less than the 300 s TTL) until the answer changes. */
  async function eventually(server: TestServer, status: number): Promise<number> {
    let last = 0;
    for (let i = 0; i < 50 && last !== status; i += 1) {
      last = await grant(server);
      if (last !== status) await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  }

  it('drops a suspended tenant in the other server', async () => {
    expect(await grant(b)).toBe(200); // b now holds the tenant and the client in its cache
    await setTenantStatus(a.ctx, 'acme', 'suspended', { actorId: 'test' });
    expect(await grant(a)).toBe(401); // the changing process drops its entry synchronously
    expect(await eventually(b, 401)).toBe(401);
    await setTenantStatus(a.ctx, 'acme', 'active', { actorId: 'test' });
    expect(await eventually(b, 200)).toBe(200);
  });

  it('hears of a suspension made with the CLI', async () => {
    expect(await grant(b)).toBe(200);
    const suspended = await runScript('bin/gatehouse.js', ['tenant', 'suspend', '--id', 'acme'], env.vars);
    expect(suspended.code).toBe(0);
    expect(await eventually(b, 401)).toBe(401);
    expect(await eventually(a, 401)).toBe(401);
  });
});
