// The gatehouse CLI on the test file's own database: JSON out, JSON errors, exit codes; the binary as a real process
// where the process matters.
import bcrypt from 'bcrypt';
import { openDatabase, type Db } from '../../src/db/knex.ts';
import { MIGRATIONS } from '../../migrations/index.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runCliInProcess } from '../helpers/cli.ts';
import { ROOT, runScript, spawnServer, type Completed } from '../helpers/processes.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.destroy());

/** Opens the database only for the check: embedded PGlite is single-process, and the CLI needs it too. */
async function inDb<T>(check: (db: Db) => Promise<T>): Promise<T> {
  const database = openDatabase(env.config());
  try {
    return await check(database.db);
  } finally {
    await database.close();
  }
}

/** The binary, as a person or a script runs it. */
const binary = (...args: string[]) => runScript('bin/gatehouse.js', args, env.vars);
/** The same CLI in this process (runCliInProcess): only what depends on the process goes through the binary. */
const cli = (...args: string[]) => runCliInProcess(args, env.vars);
/** The CLI with `input` on its stdin, as `printf '%s\\n' "$PASSWORD" | npx gatehouse … --password-stdin` gives it. */
const cliIn = (input: string, ...args: string[]) =>
  new Promise<Completed>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/gatehouse.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env.vars },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
const out = (r: Completed) => JSON.parse(r.stdout);
const err = (r: Completed) => JSON.parse(r.stderr.trim().split('\n').pop() as string).error;

it('migrates, then has nothing left to apply', async () => {
  const first = await binary('migrate');
  expect(first.code).toBe(0);
  expect(out(first)).toEqual({ applied: MIGRATIONS.map(([name]) => name) });
  const second = await cli('migrate');
  expect(second.code).toBe(0);
  expect(out(second)).toEqual({ applied: [] });
  const recorded = await inDb((db) => db('knex_migrations').orderBy('id').pluck('name'));
  expect(recorded).toEqual(MIGRATIONS.map(([name]) => name));
}, 60_000);

it("prints help as text: every command with a summary, and one command's flags after --help", async () => {
  const help = await binary('help');
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: npx gatehouse <command> \[flags\]\n/);
  expect(help.stdout).not.toContain('\\n');
  for (const command of [
    'migrate',
    'tenant create',
    'tenant list',
    'tenant delete',
    'user create',
    'user reset-password',
    'user list',
    'role create',
    'client rotate-secret',
    'client delete',
    'keys rotate',
    'demo credentials',
  ]) {
    expect(help.stdout).toMatch(new RegExp(`\\n  ${command} +\\S`));
  }
  expect((await cli('--help')).stdout).toBe(help.stdout);
  const one = await cli('user', 'create', '--help');
  expect(one.code).toBe(0);
  expect(one.stdout).toMatch(
    /^Usage: npx gatehouse user create --tenant SLUG --email E \[--password-stdin\] .*\[--role R\]\.\.\. \[--json\]\n/,
  );
  expect(one.stdout).toContain('--password-stdin');

  const none = await cli();
  expect(none.code).toBe(2);
  expect(none.stdout).toBe('');
  expect(err(none)).toMatchObject({ code: 'USAGE_ERROR', usage: help.stdout.trimEnd() });
  const group = await cli('tenant');
  expect(group.code).toBe(2);
  expect(
    err(group)
      .usage.split('\n')
      .filter((l: string) => l.startsWith('  tenant ')),
  ).toHaveLength(7);
}, 120_000);

it('creates, suspends and activates a tenant', async () => {
  const created = await binary('tenant', 'create', '--id', 'acme', '--name', 'Acme Inc', '--session-limit', '3', '--mfa', 'required');
  expect(created.code).toBe(0);
  expect(out(created).tenant).toMatchObject({ id: 'acme', name: 'Acme Inc', status: 'active', sessionLimit: 3, mfaPolicy: 'required' });
  expect(out(await cli('tenant', 'suspend', '--id', 'acme')).tenant.status).toBe('suspended');
  expect(out(await cli('tenant', 'activate', '--id', 'acme')).tenant.status).toBe('active');
  const { roles, audit } = await inDb(async (db) => ({
    roles: await db('roles').where({ tenant_id: 'acme' }).orderBy('name').pluck('name'),
    audit: await db('audit_events').where({ tenant_id: 'acme', subject_id: 'acme' }).orderBy('id').select('type', 'actor_id'),
  }));
  expect(roles).toEqual(['admin', 'member']);
  expect(audit).toEqual([
    { type: 'tenant.created', actor_id: 'cli' },
    { type: 'tenant.suspended', actor_id: 'cli' },
    { type: 'tenant.activated', actor_id: 'cli' },
  ]);
});

it('turns self-registration on at creation and off with an update, and refuses other values', async () => {
  const created = await cli('tenant', 'create', '--id', 'open-shop', '--name', 'Open Shop', '--self-registration', 'on');
  expect(created.code).toBe(0);
  expect(out(created).tenant).toMatchObject({ id: 'open-shop', selfRegistration: true });
  expect(await inDb((db) => db('tenants').where({ id: 'open-shop' }).first('self_registration'))).toEqual({ self_registration: true });
  const updated = await cli('tenant', 'update', '--id', 'open-shop', '--self-registration', 'off');
  expect(updated.code).toBe(0);
  expect(out(updated).tenant.selfRegistration).toBe(false);
  const wrong = await cli('tenant', 'update', '--id', 'open-shop', '--self-registration', 'yes');
  expect(wrong.code).toBe(2);
  expect(err(wrong)).toMatchObject({ code: 'USAGE_ERROR', message: expect.stringContaining('--self-registration must be on or off') });
  expect((await cli('tenant', 'delete', '--id', 'open-shop', '--yes')).code).toBe(0);
}, 60_000);

it('refuses a duplicate tenant, a bad slug and an unknown tenant with catalogue codes', async () => {
  const dup = await cli('tenant', 'create', '--id', 'acme', '--name', 'Again');
  expect(dup.code).toBe(1);
  expect(dup.stdout).toBe('');
  expect(err(dup).code).toBe('DUPLICATE_RESOURCE');
  const bad = await cli('tenant', 'create', '--id', 'Not A Slug', '--name', 'x');
  expect(err(bad)).toMatchObject({ code: 'INVALID_FORMAT', errors: [{ code: 'INVALID_FORMAT', field: 'id', constraint: 'PATTERN' }] });
  const missing = await cli('tenant', 'suspend', '--id', 'nope');
  expect(missing.code).toBe(1);
  expect(err(missing).code).toBe('NOT_FOUND');
  expect(err(await cli('tenant', 'activate', '--id', 'nope')).code).toBe('NOT_FOUND');
  const badLimit = await cli('tenant', 'create', '--id', 'limits', '--name', 'L', '--session-limit', '0');
  expect(err(badLimit).errors).toEqual([
    { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'sessionLimit', constraint: 'MIN_VALUE' },
  ]);
  const tenants = await inDb((db) => db('tenants').orderBy('id').pluck('id'));
  expect(tenants).toEqual(['acme']);
}, 120_000);

it('creates users with roles; the password is stored as bcrypt and never printed', async () => {
  const password = 'a long passphrase';
  const admin = await cliIn(
    `${password}\n`,
    'user',
    'create',
    '--tenant',
    'acme',
    '--email',
    'Ann@Acme.test',
    '--password-stdin',
    '--role',
    'admin',
    '--username',
    'ann',
  );
  expect(admin.code).toBe(0);
  expect(out(admin).user).toMatchObject({ email: 'Ann@Acme.test', username: 'ann', roles: ['admin'], emailVerified: true });
  const member = await cliIn(
    password,
    'user',
    'create',
    '--tenant',
    'acme',
    '--email',
    'bob@acme.test',
    '--password-stdin',
    '--unverified',
  );
  expect(out(member).user).toMatchObject({ roles: ['member'], emailVerified: false });
  for (const r of [admin, member]) expect(r.stdout + r.stderr).not.toContain(password);

  const { row, audit } = await inDb(async (db) => {
    const user = await db('users').whereRaw('lower(email) = ?', ['ann@acme.test']).first();
    return { row: user, audit: await db('audit_events').where({ type: 'user.created', subject_id: user.id }).first() };
  });
  expect(row.password_hash).toMatch(/^\$2[aby]\$/);
  expect(await bcrypt.compare(password, row.password_hash)).toBe(true);
  expect(audit.actor_id).toBe('cli');
});

it('refuses bad users with every problem named, and never echoes the password', async () => {
  const password = 'a long passphrase';
  const dup = await cliIn(password, 'user', 'create', '--tenant', 'acme', '--email', 'ANN@acme.test', '--password-stdin');
  expect(dup.code).toBe(1);
  expect(err(dup).code).toBe('DUPLICATE_RESOURCE');
  const noTenant = await cliIn(password, 'user', 'create', '--tenant', 'nope', '--email', 'y@acme.test', '--password-stdin');
  expect(err(noTenant)).toMatchObject({ code: 'NOT_FOUND', errors: [{ code: 'NOT_FOUND', field: 'tenant' }] });
  // A password on the command line is visible in `ps`: refused, without repeating it.
  const unquoted = await cli('user', 'create', '--tenant', 'acme', '--email', 'z@acme.test', '--password', 'a', 'long', 'passphrase');
  expect(unquoted.code).toBe(2);
  expect(err(unquoted)).toMatchObject({ code: 'USAGE_ERROR', message: expect.stringContaining('--password-stdin') });
  // Without a terminal to prompt on and without --password-stdin there is no password to take.
  const noTty = await cli('user', 'create', '--tenant', 'acme', '--email', 'z@acme.test');
  expect(noTty.code).toBe(2);
  expect(err(noTty).message).toMatch(/no terminal .* --password-stdin/);
  for (const r of [dup, noTenant, unquoted]) {
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/passphrase|long/);
  }

  const role = await cliIn(
    password,
    'user',
    'create',
    '--tenant',
    'acme',
    '--email',
    'x@acme.test',
    '--password-stdin',
    '--role',
    'wizard',
  );
  expect(err(role)).toMatchObject({ code: 'NOT_FOUND', errors: [{ field: 'roles' }] });
  expect(role.stderr).not.toContain(password);
  const bad = await cliIn('short\n', 'user', 'create', '--tenant', 'acme', '--email', 'not-an-email', '--password-stdin');
  expect(bad.code).toBe(1);
  expect(bad.stderr).not.toContain('short');
  expect(err(bad).errors).toEqual([
    { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'email', constraint: 'EMAIL_FORMAT' },
    { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'password', constraint: 'MIN_LENGTH' },
  ]);
  const emails = await inDb((db) => db('users').where({ tenant_id: 'acme' }).orderBy('email').pluck('email'));
  expect(emails).toEqual(['Ann@Acme.test', 'bob@acme.test']);
}, 120_000);

it('creates a confidential client and prints its secret once; stores only a hash', async () => {
  const res = await cli(
    'client',
    'create',
    '--tenant',
    'acme',
    '--name',
    'Web',
    '--redirect-uri',
    'https://app.acme.test/cb',
    '--first-party',
  );
  expect(res.code).toBe(0);
  const client = out(res);
  expect(client).toMatchObject({
    tenant_id: 'acme',
    first_party: true,
    redirect_uris: ['https://app.acme.test/cb'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  expect(client.client_secret.length).toBeGreaterThanOrEqual(43);
  const row = await inDb((db) => db('clients').where({ client_id: client.client_id }).first());
  expect(JSON.stringify(row)).not.toContain(client.client_secret);

  const pub = out(
    await cli('client', 'create', '--tenant', 'acme', '--name', 'SPA', '--redirect-uri', 'http://localhost:5173/cb', '--public'),
  );
  expect(pub.client_secret).toBeUndefined();
  expect(pub.token_endpoint_auth_method).toBe('none');

  const insecure = await cli('client', 'create', '--tenant', 'acme', '--name', 'Bad', '--redirect-uri', 'http://evil.test/cb');
  expect(err(insecure).errors).toEqual([
    { code: 'INVALID_FORMAT', message: 'Field format is invalid', field: 'redirectUris.0', constraint: 'URL_FORMAT' },
  ]);
}, 120_000);

it('rotates signing keys; logs go to stderr and leave stdout one JSON document', async () => {
  const res = await runScript('bin/gatehouse.js', ['keys', 'rotate'], { ...env.vars, LOG_LEVEL: 'info' });
  expect(res.code).toBe(0);
  expect(res.stderr).toContain('"msg":"signing keys created"');
  const { active, retired } = out(res);
  expect(active).toHaveLength(3); // an ES256, an RS256 and an Ed25519 key
  const again = out(await cli('keys', 'rotate'));
  expect(again.retired.sort()).toEqual([...active].sort());
  expect(retired).toEqual(expect.any(Array));
});

it('answers usage errors with exit 2 and a JSON error', async () => {
  const unknownFlag = await binary('tenant', 'create', '--id', 'x', '--name', 'y', '--colour', 'red');
  expect(unknownFlag.code).toBe(2);
  expect(err(unknownFlag).code).toBe('USAGE_ERROR');
  const unknownCommand = await cli('frobnicate');
  expect(unknownCommand.code).toBe(2);
  expect(err(unknownCommand).code).toBe('USAGE_ERROR');
  const missingFlag = await cli('tenant', 'create', '--id', 'x');
  expect(err(missingFlag)).toMatchObject({ code: 'USAGE_ERROR', message: '--name is required' });
});

it('names a bad configuration variable', async () => {
  const res = await runScript('bin/gatehouse.js', ['migrate'], { ...env.vars, BCRYPT_COST: 'lots' });
  expect(res.code).toBe(1);
  expect(err(res)).toEqual({ code: 'CONFIG_ERROR', message: 'BCRYPT_COST: must be a whole number from 4 to 15 (got "lots")' });
});

it('refuses an embedded data directory that a running server holds', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-lock-'));
  const embedded = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', BCRYPT_COST: '4', LOG_LEVEL: 'info', SEED_DEMO: 'false' };
  const server = await spawnServer(embedded, 90_000);
  try {
    const res = await runScript('bin/gatehouse.js', ['tenant', 'create', '--id', 'x', '--name', 'X'], embedded);
    expect(res.code).toBe(1);
    expect(err(res)).toMatchObject({
      code: 'DATA_DIR_LOCKED',
      message: expect.stringMatching(/in use by process \d+; stop it first or set DATABASE_URL/),
    });
  } finally {
    expect(await server.stop()).toBe(0);
  }
  const after = await runScript('bin/gatehouse.js', ['tenant', 'create', '--id', 'x', '--name', 'X'], embedded);
  expect(after.code).toBe(0);
}, 120_000);

it("sets a tenant's own rate limits", async () => {
  const res = await cli(
    'tenant',
    'create',
    '--id',
    'limited',
    '--name',
    'Limited',
    '--rate-limit',
    'login=5/60',
    '--rate-limit',
    'api=100/60',
  );
  expect(res.code).toBe(0);
  expect(out(res).tenant.rateLimits).toEqual({ login: { points: 5, duration: 60 }, api: { points: 100, duration: 60 } });
  const bad = await cli('tenant', 'create', '--id', 'bad', '--name', 'Bad', '--rate-limit', 'login:5');
  expect(bad.code).toBe(2);
  expect(err(bad).code).toBe('USAGE_ERROR');
  const unknown = await cli('tenant', 'create', '--id', 'bad', '--name', 'Bad', '--rate-limit', 'everything=5/60');
  expect(err(unknown)).toMatchObject({ code: 'INVALID_FORMAT', errors: [{ field: 'rateLimits' }] });
});
