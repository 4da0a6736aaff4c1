// The SDK as a user gets it: `npm pack` of packages/client (compiled JavaScript with declarations), installed from the
// tarball into an empty project without the registry, imported by its package name and run against a live server.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { ROOT } from '../helpers/processes.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery';
const work = mkdtempSync(join(tmpdir(), 'gatehouse-sdk-'));
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeUser(server.ctx, 'acme', 'boss@acme.test', PASSWORD, ['admin']);
}, 60_000);
afterAll(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

const CONSUMER = `
import { AdminClient, AuthApiError, AuthClient } from '@gatehouse/client';

const auth = new AuthClient({ baseUrl: process.env.BASE_URL, tenantId: 'acme' });
const signedIn = await auth.login('boss@acme.test', process.env.PASSWORD);
const admin = new AdminClient(auth);
const { user } = await admin.createUser({ email: 'packed@acme.test', password: 'a long passphrase' });
const member = new AuthClient({ baseUrl: process.env.BASE_URL, tenantId: 'acme' });
await member.login('packed@acme.test', 'a long passphrase');
const me = await member.me();
let refused;
try {
  await new AuthClient({ baseUrl: process.env.BASE_URL, tenantId: 'acme' }).login('packed@acme.test', 'wrong password');
} catch (err) {
  refused = { isAuthApiError: err instanceof AuthApiError, code: err.code, status: err.status, docs: err.docs };
}
await member.logout();
console.log(JSON.stringify({ type: signedIn.type, created: user.email, me: me.user.email, refused, sessions: (await auth.sessions()).length }));
`;

it('packs, installs offline from the tarball into an empty project, and runs against the server', async () => {
  const packed = await run('npm', ['pack', './packages/client', '--pack-destination', work, '--json'], {
    cwd: ROOT,
    maxBuffer: 10 * 1024 * 1024,
  });
  const [{ filename, files }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [
    { filename: string; files: Array<{ path: string }> },
  ];
  // Compiled JavaScript, declarations, the manifest and the README: nothing of the server, no TypeScript source.
  const paths = files.map((f) => f.path).sort();
  expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/admin-client.js']));
  expect(paths.filter((p) => !/^(package\.json|README\.md|dist\/[\w-]+\.(js|d\.ts))$/.test(p))).toEqual([]);

  const project = join(work, 'consumer');
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, filename)], { cwd: project });
  const installed = join(project, 'node_modules/@gatehouse/client');
  for (const file of readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(join(installed, 'dist', file), 'utf8');
    expect(text).not.toMatch(/from ['"](node:|\.\.\/)/);
  }
  writeFileSync(join(project, 'main.js'), CONSUMER);

  const result = await run(process.execPath, ['main.js'], {
    cwd: project,
    env: { PATH: process.env.PATH, BASE_URL: server.url, PASSWORD },
  });
  expect(JSON.parse(result.stdout)).toEqual({
    type: 'tokens',
    created: 'packed@acme.test',
    me: 'packed@acme.test',
    refused: { isAuthApiError: true, code: 'INVALID_CREDENTIALS', status: 401, docs: `${server.url}/docs/errors#INVALID_CREDENTIALS` },
    sessions: 1,
  });
}, 180_000);
