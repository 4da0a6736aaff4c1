// `gatehouse resource …` and `client grant-scopes` against a running server on the same database: what the CLI
// registers and grants, the token endpoint enforces at once (aud and scope of client_credentials tokens).
import { decodeJwt } from 'jose';
import { runCliInProcess } from '../helpers/cli.ts';
import { makeClient, makeTenant } from '../helpers/fixtures.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

let server: TestServer;
let client: { clientId: string; secret: string };

/** The CLI in this process; `tty`: stdout is a terminal (text out), stdin is not. */
const run = (argv: string[], tty = false) => runCliInProcess(argv, server.env.vars, tty ? { terminal: {} } : {});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function ok(argv: string[]): Promise<any> {
  const res = await run(argv);
  if (res.code !== 0) throw new Error(`gatehouse ${argv.join(' ')} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

async function clientCredentials(body: Record<string, string>) {
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...body }),
  });
  return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
}

// The CLI and the server on one database: embedded PGlite is single-process.
describeWithSharedServices('the resource commands beside a running server', () => {
  beforeAll(async () => {
    server = await startTestServer();
    await makeTenant(server.ctx, 'acme');
    await makeTenant(server.ctx, 'globex');
    const made = await makeClient(server.ctx, { tenantId: 'acme', name: 'Sync job', grantTypes: ['client_credentials'] });
    client = { clientId: made.client.clientId, secret: made.clientSecret as string };
  }, 60_000);
  afterAll(() => server.stop());

  it('creates, lists, shows, updates and deletes a resource; grant-scopes decides what the token carries', async () => {
    const created = await ok([
      'resource',
      'create',
      '--tenant',
      'acme',
      '--identifier',
      'https://crm.example/api',
      '--name',
      'CRM API',
      '--scope',
      'contacts:read=Read your contacts',
      '--scope',
      'contacts:write=Add and change your contacts',
      '--token-ttl',
      '300',
      '--no-consent',
    ]);
    expect(created.apiResource).toMatchObject({
      tenantId: 'acme',
      identifier: 'https://crm.example/api',
      accessTokenTtl: 300,
      consentRequired: false,
      scopes: [
        { name: 'contacts:read', description: 'Read your contacts' },
        { name: 'contacts:write', description: 'Add and change your contacts' },
      ],
    });
    const id = created.apiResource.id as string;

    expect((await ok(['resource', 'list', '--tenant', 'acme'])).apiResources).toEqual([created.apiResource]);
    expect((await ok(['resource', 'list', '--tenant', 'globex'])).apiResources).toEqual([]);
    expect((await ok(['resource', 'show', '--tenant', 'acme', '--resource', 'https://crm.example/api'])).apiResource.id).toBe(id);
    // Another tenant names it in vain, by id or by identifier.
    for (const ref of [id, 'https://crm.example/api']) {
      const res = await run(['resource', 'show', '--tenant', 'globex', '--resource', ref]);
      expect(res.code).toBe(1);
      expect(JSON.parse(res.stderr).error.code).toBe('NOT_FOUND');
    }

    const text = await run(['resource', 'show', '--tenant', 'acme', '--resource', id], true);
    expect(text.stdout).toContain('  contacts:read  Read your contacts');

    expect((await clientCredentials({ resource: 'https://crm.example/api', scope: 'contacts:read' })).body.error).toBe('invalid_target');
    const granted = await ok([
      'client',
      'grant-scopes',
      '--tenant',
      'acme',
      '--client',
      client.clientId,
      '--resource',
      id,
      '--scope',
      'contacts:read',
    ]);
    expect(granted.resources).toEqual([
      { resourceId: id, identifier: 'https://crm.example/api', name: 'CRM API', scopes: ['contacts:read'] },
    ]);
    const token = await clientCredentials({ resource: 'https://crm.example/api', scope: 'contacts:read contacts:write' });
    const claims = decodeJwt(token.body.access_token as string);
    expect(claims).toMatchObject({ aud: 'https://crm.example/api', scope: 'contacts:read' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);

    const badScope = await run([
      'client',
      'grant-scopes',
      '--tenant',
      'acme',
      '--client',
      client.clientId,
      '--resource',
      id,
      '--scope',
      'deals:write',
    ]);
    expect(JSON.parse(badScope.stderr).error.code).toBe('INVALID_FORMAT');
    expect((await run(['client', 'grant-scopes', '--tenant', 'acme', '--client', client.clientId, '--resource', id])).code).toBe(2);

    const updated = await ok([
      'resource',
      'update',
      '--tenant',
      'acme',
      '--resource',
      id,
      '--name',
      'CRM',
      '--token-ttl',
      '120',
      '--signing-alg',
      'RS256',
    ]);
    expect(updated.apiResource).toMatchObject({
      name: 'CRM',
      accessTokenTtl: 120,
      signingAlg: 'RS256',
      identifier: 'https://crm.example/api',
    });
    expect((await run(['resource', 'update', '--tenant', 'acme', '--resource', id])).code).toBe(2);
    expect((await run(['resource', 'update', '--tenant', 'acme', '--resource', id, '--signing-alg', 'HS256'])).code).toBe(1);

    await ok(['client', 'grant-scopes', '--tenant', 'acme', '--client', client.clientId, '--resource', id, '--none']);
    expect((await clientCredentials({ resource: 'https://crm.example/api', scope: 'contacts:read' })).body.error).toBe('invalid_target');

    expect((await run(['resource', 'delete', '--tenant', 'acme', '--resource', id])).code).toBe(2);
    expect(await ok(['resource', 'delete', '--tenant', 'acme', '--resource', id, '--yes'])).toEqual({
      deleted: { tenant: 'acme', resource: id, identifier: 'https://crm.example/api' },
    });
    expect((await ok(['resource', 'list', '--tenant', 'acme'])).apiResources).toEqual([]);
  }, 60_000);
});
