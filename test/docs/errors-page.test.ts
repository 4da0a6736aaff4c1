// The troubleshooting page over real HTTP: an anchor for every catalogue code, and the help link of real
// error responses lands on an existing entry.
import { ERROR_CATALOGUE, OAUTH_ERROR_CATALOGUE } from '../../src/errors/catalogue.ts';
import { readJson } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const idsOf = (html: string) => [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);

async function fetchPage(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { res, html: await res.text() };
}

it('serves a plain HTML page with one entry per code, from the catalogue', async () => {
  const { res, html } = await fetchPage(`${server.url}/docs/errors`);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  expect(html).not.toMatch(/<script/i);

  const ids = idsOf(html);
  for (const [code, entry] of [...Object.entries(ERROR_CATALOGUE), ...Object.entries(OAUTH_ERROR_CATALOGUE)]) {
    expect({ code, anchors: ids.filter((id) => id === code).length }).toEqual({ code, anchors: 1 });
    const section = html.slice(html.indexOf(`id="${code}"`), html.indexOf('</section>', html.indexOf(`id="${code}"`)));
    expect(section).toContain(`HTTP ${entry.status} `);
    expect(section).toContain(entry.message.replace(/'/g, '&#39;'));
    expect(section).toContain('Likely causes');
    expect(section).toContain('Solutions');
  }
});

it('shows the OAuth bodies exactly as the token endpoint sends them', async () => {
  const { html } = await fetchPage(`${server.url}/docs/errors`);
  const decoded = html.replace(/&#34;/g, '"');
  expect(decoded).toContain('{\n  "error": "invalid_client",\n  "error_description": "Client authentication failed"\n}');
  expect(decoded).toContain('{\n  "error": "invalid_grant",\n  "error_description": "Authorization code is invalid or expired"\n}');
});

it('links every code of a real error response to an existing entry, in the Link header', async () => {
  const responses = [
    await fetch(`${server.url}/api/v1/auth/me`),
    await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': 'nobody' },
      body: JSON.stringify({ usernameOrEmail: 'not-an-email', password: 7 }),
    }),
    await fetch(`${server.url}/api/v1/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }),
  ];
  // The link travels in `Link: <…#CODE>; rel="help"` (RFC 8288), one per code of the body, never in the body.
  const links: Array<{ code: string; url: URL }> = [];
  for (const res of responses) {
    const header = res.headers.get('link') ?? '';
    const body = await readJson(res);
    const codes = [...new Set(body.errors.map((i: { code: string; docs?: string }) => (expect(i.docs).toBeUndefined(), i.code)))];
    const linked = [...header.matchAll(/<([^>]+)>; rel="help"/g)].map((m) => new URL(m[1] as string));
    expect(linked.map((u) => u.hash.slice(1))).toEqual(codes);
    linked.forEach((url) => links.push({ code: url.hash.slice(1), url }));
  }
  expect(new Set(links.map((l) => l.code))).toEqual(new Set(['AUTHENTICATION_REQUIRED', 'INVALID_FORMAT', 'REQUIRED_FIELD']));
  const { html } = await fetchPage(links[0]?.url.href.replace(/#.*$/, '') as string);
  for (const { code } of links) expect(idsOf(html)).toContain(code);
});
