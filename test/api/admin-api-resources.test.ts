// The admin API's API resources and client resource scopes against the real server: the guard, validation, another
// tenant's resources and clients out of reach, platform resources usable by every tenant's clients, and the grants
// deciding what client_credentials tokens carry (a scope taken away, or a resource deleted, stops new tokens).
import { decodeJwt } from 'jose';
import { signedInUser } from '../helpers/admin.ts';
import { makeTenant } from '../helpers/fixtures.ts';
import { adminApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const CRM = 'https://crm.example/api';
const crmBody = {
  identifier: CRM,
  name: 'CRM API',
  scopes: [
    { name: 'contacts:read', description: 'Read your contacts' },
    { name: 'contacts:write', description: 'Add and change your contacts' },
  ],
};

let server: TestServer;
let api: ReturnType<typeof adminApi>;
let acmeAdmin: string;
let acmeMember: string;
let globexAdmin: string;
let operator: string;

beforeAll(async () => {
  server = await startTestServer();
  api = adminApi(() => server.url);
  for (const tenant of ['acme', 'globex', 'platform']) await makeTenant(server.ctx, tenant);
  acmeAdmin = (await signedInUser(server, 'acme', 'admin@acme.test', ['admin'])).token;
  acmeMember = (await signedInUser(server, 'acme', 'member@acme.test', ['member'])).token;
  globexAdmin = (await signedInUser(server, 'globex', 'admin@globex.test', ['admin'])).token;
  operator = (await signedInUser(server, 'platform', 'operator@platform.test', ['admin'])).token;
});
afterAll(() => server.stop());

async function machineClient(token: string) {
  const res = await api('POST', '/clients', { token, body: { name: `Machine ${Math.random()}`, grantTypes: ['client_credentials'] } });
  expect(res.status).toBe(201);
  return res.body.data as { client: { clientId: string }; clientSecret: string };
}

function clientCredentials(client: { client: { clientId: string }; clientSecret: string }, body: Record<string, string>) {
  return fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${client.client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...body }),
  });
}

it('registers, lists, reads, changes and deletes a resource; the guard and validation hold', async () => {
  expect((await api('POST', '/api-resources', { body: crmBody })).status).toBe(401);
  const member = await api('POST', '/api-resources', { token: acmeMember, body: crmBody });
  expect(member.status).toBe(403);
  expect(member.body.errors[0].code).toBe('INSUFFICIENT_PERMISSIONS');

  const created = await api('POST', '/api-resources', { token: acmeAdmin, body: crmBody });
  expect(created.status).toBe(201);
  const resource = created.body.data.apiResource;
  expect(resource).toMatchObject({
    tenantId: 'acme',
    identifier: CRM,
    scopes: crmBody.scopes,
    accessTokenTtl: server.ctx.config.accessTokenTtl,
    signingAlg: server.ctx.config.accessTokenAlg,
    allowRefreshTokens: true,
    consentRequired: true,
  });

  const duplicate = await api('POST', '/api-resources', { token: acmeAdmin, body: crmBody });
  expect(duplicate.status).toBe(409);
  expect(duplicate.body.errors[0]).toMatchObject({ code: 'DUPLICATE_RESOURCE', field: 'identifier' });

  const refused = [
    { ...crmBody, identifier: 'not a uri' },
    { ...crmBody, identifier: 'https://crm.example/api#part' },
    { ...crmBody, identifier: server.url },
    { ...crmBody, identifier: 'https://other.example/', scopes: [{ name: 'openid', description: 'x' }] },
    { ...crmBody, identifier: 'https://other.example/', scopes: [{ name: 'users:write', description: 'x' }] },
    { ...crmBody, identifier: 'https://other.example/', scopes: [crmBody.scopes[0], crmBody.scopes[0]] },
    { ...crmBody, identifier: 'https://other.example/', signingAlg: 'HS256' },
    { ...crmBody, identifier: 'https://other.example/', accessTokenTtl: 10 },
  ];
  for (const body of refused) {
    const res = await api('POST', '/api-resources', { token: acmeAdmin, body });
    expect({ body, status: res.status, code: res.body.errors?.[0]?.code }).toEqual({ body, status: 400, code: 'INVALID_FORMAT' });
  }

  const listed = await api('GET', '/api-resources', { token: acmeAdmin });
  expect(listed.body.data.apiResources.map((r: { identifier: string }) => r.identifier)).toEqual([CRM]);
  expect((await api('GET', `/api-resources/${resource.id}`, { token: acmeAdmin })).body.data.apiResource).toEqual(resource);

  const changed = await api('PATCH', `/api-resources/${resource.id}`, {
    token: acmeAdmin,
    body: { accessTokenTtl: 600, signingAlg: 'RS256', consentRequired: false },
  });
  expect(changed.status).toBe(200);
  expect(changed.body.data.apiResource).toMatchObject({
    identifier: CRM,
    accessTokenTtl: 600,
    signingAlg: 'RS256',
    consentRequired: false,
  });

  expect((await api('DELETE', `/api-resources/${resource.id}`, { token: acmeAdmin })).status).toBe(200);
  expect((await api('GET', `/api-resources/${resource.id}`, { token: acmeAdmin })).status).toBe(404);
  const audit = await api('GET', '/audit-events?type=api_resource.created', { token: acmeAdmin });
  expect(audit.body.data.events).toEqual([expect.objectContaining({ type: 'api_resource.created', subjectId: resource.id })]);
});

it("keeps every tenant out of another's resources and clients", async () => {
  const acmeCrm = (await api('POST', '/api-resources', { token: acmeAdmin, body: { ...crmBody, identifier: 'https://acme.example/api' } }))
    .body.data.apiResource;
  const globexClient = await machineClient(globexAdmin);
  const acmeClient = await machineClient(acmeAdmin);

  for (const [method, path, body] of [
    ['GET', `/api-resources/${acmeCrm.id}`, undefined],
    ['PATCH', `/api-resources/${acmeCrm.id}`, { name: 'Hijacked' }],
    ['DELETE', `/api-resources/${acmeCrm.id}`, undefined],
    ['PUT', `/clients/${globexClient.client.clientId}/resource-scopes/${acmeCrm.id}`, { scopes: ['contacts:read'] }],
    ['PUT', `/clients/${acmeClient.client.clientId}/resource-scopes/${acmeCrm.id}`, { scopes: ['contacts:read'] }],
    ['GET', `/clients/${acmeClient.client.clientId}/resource-scopes`, undefined],
  ] as const) {
    const res = await api(method, path, { token: globexAdmin, ...(body && { body }) });
    expect({ method, path, status: res.status, code: res.body.errors?.[0]?.code }).toEqual({
      method,
      path,
      status: 404,
      code: 'NOT_FOUND',
    });
  }
  expect((await api('GET', '/api-resources', { token: globexAdmin })).body.data.apiResources).toEqual([]);
  expect((await api('GET', `/api-resources/${acmeCrm.id}`, { token: acmeAdmin })).body.data.apiResource.name).toBe('CRM API');

  // Acme's admin cannot grant Globex's client either, even its own resource.
  const acrossTenants = await api('PUT', `/clients/${globexClient.client.clientId}/resource-scopes/${acmeCrm.id}`, {
    token: acmeAdmin,
    body: { scopes: ['contacts:read'] },
  });
  expect(acrossTenants.status).toBe(404);
});

it("an identifier names one API in the whole deployment: another tenant's or the platform's cannot be registered again", async () => {
  // Every tenant's tokens share one issuer, so a second resource with an identifier would mint tokens (its own scopes,
  // for its own clients) that the first one's API accepts by issuer, audience and scope.
  const billing = 'https://billing.platform.example/api';
  const platformBilling = await api('POST', '/api-resources', {
    token: operator,
    body: { identifier: billing, name: 'Billing', scopes: [{ name: 'invoices:read', description: 'Read your invoices' }] },
  });
  expect(platformBilling.status).toBe(201);
  const shadow = await api('POST', '/api-resources', {
    token: acmeAdmin,
    body: { identifier: billing, name: 'Not billing', scopes: [{ name: 'invoices:refund', description: 'Refund anything' }] },
  });
  expect(shadow.status).toBe(409);
  expect(shadow.body.errors[0]).toMatchObject({ code: 'DUPLICATE_RESOURCE', field: 'identifier' });
  // So an Acme client cannot get a platform-audience token with a scope the platform's API never defined.
  const acmeClient = await machineClient(acmeAdmin);
  const forged = await clientCredentials(acmeClient, { resource: billing, scope: 'invoices:refund' });
  expect(forged.status).toBe(400);
  expect(((await forged.json()) as { error: string }).error).toBe('invalid_target');

  const acmeOnly = 'https://orders.acme.example/api';
  expect((await api('POST', '/api-resources', { token: acmeAdmin, body: { ...crmBody, identifier: acmeOnly } })).status).toBe(201);
  const copy = await api('POST', '/api-resources', { token: globexAdmin, body: { ...crmBody, identifier: acmeOnly } });
  expect(copy.status).toBe(409);
  expect(copy.body.errors[0]).toMatchObject({ code: 'DUPLICATE_RESOURCE', field: 'identifier' });
  // Nor may the platform take over a tenant's identifier later.
  expect((await api('POST', '/api-resources', { token: operator, body: { ...crmBody, identifier: acmeOnly } })).status).toBe(409);
});

it('grants decide what client_credentials tokens carry; taking a scope away or deleting the resource stops them', async () => {
  const crm = (await api('POST', '/api-resources', { token: acmeAdmin, body: { ...crmBody, identifier: 'https://grants.example/api' } }))
    .body.data.apiResource;
  const client = await machineClient(acmeAdmin);
  const path = `/clients/${client.client.clientId}/resource-scopes/${crm.id}`;

  const unknown = await api('PUT', path, { token: acmeAdmin, body: { scopes: ['deals:write'] } });
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'scopes' });
  expect((await api('PUT', path, { token: acmeMember, body: { scopes: ['contacts:read'] } })).status).toBe(403);

  const granted = await api('PUT', path, { token: acmeAdmin, body: { scopes: ['contacts:read'] } });
  expect(granted.body.data).toEqual({ resourceId: crm.id, scopes: ['contacts:read'] });
  const listed = await api('GET', `/clients/${client.client.clientId}/resource-scopes`, { token: acmeAdmin });
  expect(listed.body.data.resources).toEqual([
    { resourceId: crm.id, identifier: 'https://grants.example/api', name: 'CRM API', scopes: ['contacts:read'] },
  ]);

  const token = await clientCredentials(client, { resource: 'https://grants.example/api', scope: 'contacts:read contacts:write' });
  expect(token.status).toBe(200);
  expect(decodeJwt(((await token.json()) as { access_token: string }).access_token)).toMatchObject({
    aud: 'https://grants.example/api',
    scope: 'contacts:read',
    tenant_id: 'acme',
  });

  // The resource drops contacts:read: the client's grant of it goes with it.
  await api('PATCH', `/api-resources/${crm.id}`, { token: acmeAdmin, body: { scopes: [crmBody.scopes[1]] } });
  expect((await api('GET', `/clients/${client.client.clientId}/resource-scopes`, { token: acmeAdmin })).body.data.resources).toEqual([]);
  const afterPrune = await clientCredentials(client, { resource: 'https://grants.example/api', scope: 'contacts:read' });
  expect(afterPrune.status).toBe(400);
  expect(((await afterPrune.json()) as { error: string }).error).toBe('invalid_target');

  await api('PUT', path, { token: acmeAdmin, body: { scopes: ['contacts:write'] } });
  expect((await clientCredentials(client, { resource: 'https://grants.example/api', scope: 'contacts:write' })).status).toBe(200);
  await api('DELETE', `/api-resources/${crm.id}`, { token: acmeAdmin });
  const afterDelete = await clientCredentials(client, { resource: 'https://grants.example/api', scope: 'contacts:write' });
  expect(((await afterDelete.json()) as { error: string }).error).toBe('invalid_target');
});

it("a platform resource can be granted to any tenant's client; its tokens name the client's tenant", async () => {
  const created = await api('POST', '/api-resources', {
    token: operator,
    body: {
      identifier: 'https://billing.platform.example/',
      name: 'Billing',
      scopes: [{ name: 'invoices:read', description: 'Read invoices' }],
    },
  });
  expect(created.status).toBe(201);
  expect(created.body.data.apiResource.tenantId).toBe('platform');
  // Tenants do not list or change it: it is the platform's.
  expect((await api('GET', '/api-resources', { token: globexAdmin })).body.data.apiResources).not.toContainEqual(
    expect.objectContaining({ identifier: 'https://billing.platform.example/' }),
  );
  expect(
    (await api('PATCH', `/api-resources/${created.body.data.apiResource.id}`, { token: globexAdmin, body: { name: 'x' } })).status,
  ).toBe(404);

  const client = await machineClient(globexAdmin);
  const granted = await api('PUT', `/clients/${client.client.clientId}/resource-scopes/${created.body.data.apiResource.id}`, {
    token: globexAdmin,
    body: { scopes: ['invoices:read'] },
  });
  expect(granted.status).toBe(200);
  const token = await clientCredentials(client, { resource: 'https://billing.platform.example/', scope: 'invoices:read' });
  expect(decodeJwt(((await token.json()) as { access_token: string }).access_token)).toMatchObject({
    aud: 'https://billing.platform.example/',
    scope: 'invoices:read',
    tenant_id: 'globex',
  });
});

it('refuses an unpaired surrogate in a body as 400 INVALID_FORMAT, like a NUL character, instead of failing the insert', async () => {
  const description = await api('POST', '/api-resources', {
    token: acmeAdmin,
    body: { ...crmBody, identifier: 'https://surrogates.example/api', scopes: [{ name: 'notes:read', description: 'Read \udc00' }] },
  });
  expect(description.status).toBe(400);
  expect(description.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'scopes.0.description', constraint: 'PATTERN' });
  const name = await api('POST', '/api-resources', {
    token: acmeAdmin,
    body: { ...crmBody, identifier: 'https://lone.example/api', name: 'CRM \ud800' },
  });
  expect(name.status).toBe(400);
  expect(name.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'name' });
  const client = await api('POST', '/clients', { token: acmeAdmin, body: { name: 'Machine \ud83d', grantTypes: ['client_credentials'] } });
  expect(client.status).toBe(400);
  expect(client.body.errors[0]).toMatchObject({ code: 'INVALID_FORMAT', field: 'name' });
  // A paired surrogate is ordinary text.
  const emoji = await api('POST', '/api-resources', {
    token: acmeAdmin,
    body: { ...crmBody, identifier: 'https://rocket.example/api', name: 'Rocket \u{1F680} API' },
  });
  expect(emoji.status).toBe(201);
  expect(emoji.body.data.apiResource.name).toBe('Rocket \u{1F680} API');
});

it('a double-submitted grant is no conflict: concurrent PUTs all succeed and leave exactly one of the lists', async () => {
  const resource = (
    await api('POST', '/api-resources', {
      token: acmeAdmin,
      body: { ...crmBody, identifier: 'https://double-submit.example/api' },
    })
  ).body.data.apiResource;
  const client = await machineClient(acmeAdmin);
  const path = `/clients/${client.client.clientId}/resource-scopes/${resource.id}`;
  const lists = [['contacts:read', 'contacts:write'], ['contacts:read'], ['contacts:read', 'contacts:write'], ['contacts:write']];
  const answers = await Promise.all([...lists, ...lists].map((scopes) => api('PUT', path, { token: acmeAdmin, body: { scopes } })));
  expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
  const now = (await api('GET', `/clients/${client.client.clientId}/resource-scopes`, { token: acmeAdmin })).body.data.resources;
  expect(lists.map((l) => JSON.stringify(l))).toContain(JSON.stringify(now[0].scopes));
});
