// /health/live and /health/ready, including readiness while PostgreSQL or Redis is cut off and after it returns.
import { readJson } from '../helpers/http.ts';
import { proxyServices, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

async function waitForStatus(url: string, status: number, timeoutMs = 15_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(url);
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('health', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('live answers 200', async () => {
    const res = await fetch(`${server.url}/health/live`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: 'ok' });
  });

  it('ready answers 200 with both dependencies up', async () => {
    const res = await fetch(`${server.url}/health/ready`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({ status: 'ready', checks: { database: 'up', store: 'up' } });
  });
});

describeWithSharedServices('readiness follows PostgreSQL and Redis', () => {
  let env: TestEnv;
  let server: TestServer;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;

  beforeAll(async () => {
    env = await createTestEnv();
    const proxied = await proxyServices(env.vars);
    ({ pgProxy, redisProxy } = proxied);
    const { urls } = proxied;
    server = await startTestServer(urls, env);
  });
  afterAll(async () => {
    await server.stop();
    await Promise.all([pgProxy.close(), redisProxy.close()]);
    await env.destroy();
  });

  const expectUnavailable = async (res: Response) => {
    expect(res.status).toBe(503);
    expect((await readJson(res)).errors).toEqual([{ code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable' }]);
  };

  it('answers 503 SERVICE_UNAVAILABLE while PostgreSQL is down and 200 once it is back', async () => {
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    await pgProxy.cut();
    await expectUnavailable(await waitForStatus(`${server.url}/health/ready`, 503));
    await pgProxy.restore();
    expect((await waitForStatus(`${server.url}/health/ready`, 200)).status).toBe(200);
  });

  it('answers 503 SERVICE_UNAVAILABLE while Redis is down and 200 once it is back', async () => {
    await redisProxy.cut();
    await expectUnavailable(await waitForStatus(`${server.url}/health/ready`, 503));
    await redisProxy.restore();
    expect((await waitForStatus(`${server.url}/health/ready`, 200)).status).toBe(200);
  });

  it('stays live while a dependency is down', async () => {
    await redisProxy.cut();
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    await redisProxy.restore();
    expect((await waitForStatus(`${server.url}/health/ready`, 200)).status).toBe(200);
  });
});
