// Every admin task of the CLI against a running server on the same database: what the CLI changes, the server
// enforces (a reset password, a rotated secret, a deleted user or client), and text output for a person.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { authApi, readJson } from '../helpers/http.ts';
import { runCliInProcess } from '../helpers/cli.ts';
import { ROOT, type Completed } from '../helpers/processes.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';

let server: TestServer;

const api = authApi(() => server.url);

/** The CLI as a child process, the binary a person runs; `input` goes to its stdin (for --password-stdin). */
const binary = (args: string[], input = '') =>
  new Promise<Completed>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/gatehouse.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...server.env.vars },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });

/** The same CLI in this process (runCliInProcess); the first test runs the binary. */
const cli = (args: string[], input = '') => runCliInProcess(args, server.env.vars, { input });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ok = async (args: string[], input?: string): Promise<any> => {
  const res = await cli(args, input);
  if (res.code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
  return JSON.parse(res.stdout);
};
const errorOf = (r: Completed) => JSON.parse(r.stderr.trim().split('\n').pop() as string).error;

const login = (email: string, password: string) => api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: email, password } });

function tokenRequest(clientId: string, secret: string) {
  return fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'openid' }),
  });
}

// The CLI and the server on one database in two processes: embedded PGlite is single-process.
describeWithSharedServices('the CLI beside a running server', () => {
  beforeAll(async () => {
    server = await startTestServer();
  }, 60_000);
  afterAll(() => server.stop());

  it('lists, shows and updates tenants; the running server applies the change', async () => {
    const first = await binary(['tenant', 'create', '--id', 'acme', '--name', 'Acme']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).tenant).toMatchObject({ id: 'acme', name: 'Acme' });
    await ok(['tenant', 'create', '--id', 'beta', '--name', 'Beta']);
    const list = await ok(['tenant', 'list', '--limit', '1']);
    expect(list.tenants.map((t: { id: string }) => t.id)).toEqual(['acme']);
    const next = await ok(['tenant', 'list', '--limit', '1', '--cursor', list.nextCursor]);
    expect(next.tenants.map((t: { id: string }) => t.id)).toEqual(['beta']);
    const updated = await ok(['tenant', 'update', '--id', 'beta', '--name', 'Beta Ltd', '--mfa', 'required', '--session-limit', '7']);
    expect(updated.tenant).toMatchObject({ id: 'beta', name: 'Beta Ltd', mfaPolicy: 'required', sessionLimit: 7 });
    expect((await ok(['tenant', 'show', '--id', 'beta'])).tenant).toEqual(updated.tenant);
    const nothing = await cli(['tenant', 'update', '--id', 'beta']);
    expect(nothing.code).toBe(2);
    expect(errorOf(await cli(['tenant', 'show', '--id', 'nope'])).code).toBe('NOT_FOUND');

    await ok(['user', 'create', '--tenant', 'beta', '--email', 'x@beta.test', '--password-stdin'], 'whatever long\n');
    const betaLogin = () => api('POST', '/login', { tenant: 'beta', body: { usernameOrEmail: 'x@beta.test', password: 'whatever long' } });
    // The server applies the updated policy: MFA is required in beta now.
    expect((await betaLogin()).body).toMatchObject({ mfaRequired: true, mfaEnrollmentRequired: true });
    // Deleting needs --yes without a terminal to confirm on; then the tenant is gone for the server too.
    const unconfirmed = await cli(['tenant', 'delete', '--id', 'beta']);
    expect(unconfirmed.code).toBe(2);
    expect(errorOf(unconfirmed).message).toContain('--yes');
    expect(await ok(['tenant', 'delete', '--id', 'beta', '--yes'])).toEqual({ deleted: { tenant: 'beta' } });
    expect((await ok(['tenant', 'list'])).tenants.map((t: { id: string }) => t.id)).toEqual(['acme']);
    expect((await betaLogin()).status).toBe(401);
    expect(errorOf(await cli(['tenant', 'show', '--id', 'beta'])).code).toBe('NOT_FOUND');
    // The platform tenant holds the operators: never deleted.
    await ok(['tenant', 'create', '--id', 'platform', '--name', 'Platform']);
    expect(errorOf(await cli(['tenant', 'delete', '--id', 'platform', '--yes'])).errors).toEqual([
      expect.objectContaining({ field: 'id', constraint: 'PLATFORM_TENANT' }),
    ]);
  }, 60_000);

  it('manages a user: create from stdin, list, update, reset the password (old tokens die), delete', async () => {
    const created = await ok(
      ['user', 'create', '--tenant', 'acme', '--email', 'ann@acme.test', '--username', 'ann', '--password-stdin'],
      'first passphrase\n',
    );
    const userId = created.user.id as string;
    const first = await login('ann@acme.test', 'first passphrase');
    expect(first.status).toBe(200);
    const oldToken = first.body.data.accessToken as string;
    expect((await api('GET', '/me', { tenant: 'acme', token: oldToken })).status).toBe(200);

    const found = await ok(['user', 'list', '--tenant', 'acme', '--search', 'ANN']);
    expect(found.users.map((u: { id: string }) => u.id)).toEqual([userId]);
    expect((await ok(['user', 'list', '--tenant', 'acme', '--search', 'nobody'])).users).toEqual([]);
    const updated = await ok(['user', 'update', '--tenant', 'acme', '--user', userId, '--email', 'ann.b@acme.test', '--role', 'admin']);
    expect(updated.user).toMatchObject({ email: 'ann.b@acme.test', roles: ['admin'] });
    expect((await ok(['user', 'show', '--tenant', 'acme', '--user', userId])).user).toMatchObject({
      email: 'ann.b@acme.test',
      locked: false,
    });

    const reset = await cli(['user', 'reset-password', '--tenant', 'acme', '--user', userId, '--password-stdin'], 'second passphrase\n');
    expect(reset.code).toBe(0);
    expect(reset.stdout + reset.stderr).not.toContain('second passphrase');
    expect(JSON.parse(reset.stdout).sessionsEnded).toBe(1);
    expect((await login('ann.b@acme.test', 'first passphrase')).status).toBe(401);
    expect((await login('ann.b@acme.test', 'second passphrase')).status).toBe(200);
    // The session the old token belonged to ended with the reset.
    expect((await api('GET', '/me', { tenant: 'acme', token: oldToken })).status).toBe(401);

    // Disabling ends the live sessions and their refresh tokens at once; enabling lets the user sign in again.
    // The tenant's last active admin cannot be disabled; once there is a second one, ann can be.
    expect(errorOf(await cli(['user', 'disable', '--tenant', 'acme', '--user', userId])).code).toBe('LAST_ADMIN');
    await ok(['user', 'create', '--tenant', 'acme', '--email', 'bob@acme.test', '--role', 'admin', '--password-stdin'], 'bob passphrase\n');
    const live = await login('ann.b@acme.test', 'second passphrase');
    const disabled = await ok(['user', 'disable', '--tenant', 'acme', '--user', userId]);
    // Two live sessions: the sign-in after the reset above, and this one.
    expect(disabled).toMatchObject({ user: { status: 'disabled' }, sessionsEnded: 2 });
    expect((await api('GET', '/me', { tenant: 'acme', token: live.body.data.accessToken })).status).toBe(401);
    expect((await api('POST', '/refresh', { tenant: 'acme', body: { refreshToken: live.body.data.refreshToken } })).status).toBe(401);
    expect((await login('ann.b@acme.test', 'second passphrase')).status).toBe(401);
    expect((await ok(['user', 'enable', '--tenant', 'acme', '--user', userId])).user.status).toBe('active');
    expect((await login('ann.b@acme.test', 'second passphrase')).status).toBe(200);

    const short = await cli(['user', 'reset-password', '--tenant', 'acme', '--user', userId, '--password-stdin'], 'short\n');
    expect(errorOf(short).errors).toEqual([expect.objectContaining({ field: 'password', constraint: 'MIN_LENGTH' })]);
    // Another tenant's user is not found through this tenant.
    expect(errorOf(await cli(['user', 'show', '--tenant', 'platform', '--user', userId])).code).toBe('NOT_FOUND');

    expect(await ok(['user', 'delete', '--tenant', 'acme', '--user', userId, '--yes'])).toEqual({
      deleted: { tenant: 'acme', user: userId, email: 'ann.b@acme.test' },
    });
    expect((await login('ann.b@acme.test', 'second passphrase')).status).toBe(401);
    expect(errorOf(await cli(['user', 'delete', '--tenant', 'acme', '--user', userId, '--yes'])).code).toBe('NOT_FOUND');
  }, 60_000);

  it('manages custom roles; the built-in ones are fixed', async () => {
    const created = await ok([
      'role',
      'create',
      '--tenant',
      'acme',
      '--name',
      'support',
      '--description',
      'Helpdesk',
      '--permission',
      'users:read',
    ]);
    expect(created.role).toEqual({ name: 'support', description: 'Helpdesk', permissions: ['users:read'], builtIn: false });
    const updated = await ok([
      'role',
      'update',
      '--tenant',
      'acme',
      '--name',
      'support',
      '--permission',
      'users:read',
      '--permission',
      'sessions:read',
    ]);
    expect(updated.role.permissions.sort()).toEqual(['sessions:read', 'users:read']);
    expect((await ok(['role', 'list', '--tenant', 'acme'])).roles.map((r: { name: string }) => r.name)).toEqual([
      'admin',
      'member',
      'support',
    ]);
    expect((await ok(['role', 'show', '--tenant', 'acme', '--name', 'support'])).role.description).toBe('Helpdesk');
    const bad = await cli(['role', 'create', '--tenant', 'acme', '--name', 'x', '--permission', 'everything']);
    expect(errorOf(bad).code).toBe('INVALID_FORMAT');
    const builtIn = await cli(['role', 'delete', '--tenant', 'acme', '--name', 'admin', '--yes']);
    expect(errorOf(builtIn).errors).toEqual([expect.objectContaining({ constraint: 'BUILT_IN_ROLE' })]);
    expect(await ok(['role', 'delete', '--tenant', 'acme', '--name', 'support', '--yes'])).toEqual({
      deleted: { tenant: 'acme', role: 'support' },
    });
    expect(errorOf(await cli(['role', 'show', '--tenant', 'acme', '--name', 'support'])).code).toBe('NOT_FOUND');
  }, 60_000);

  it('manages a client: list, update, rotate the secret (the old one stops working), delete', async () => {
    const created = await ok(['client', 'create', '--tenant', 'acme', '--name', 'Batch', '--grant-type', 'client_credentials']);
    const clientId = created.client_id as string;
    expect((await tokenRequest(clientId, created.client_secret)).status).toBe(200);
    const list = await ok(['client', 'list', '--tenant', 'acme']);
    expect(list.clients.map((c: { clientId: string }) => c.clientId)).toContain(clientId);
    expect(JSON.stringify(list)).not.toContain(created.client_secret);
    const updated = await ok(['client', 'update', '--tenant', 'acme', '--client', clientId, '--name', 'Nightly batch']);
    expect(updated.client).toMatchObject({ clientId, name: 'Nightly batch', grantTypes: ['client_credentials'] });
    expect((await ok(['client', 'show', '--tenant', 'acme', '--client', clientId])).client.name).toBe('Nightly batch');

    const rotated = await ok(['client', 'rotate-secret', '--tenant', 'acme', '--client', clientId]);
    expect(rotated.clientSecret).not.toBe(created.client_secret);
    const old = await tokenRequest(clientId, created.client_secret);
    expect(old.status).toBe(401);
    expect((await readJson(old)).error).toBe('invalid_client');
    expect((await tokenRequest(clientId, rotated.clientSecret)).status).toBe(200);

    // The tenant's built-in JSON API client cannot be touched.
    expect(errorOf(await cli(['client', 'delete', '--tenant', 'acme', '--client', 'acme_api', '--yes'])).errors).toEqual([
      expect.objectContaining({ constraint: 'BUILT_IN_CLIENT' }),
    ]);
    expect((await ok(['client', 'delete', '--tenant', 'acme', '--client', clientId, '--yes'])).deleted).toEqual({
      tenant: 'acme',
      client: clientId,
    });
    expect((await tokenRequest(clientId, rotated.clientSecret)).status).toBe(401);
  }, 60_000);

  it('registers a private_key_jwt client with its keys from a file, DPoP-bound; the running server takes its assertions', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-jwks-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'cli-key', use: 'sig' }] }));
    try {
      const created = await ok([
        'client',
        'create',
        '--tenant',
        'acme',
        '--name',
        'Signed batch',
        '--grant-type',
        'client_credentials',
        '--auth-method',
        'private_key_jwt',
        '--jwks-file',
        file,
        '--dpop-bound',
        'yes',
      ]);
      expect(created.client_secret).toBeUndefined();
      expect(created).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', dpop_bound_access_tokens: true });
      const rp = await oidc.discovery(
        new URL(server.url),
        created.client_id,
        undefined,
        oidc.PrivateKeyJwt({ key: privateKey, kid: 'cli-key' }),
        {
          execute: [oidc.allowInsecureRequests],
        },
      );
      await expect(oidc.clientCredentialsGrant(rp, { scope: 'openid' })).rejects.toMatchObject({ status: 400 });
      const dpop = oidc.getDPoPHandle(rp, await oidc.randomDPoPKeyPair('ES256'));
      expect((await oidc.clientCredentialsGrant(rp, { scope: 'openid' }, { DPoP: dpop })).token_type.toLowerCase()).toBe('dpop');

      const updated = await ok([
        'client',
        'update',
        '--tenant',
        'acme',
        '--client',
        created.client_id,
        '--dpop-bound',
        'no',
        '--id-token-alg',
        'EdDSA',
      ]);
      expect(updated.client).toMatchObject({ authMethod: 'private_key_jwt', dpopBoundAccessTokens: false, idTokenSigningAlg: 'EdDSA' });
      expect((await oidc.clientCredentialsGrant(rp, { scope: 'openid' })).token_type.toLowerCase()).toBe('bearer');
      expect(
        errorOf(await cli(['client', 'update', '--tenant', 'acme', '--client', created.client_id, '--jwks-file', 'none'])).errors,
      ).toEqual([expect.objectContaining({ field: 'jwks' })]);
      expect((await cli(['client', 'update', '--tenant', 'acme', '--client', created.client_id, '--dpop-bound', 'maybe'])).code).not.toBe(
        0,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('registers a back-channel logout URI; a session the CLI ends gets its logout token from the running server', async () => {
    const receiver = new BackchannelReceiver();
    const receiverUrl = await receiver.listen();
    try {
      const redirectUri = 'http://127.0.0.1:7777/callback';
      const created = await ok([
        'client',
        'create',
        '--tenant',
        'acme',
        '--name',
        'Back-channel app',
        '--redirect-uri',
        redirectUri,
        '--first-party',
        '--backchannel-logout-uri',
        `${receiverUrl}/cli`,
        '--backchannel-logout-session-required',
      ]);
      expect(created).toMatchObject({ backchannel_logout_uri: `${receiverUrl}/cli`, backchannel_logout_session_required: true });
      const clientId = created.client_id as string;
      const user = await ok(['user', 'create', '--tenant', 'acme', '--email', 'bcl@acme.test', '--password-stdin'], 'back channel pass\n');
      const rp = await discoverRp(server.url, clientId, created.client_secret);
      const signedIn = await signInThroughPages({
        baseUrl: server.url,
        rp,
        redirectUri,
        login: 'bcl@acme.test',
        password: 'back channel pass',
      });
      const tokens = await oidc.authorizationCodeGrant(rp, signedIn.callback, {
        pkceCodeVerifier: signedIn.verifier,
        expectedState: signedIn.state,
      });

      // The CLI runs no delivery worker: it queues the token in the session's transaction, and the server sends it.
      expect(await ok(['user', 'disable', '--tenant', 'acme', '--user', user.user.id])).toMatchObject({ sessionsEnded: 1 });
      const [received] = await receiver.tokensAt('/cli');
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(received?.token as string, jwks, {
        issuer: server.ctx.config.publicUrl,
        audience: clientId,
        typ: 'logout+jwt',
      });
      expect(payload).toMatchObject({
        sub: user.user.id,
        sid: tokens.claims()?.sid,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      });

      // Deleting a user takes their sessions with the row; their clients are told as well.
      const other = await ok(
        ['user', 'create', '--tenant', 'acme', '--email', 'bcl2@acme.test', '--password-stdin'],
        'back channel pass\n',
      );
      const second = await signInThroughPages({
        baseUrl: server.url,
        rp,
        redirectUri,
        login: 'bcl2@acme.test',
        password: 'back channel pass',
      });
      const secondTokens = await oidc.authorizationCodeGrant(rp, second.callback, {
        pkceCodeVerifier: second.verifier,
        expectedState: second.state,
      });
      await ok(['user', 'delete', '--tenant', 'acme', '--user', other.user.id, '--yes']);
      const [, afterDelete] = await receiver.tokensAt('/cli', 2);
      expect(
        (await jwtVerify(afterDelete?.token as string, jwks, { issuer: server.ctx.config.publicUrl, audience: clientId })).payload,
      ).toMatchObject({
        sub: other.user.id,
        sid: secondTokens.claims()?.sid,
      });

      const removed = await ok(['client', 'update', '--tenant', 'acme', '--client', clientId, '--no-backchannel-logout']);
      expect(removed.client).toMatchObject({ backchannelLogoutUri: null, backchannelLogoutSessionRequired: true });
      expect(
        (await cli(['client', 'update', '--tenant', 'acme', '--client', clientId, '--backchannel-logout-uri', 'http://rp.example/logout']))
          .code,
      ).not.toBe(0);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('prints text for a person at a terminal, asks for passwords without echo, and refuses two different answers', async () => {
    // A person at a terminal: text out, and `answers` typed at its prompts.
    const run = (argv: string[], answers: string[] = []) => runCliInProcess(argv, server.env.vars, { terminal: { answers } });
    const table = await run(['tenant', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^id +name +status +mfaPolicy +sessionLimit +createdAt$/);
    expect(table.stdout).toMatch(/\nacme +Acme +active /);

    const created = await run(['user', 'create', '--tenant', 'acme', '--email', 'tty@acme.test'], ['typed passphrase', 'typed passphrase']);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('Password: Repeat the password: ');
    expect(created.stderr).toContain('Hashing the password…');
    expect(created.stdout).toMatch(/^user:\n {2}id +[0-9a-f-]{36}\n {2}tenantId +acme\n {2}email +tty@acme\.test\n/);
    expect((await login('tty@acme.test', 'typed passphrase')).status).toBe(200);

    const differ = await run(['user', 'create', '--tenant', 'acme', '--email', 'other@acme.test'], ['one passphrase', 'another one']);
    expect(differ.code).toBe(2);
    expect(differ.stderr).toContain('gatehouse: the two passwords differ (USAGE_ERROR)');
    const declined = await run(['tenant', 'delete', '--id', 'acme'], ['n']);
    expect(declined.code).toBe(2);
    expect((await ok(['tenant', 'show', '--id', 'acme'])).tenant.id).toBe('acme');
    const failed = await run(['tenant', 'show', '--id', 'nope']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('gatehouse: Resource not found (NOT_FOUND)\n  tenant: Resource not found\n  tenant nope\n');
  }, 60_000);
});
