// Which tenant a JSON API request names (X-Tenant-ID, or the subdomain under TENANT_DOMAIN), over real HTTP with
// the Host header a browser would send. test/api/auth.test.ts covers what the API does with it.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { koaTenant, namedTenantOf } from '../../src/http/koa-tenant.ts';

let server: Server;
let port: number;

beforeAll(async () => {
  const app = new Koa();
  app.use(koaTenant({ tenantDomain: 'example.test', publicUrl: 'https://auth.example.test' }));
  app.use((ctx) => {
    ctx.body = { named: namedTenantOf(ctx) ?? null };
  });
  server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function namedAt(host: string, headers: Record<string, string> = {}): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve((JSON.parse(text) as { named: string | null }).named));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the tenant a request names', () => {
  it('takes a tenant subdomain, and X-Tenant-ID before it', async () => {
    expect(await namedAt('acme.example.test')).toBe('acme');
    expect(await namedAt('ACME.Example.Test:8443')).toBe('acme');
    expect(await namedAt('acme.example.test', { 'X-Tenant-ID': 'globex' })).toBe('globex');
  });

  it("names none at PUBLIC_URL's own host, though it sits under TENANT_DOMAIN, nor at another host", async () => {
    expect(await namedAt('auth.example.test')).toBeNull();
    expect(await namedAt('example.test')).toBeNull();
    expect(await namedAt('acme.elsewhere.test')).toBeNull();
    expect(await namedAt('auth.example.test', { 'X-Tenant-ID': 'acme' })).toBe('acme');
  });

  it('counts a malformed name as named, so it matches no token', async () => {
    expect(await namedAt('auth.example.test', { 'X-Tenant-ID': 'not a slug!' })).toBe('');
    expect(await namedAt('under_score.example.test')).toBe('');
  });
});
