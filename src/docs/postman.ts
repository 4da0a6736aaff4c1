// The Postman v2.1 collection of /api/v1, generated from the same declared routes as the OpenAPI document:
// a folder per area, collection variables, and test scripts that check each answer against the documented
// statuses and error codes and carry tokens and ids from one request to the next, so the collection runner
// (or newman) can play a whole scenario in order.
import { ERROR_CATALOGUE } from '../errors/catalogue.ts';
import { errorsOf, type RouteGroup, type RouteSpec } from '../api/route-spec.ts';
import type { DocsInfo } from './openapi.ts';

const SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

/**
 * Variables the requests use; runs override them (e.g. `newman run … --env-var password=…`). Ids start as
 * placeholders that name nothing, so a request that runs before its id is known gets a documented 404.
 */
const VARIABLES: Record<string, string> = {
  tenantId: 'demo',
  usernameOrEmail: 'admin@demo.test',
  password: 'the password printed at first start',
  accessToken: '',
  refreshToken: '',
  mfaToken: '',
  mfaCode: '',
  userId: '00000000-0000-4000-8000-000000000000',
  sessionId: 'ses_unknown',
  name: 'support',
  clientId: 'unknown-client',
  ip: '192.0.2.1',
  id: 'ses_unknown',
};

export function buildPostmanCollection(groups: RouteGroup[], info: DocsInfo) {
  const folders = new Map<string, unknown[]>();
  const last: unknown[] = [];
  for (const group of groups) {
    for (const spec of group.routes) {
      if (spec.contentType) continue; // the docs themselves
      const item = requestItem(group, spec);
      if (spec.endsSession) last.push(item);
      else folders.set(group.tag, [...(folders.get(group.tag) ?? []), item]);
    }
  }
  return {
    info: {
      name: 'Gatehouse API',
      version: info.version,
      description:
        'Generated from the server\'s route declarations. Set `usernameOrEmail` and `password` (a tenant admin\'s, e.g. the demo admin printed at first start) and run the collection in order: sign-in stores the tokens, later requests use them, "Sign out" runs last. Each request checks that its answer is one the API documents.',
      schema: SCHEMA,
    },
    variable: [{ key: 'baseUrl', value: info.publicUrl }, ...Object.entries(VARIABLES).map(([key, value]) => ({ key, value }))],
    item: [...[...folders].map(([name, item]) => ({ name, item })), ...(last.length > 0 ? [{ name: 'Sign out', item: last }] : [])],
  };
}

function requestItem(group: RouteGroup, spec: RouteSpec) {
  const segments = `${group.prefix}${spec.path}`.split('/').filter(Boolean);
  const pathVariables = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
  const headers = [{ key: 'X-Tenant-ID', value: '{{tenantId}}' }];
  if (spec.body) headers.push({ key: 'Content-Type', value: 'application/json' });
  return {
    name: spec.summary,
    request: {
      method: spec.method.toUpperCase(),
      header: headers,
      url: {
        raw: `{{baseUrl}}/${segments.join('/')}`,
        host: ['{{baseUrl}}'],
        path: segments,
        ...(pathVariables.length > 0 && { variable: pathVariables.map((key) => ({ key, value: `{{${key}}}` })) }),
      },
      ...(spec.auth !== 'none' && { auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] } }),
      ...(spec.body && {
        body: { mode: 'raw', raw: JSON.stringify(spec.example ?? {}, null, 2), options: { raw: { language: 'json' } } },
      }),
    },
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(spec).split('\n') } }],
  };
}

/** Plain JavaScript for Postman's sandbox (pm.*), built from the route's documented answers. */
function testScript(spec: RouteSpec): string {
  const codes = errorsOf(spec);
  const statuses = new Set<number>([spec.status ?? 200, ...codes.map((c) => ERROR_CATALOGUE[c].status)]);
  for (const other of spec.otherResponses ?? []) statuses.add(other.status);
  for (const status of Object.values(spec.errorStatus ?? {})) statuses.add(status);
  return [
    `const documentedStatuses = ${JSON.stringify([...statuses].sort())};`,
    `const documentedCodes = ${JSON.stringify(codes)};`,
    `pm.test('answers a documented status', () => pm.expect(documentedStatuses).to.include(pm.response.code));`,
    `pm.test('carries X-Request-ID', () => pm.response.to.have.header('X-Request-ID'));`,
    `const body = pm.response.json();`,
    `if (body.success === false && Array.isArray(body.errors)) {`,
    `  pm.test('answers documented error codes', () => body.errors.forEach((e) => pm.expect(documentedCodes).to.include(e.code)));`,
    `}`,
    `const at = (path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), body);`,
    ...Object.entries(spec.captures ?? {}).map(
      ([variable, path]) =>
        `if (at(${JSON.stringify(path)}) !== undefined) pm.collectionVariables.set(${JSON.stringify(variable)}, at(${JSON.stringify(path)}));`,
    ),
  ].join('\n');
}
