// Prometheus metrics at /metrics over real HTTP: the counters move with a token grant, a sign-in and a rate-limit
// refusal, the route label is the pattern and never the raw path, the pool gauges are there, and METRICS_TOKEN
// guards the endpoint when set.
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';
let server: TestServer;
let basic: string;

beforeAll(async () => {
  server = await startTestServer({ METRICS_TOKEN, RATE_LIMIT_REGISTRATION: '1/60' });
  await makeTenant(server.ctx, 'acme');
  await makeUser(server.ctx, 'acme', 'ann@acme.test', 'correct horse battery');
  const { client, clientSecret } = await makeClient(server.ctx, { tenantId: 'acme', name: 'Service', grantTypes: ['client_credentials'] });
  basic = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
}, 60_000);
afterAll(() => server.stop());

const api = authApi(() => server.url);

async function scrape(): Promise<string> {
  const res = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** The value of one series, 0 when it has not appeared yet. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

it('refuses a scrape without the token', async () => {
  expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  const wrong = await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer not-the-token-at-all' } });
  expect(wrong.status).toBe(401);
  expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
});

it('counts a client_credentials grant and the token request by route', async () => {
  const before = await scrape();
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  const after = await scrape();
  const grants = 'gatehouse_oauth_token_grants_total{grant_type="client_credentials"}';
  expect(value(after, grants)).toBe(value(before, grants) + 1);
  const requests = 'gatehouse_http_requests_total{method="POST",route="oidc:token",status="200"}';
  expect(value(after, requests)).toBe(value(before, requests) + 1);
  expect(after).toContain('gatehouse_http_request_duration_seconds_bucket{le="0.001",method="POST",route="oidc:token"}');
});

it('counts sign-ins by outcome', async () => {
  const before = await scrape();
  expect(
    (await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: 'correct horse battery' } })).status,
  ).toBe(200);
  expect(
    (await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'ann@acme.test', password: 'wrong password!' } })).status,
  ).toBe(401);
  const after = await scrape();
  for (const outcome of ['success', 'wrong_password']) {
    const series = `gatehouse_logins_total{outcome="${outcome}"}`;
    expect(value(after, series)).toBe(value(before, series) + 1);
  }
  const logins = 'gatehouse_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}';
  expect(value(after, logins)).toBe(value(before, logins) + 1);
});

it('labels routes by pattern, never by the raw path', async () => {
  await api('DELETE', '/sessions/ses_some-id-that-must-not-become-a-label', {});
  const text = await scrape();
  expect(text).not.toContain('ses_some-id-that-must-not-become-a-label');
  expect(text).toContain('route="/api/v1/auth/sessions/:id"');
});

it('counts rate-limit refusals and shows the database pool', async () => {
  const before = await scrape();
  const forgot = () => api('POST', '/password/forgot', { tenant: 'acme', body: { email: 'ann@acme.test' } });
  await forgot();
  expect((await forgot()).status).toBe(429);
  const after = await scrape();
  const series = 'gatehouse_rate_limit_rejections_total{class="registration",reason="rate_limited"}';
  expect(value(after, series)).toBe(value(before, series) + 1);
  expect(after).toMatch(/^gatehouse_db_pool_connections\{state="used"\} \d+$/m);
  expect(after).toMatch(/^gatehouse_db_pool_connections\{state="free"\} \d+$/m);
});
