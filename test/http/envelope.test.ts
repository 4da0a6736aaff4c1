// The docs/api.md envelope and request ids, over real HTTP against the real server.
import { helpLinks, readJson } from '../helpers/http.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { koaErrorEnvelope } from '../../src/http/koa-error-envelope.ts';
import { koaRequestId } from '../../src/http/koa-request-id.ts';
import { createLogger } from '../../src/logger.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ BODY_LIMIT_KB: '1' });
});
afterAll(() => server.stop());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('mints an id when none is sent and returns it in the header and the error body', async () => {
    const res = await fetch(`${server.url}/no/such/route`);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect((await readJson(res)).requestId).toBe(id);
  });

  it('echoes a sane incoming id', async () => {
    const res = await fetch(`${server.url}/health/live`, { headers: { 'X-Request-ID': 'trace-42.abc:7' } });
    expect(res.headers.get('x-request-id')).toBe('trace-42.abc:7');
  });

  it('replaces an insane incoming id', async () => {
    const res = await fetch(`${server.url}/health/live`, { headers: { 'X-Request-ID': 'x'.repeat(500) } });
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });
});

describe('error envelope', () => {
  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toEqual({
      success: false,
      errors: [{ code: 'NOT_FOUND', message: 'Resource not found' }],
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('answers malformed JSON with 400 INVALID_FORMAT constraint JSON', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"usernameOrEmail": "a",',
    });
    expect(res.status).toBe(400);
    expect((await readJson(res)).errors).toEqual([{ code: 'INVALID_FORMAT', message: 'Field format is invalid', constraint: 'JSON' }]);
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ usernameOrEmail: 'x'.repeat(4096), password: 'p' }),
    });
    expect(res.status).toBe(413);
    expect((await readJson(res)).errors).toEqual([{ code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' }]);
  });
});

describe('at the edge of the JSON API', () => {
  const login = (init: RequestInit) =>
    fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', ...init, headers: { 'X-Tenant-ID': 'acme', ...init.headers } });

  it('sends the help link in a Link header (RFC 8288), never in the body', async () => {
    const res = await login({ headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(res.headers.get('link')).toBe(helpLinks(server.url, ['REQUIRED_FIELD']));
    const body = await readJson(res);
    expect(body.errors).toEqual([
      { code: 'REQUIRED_FIELD', message: 'Required field is missing', field: 'usernameOrEmail' },
      { code: 'REQUIRED_FIELD', message: 'Required field is missing', field: 'password' },
    ]);
  });

  it('answers 415 for a body that is not JSON (RFC 9110 §15.5.16), also a form as curl sends by default', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/xml']) {
      const res = await login({ headers: { 'Content-Type': type }, body: 'usernameOrEmail=a&password=b' });
      expect(res.status).toBe(415);
      expect((await readJson(res)).errors).toEqual([
        { code: 'INVALID_FORMAT', message: 'Field format is invalid', constraint: 'CONTENT_TYPE' },
      ]);
    }
  });

  it('answers 405 with Allow for a known path and another method (RFC 9110 §15.5.6)', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await readJson(res)).errors[0].code).toBe('NOT_FOUND');
  });

  it('refuses a NUL character in a body, a query or a path as 400 INVALID_FORMAT, before any query runs', async () => {
    const body = await login({
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ usernameOrEmail: 'user\u0000@demo.test', password: 'x' }),
    });
    expect(body.status).toBe(400);
    expect((await readJson(body)).errors).toEqual([
      { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'usernameOrEmail', constraint: 'PATTERN' },
    ]);
    const query = await fetch(`${server.url}/api/v1/admin/audit-events?type=a%00b`);
    expect(query.status).toBe(400);
    expect((await readJson(query)).errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'type' });
    const path = await fetch(`${server.url}/api/v1/admin/users/a%00b`);
    expect(path.status).toBe(400);
    expect((await readJson(path)).errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'path' });
  });
});

describe('on the login pages', () => {
  it('answers a too-large, malformed or NUL-bearing form with a page in plain words and the request id', async () => {
    const cases: Array<[string, string, number, RegExp]> = [
      ['application/x-www-form-urlencoded', `password=${'x'.repeat(4096)}`, 413, /too large/],
      ['application/x-www-form-urlencoded', 'usernameOrEmail=user%00%40demo.test&password=x', 400, /could not be read/],
    ];
    for (const [type, payload, status, words] of cases) {
      const res = await fetch(`${server.url}/interaction/some-uid/login`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body: payload,
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toMatch(words);
      expect(html).toContain(res.headers.get('x-request-id') as string);
    }
  });
});

describe('unexpected failures', () => {
  let app: Server;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => lines.push(line) });
    const koa = new Koa();
    koa.use(koaRequestId(logger));
    koa.use(koaErrorEnvelope('https://id.example.test'));
    koa.use(() => {
      const err = new Error('insert into "users" ("password_hash") values ($1) - duplicate key');
      throw Object.assign(err, { code: 'XX000', stack: `${err.stack}\n    at secretPlace (/srv/app.ts:1:1)` });
    });
    app = createServer(koa.callback());
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => app.close(() => resolve())));

  it('become 500 INTERNAL_ERROR with no stack or SQL in the body, and the details in the log', async () => {
    const res = await fetch(`${url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      success: false,
      errors: [{ code: 'INTERNAL_ERROR', message: 'An unexpected error occurred' }],
      requestId: res.headers.get('x-request-id'),
    });
    expect(text).not.toMatch(/insert|password_hash|secretPlace|\.ts:/);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed');
    expect(logged.requestId).toBe(res.headers.get('x-request-id'));
    expect(logged.err.message).toMatch(/insert into "users"/);
  });
});
