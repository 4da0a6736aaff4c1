// The SDK against a live server: every operation of the auth and admin APIs is in its operation table and has a
// method (checked against the served OpenAPI document both ways), and the flows a user and an admin run work end to
// end: registration, email verification, password reset, MFA enrolment, backup codes, disabling MFA, admin tasks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminClient, ADMIN_OPERATIONS, AuthApiError, AuthClient, AUTH_OPERATIONS } from '../../src/client/index.ts';
import { docsLinksOf } from '../../src/client/errors.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { updateTenant } from '../../src/services/tenants.ts';
import { ROOT } from '../helpers/processes.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { totp } from '../helpers/totp.ts';

const PASSWORD = 'correct horse battery';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await makeTenant(server.ctx, 'acme');
  await makeTenant(server.ctx, 'beta');
  await makeUser(server.ctx, 'acme', 'boss@acme.test', PASSWORD, ['admin']);
  await makeUser(server.ctx, 'beta', 'boss@beta.test', PASSWORD, ['admin']);
}, 60_000);
afterAll(() => server.stop());

const client = (tenantId = 'acme') => new AuthClient({ baseUrl: server.url, tenantId });
const mail = (to: string, kind: string) => server.mail.take(to, kind);
const tokenIn = (body: string) => /[?&]token=([\w-]+)/.exec(body)?.[1] as string;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err as AuthApiError,
  );

describe('against the OpenAPI document', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let paths: Record<string, Record<string, any>>;
  beforeAll(async () => {
    paths = ((await (await fetch(`${server.url}/api/v1/auth/docs/openapi.json`)).json()) as { paths: typeof paths }).paths;
  });

  /** operationId → "METHOD /path" for every operation under a prefix. */
  const served = (prefix: string) =>
    Object.fromEntries(
      Object.entries(paths)
        .filter(([path]) => path.startsWith(`${prefix}/`) && !path.startsWith(`${prefix}/docs`))
        .flatMap(([path, ops]) =>
          Object.entries(ops).map(([method, op]) => [op.operationId as string, `${method.toUpperCase()} ${path.slice(prefix.length)}`]),
        ),
    );
  const table = (ops: Record<string, { method: string; path: string }>) =>
    Object.fromEntries(Object.entries(ops).map(([id, op]) => [id, `${op.method} ${op.path}`]));

  it('has exactly the operations the server documents, with their methods and paths', () => {
    expect(table(AUTH_OPERATIONS)).toEqual(served('/api/v1/auth'));
    expect(table(ADMIN_OPERATIONS)).toEqual(served('/api/v1/admin'));
  });

  it('calls every operation of its table from a method', () => {
    const source = (file: string) => readFileSync(join(ROOT, 'src/client', file), 'utf8');
    const called = (text: string) => new Set([...text.matchAll(/#op(?:<[^>]*>)?\('(\w+)'/g)].map((m) => m[1]));
    const authCalls = called(source('auth-client.ts'));
    // sign-in, refresh and the session calls predate the table and name their paths directly
    const direct = ['login', 'verifyMfa', 'refresh', 'logout', 'me', 'listSessions', 'endSession', 'endOtherSessions'];
    for (const id of Object.keys(AUTH_OPERATIONS)) expect(authCalls.has(id) || direct.includes(id)).toBe(true);
    for (const id of direct)
      expect(source('auth-client.ts')).toContain(
        `\${AUTH_PREFIX}${AUTH_OPERATIONS[id as keyof typeof AUTH_OPERATIONS].path.replace(/\{id\}.*/, '')}`,
      );
    expect([...called(source('admin-client.ts'))].sort()).toEqual(Object.keys(ADMIN_OPERATIONS).sort());
  });
});

it('registers, verifies the email, signs in, forgets and resets the password', async () => {
  const auth = client();
  const registered = await auth.register({ email: 'new@acme.test', password: 'first passphrase' });
  expect(registered).toEqual({ message: expect.any(String), emailVerificationRequired: true });
  const unverified = await failure(auth.login('new@acme.test', 'first passphrase'));
  expect(unverified).toBeInstanceOf(AuthApiError);
  expect(unverified?.code).toBe('INVALID_CREDENTIALS');
  expect(unverified?.docs).toBe(`${server.url}/docs/errors#INVALID_CREDENTIALS`);

  expect(await auth.verifyEmail(tokenIn((await mail('new@acme.test', 'verify_email'))!.body))).toEqual({ emailVerified: true });
  expect((await auth.login('new@acme.test', 'first passphrase')).type).toBe('tokens');

  expect((await auth.forgotPassword('new@acme.test')).message).toEqual(expect.any(String));
  const reset = await auth.resetPassword(tokenIn((await mail('new@acme.test', 'password_reset'))!.body), 'second passphrase');
  expect(reset).toEqual({ passwordReset: true, sessionsEnded: 1 });
  const bad = await failure(auth.resetPassword('used-or-unknown', 'third passphrase'));
  expect(bad?.code).toBe('INVALID_TOKEN');
  expect((await client().login('new@acme.test', 'second passphrase')).type).toBe('tokens');
}, 60_000);

it('enrols MFA, signs in with a code, replaces backup codes and disables MFA', async () => {
  await makeUser(server.ctx, 'acme', 'mfa@acme.test', PASSWORD);
  const auth = client();
  await auth.login('mfa@acme.test', PASSWORD);
  expect(await auth.mfaStatus()).toEqual({ enabled: false, pendingEnrolment: false, backupCodesRemaining: 0 });
  const enrolment = await auth.enrollTotp();
  expect(enrolment.otpauthUri).toContain(enrolment.secret);
  expect(enrolment.qrCode).toMatch(/^data:image\/png;base64,/);
  expect((await failure(auth.activateTotp('000000')))?.code).toBe('INVALID_MFA_CODE');
  const { backupCodes } = await auth.activateTotp(await totp(enrolment.secret));
  expect(backupCodes).toHaveLength(10);
  expect(await auth.mfaStatus()).toMatchObject({ enabled: true, backupCodesRemaining: 10 });

  const next = client();
  const step = await next.login('mfa@acme.test', PASSWORD);
  if (step.type !== 'mfa') throw new Error('expected an MFA step');
  expect((await next.verifyMfa(step.mfaToken, backupCodes[0] as string)).type).toBe('tokens');
  expect((await next.mfaStatus()).backupCodesRemaining).toBe(9);
  const fresh = await next.regenerateBackupCodes(await totp(enrolment.secret, 1));
  expect(fresh.backupCodes).toHaveLength(10);
  expect(await next.disableMfa({ password: PASSWORD })).toEqual({ enabled: false, requiredByTenant: false });
  expect((await client().login('mfa@acme.test', PASSWORD)).type).toBe('tokens');
}, 60_000);

it('manages the account: re-authenticates, changes the password and email, reads apps and activity', async () => {
  await makeUser(server.ctx, 'acme', 'kim@acme.test', PASSWORD);
  const other = client();
  await other.login('kim@acme.test', PASSWORD);
  const auth = client();
  const signedIn = await auth.login('kim@acme.test', PASSWORD);
  expect(signedIn.type).toBe('tokens');
  expect(await auth.connectedApps()).toEqual([]);
  expect(await auth.resendVerificationEmail()).toEqual({ sent: false });
  const missing = await failure(auth.revokeConnectedApp('no-such-app'));
  expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404 });

  // An older sign-in needs the password again before the change.
  const { sessionId } = await auth.me();
  await server.ctx
    .db('sessions')
    .where({ id: sessionId })
    .update({ created_at: new Date(Date.now() - 10 * 60_000) });
  const stale = await failure(auth.changePassword({ currentPassword: PASSWORD, newPassword: 'the next passphrase' }));
  expect(stale).toMatchObject({ code: 'REAUTHENTICATION_REQUIRED', status: 403 });
  expect(Date.parse((await auth.reauthenticate(PASSWORD)).validUntil)).toBeGreaterThan(Date.now());
  expect(await auth.changePassword({ currentPassword: PASSWORD, newPassword: 'the next passphrase', endOtherSessions: true })).toEqual({
    passwordChanged: true,
    sessionsEnded: 1,
  });
  expect(await failure(other.me())).toBeInstanceOf(AuthApiError);
  expect((await auth.changeEmail('kim.new@acme.test')).message).toEqual(expect.any(String));
  expect(tokenIn((await mail('kim.new@acme.test', 'email_change')).body)).toBeTruthy();
  const events = await auth.securityActivity(10);
  expect(events.length).toBeLessThanOrEqual(10);
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['password.changed', 'reauth.succeeded', 'email.change_requested']));
});

it('enrols during a sign-in when the tenant requires MFA', async () => {
  await makeTenant(server.ctx, 'strict');
  await updateTenant(server.ctx, 'strict', { mfaPolicy: 'required' }, { actorId: 'test' });
  await makeUser(server.ctx, 'strict', 'new@strict.test', PASSWORD);
  const auth = client('strict');
  const step = await auth.login('new@strict.test', PASSWORD);
  expect(step).toMatchObject({ type: 'mfa', enrollmentRequired: true });
  if (step.type !== 'mfa') return;
  const enrolment = await auth.enrollMfaDuringSignIn(step.mfaToken);
  const signedIn = await auth.verifyMfa(step.mfaToken, await totp(enrolment.secret));
  expect(signedIn.type).toBe('tokens');
  expect((await auth.me()).user.email).toBe('new@strict.test');
}, 60_000);

it('runs admin tasks with an AdminClient on the admin’s tokens, and only in the admin’s own tenant', async () => {
  const auth = client();
  await auth.login('boss@acme.test', PASSWORD);
  const admin = new AdminClient(auth);
  const { user } = await admin.createUser({ email: 'made@acme.test', password: 'a long passphrase', roles: ['member'] });
  expect(user).toMatchObject({ email: 'made@acme.test', tenantId: 'acme', roles: ['member'], locked: false });
  expect((await admin.listUsers({ search: 'made@' })).users.map((u) => u.id)).toEqual([user.id]);
  expect((await admin.updateUser(user.id, { username: 'made' })).user.username).toBe('made');
  const { role } = await admin.createRole({ name: 'helpdesk', permissions: ['users:read'] });
  expect(role.builtIn).toBe(false);
  expect((await admin.setUserRoles(user.id, ['helpdesk'])).user.roles).toEqual(['helpdesk']);
  expect((await admin.listRoles()).roles.map((r) => r.name)).toContain('helpdesk');
  const created = await admin.createClient({ name: 'Batch', grantTypes: ['client_credentials'] });
  expect(created.clientSecret).toEqual(expect.any(String));
  const rotated = await admin.rotateClientSecret(created.client.clientId);
  expect(rotated.clientSecret).not.toBe(created.clientSecret);
  expect((await admin.disableUser(user.id)).user.status).toBe('disabled');
  expect((await admin.listAuditEvents({ type: 'user.disabled' })).events[0]).toMatchObject({ subjectId: user.id });
  const { apiResource } = await admin.createApiResource({
    identifier: 'https://crm.example/api',
    name: 'CRM',
    scopes: [{ name: 'contacts:read', description: 'Read your contacts' }],
  });
  expect((await admin.setClientResourceScopes(created.client.clientId, apiResource.id, ['contacts:read'])).scopes).toEqual([
    'contacts:read',
  ]);
  expect((await admin.listClientResourceScopes(created.client.clientId)).resources).toEqual([
    { resourceId: apiResource.id, identifier: 'https://crm.example/api', name: 'CRM', scopes: ['contacts:read'] },
  ]);
  expect((await admin.updateApiResource(apiResource.id, { accessTokenTtl: 120 })).apiResource.accessTokenTtl).toBe(120);
  expect((await admin.getApiResource(apiResource.id)).apiResource.identifier).toBe('https://crm.example/api');
  expect((await admin.listApiResources()).apiResources.map((r) => r.id)).toEqual([apiResource.id]);
  expect(await admin.deleteApiResource(apiResource.id)).toEqual({ resourceId: apiResource.id });
  await admin.deleteClient(created.client.clientId);

  // Another tenant's user is not found; a member has no admin rights; tenants are for platform operators.
  const beta = client('beta');
  await beta.login('boss@beta.test', PASSWORD);
  const crossTenant = await failure(new AdminClient(beta).getUser(user.id));
  expect(crossTenant).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  const member = client();
  await makeUser(server.ctx, 'acme', 'plain@acme.test', PASSWORD);
  await member.login('plain@acme.test', PASSWORD);
  expect(await failure(new AdminClient(member).listUsers())).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', status: 403 });
  expect(await failure(admin.listTenants())).toMatchObject({ status: 403 });
}, 60_000);

it('reads an error entry link from a Link rel="help" header when the item carries none', async () => {
  // A server that links the entry in a header instead of the body (docs/api.md, "Errors").
  const linking = createServer((_req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json', Link: '<https://id.example.com/docs/errors#TOKEN_EXPIRED>; rel="help"' });
    res.end(JSON.stringify({ success: false, errors: [{ code: 'TOKEN_EXPIRED', message: 'JWT token has expired' }], requestId: 'r1' }));
  });
  await new Promise<void>((resolve) => linking.listen(0, '127.0.0.1', resolve));
  try {
    const err = await failure(
      new AuthClient({ baseUrl: `http://127.0.0.1:${(linking.address() as AddressInfo).port}`, tenantId: 'acme' }).register({
        email: 'x@acme.test',
        password: 'a long passphrase',
      }),
    );
    expect(err).toMatchObject({ code: 'TOKEN_EXPIRED', requestId: 'r1', docs: 'https://id.example.com/docs/errors#TOKEN_EXPIRED' });
    expect(err?.errors[0]?.docs).toBe('https://id.example.com/docs/errors#TOKEN_EXPIRED');
  } finally {
    linking.close();
  }
  expect(docsLinksOf(null)).toEqual([]);
  expect(docsLinksOf('<https://id.example.com/docs/errors#TOKEN_EXPIRED>; rel="help"')).toEqual([
    'https://id.example.com/docs/errors#TOKEN_EXPIRED',
  ]);
  expect(
    docsLinksOf(
      '<https://x.test/next>; rel="next", <https://x.test/docs/errors#A>; rel="help", <https://x.test/docs/errors#B>; rel="alternate help"',
    ),
  ).toEqual(['https://x.test/docs/errors#A', 'https://x.test/docs/errors#B']);
});
