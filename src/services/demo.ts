// Demo data for a newcomer's first start (docs/configuration.md): only on an empty database and never in production.
// The credentials are kept in DATA_DIR and shown on every development start until the demo admin changes the
// password, so a first start that fails after seeding (port taken) loses nothing; `gatehouse demo credentials`
// prints them too.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceDeps } from '../context.ts';
import { countAllTenants } from '../db/queries/tenants.ts';
import { findUserByLogin } from '../db/queries/users.ts';
import { recordAudit } from './audit.ts';
import { createClient } from './clients.ts';
import { verifyPassword } from './passwords.ts';
import { createTenant } from './tenants.ts';
import { createUser } from './users.ts';

export interface DemoCredentials {
  tenantId: string;
  user: { email: string; password: string };
  admin: { email: string; password: string };
  client: { clientId: string; clientSecret: string; redirectUri: string; authorizeUrl: string };
}

/** What a start shows: the credentials, and whether they were created just now. */
export type DemoData = DemoCredentials & { created: boolean };

export const DEMO_CALLBACK_PATH = '/demo/callback';
export const DEMO_CREDENTIALS_FILE = 'demo-credentials.json';

const SYSTEM = { actorId: 'system' };

const credentialsFile = (deps: ServiceDeps) => join(deps.config.dataDir, DEMO_CREDENTIALS_FILE);

/**
 * Creates the demo tenant and its users when the database has no tenant yet and returns them; on a later start
 * returns the stored credentials while the demo admin's password is still the generated one.
 */
export async function seedDemoData(deps: ServiceDeps): Promise<DemoData | undefined> {
  if (deps.config.isProduction || !deps.config.seedDemo) return undefined;
  if ((await countAllTenants(deps.db)) > 0) {
    const stored = await storedDemoCredentials(deps);
    return stored && { ...stored, created: false };
  }
  const tenant = await createTenant(deps, { id: 'demo', name: 'Demo Company' }, SYSTEM);
  const user = { email: 'user@demo.test', password: generatePassword() };
  const admin = { email: 'admin@demo.test', password: generatePassword() };
  await createUser(deps, { tenantId: tenant.id, ...user, username: 'demo', roles: ['member'] }, SYSTEM);
  await createUser(deps, { tenantId: tenant.id, ...admin, username: 'admin', roles: ['admin'] }, SYSTEM);
  const redirectUri = `${deps.config.publicUrl}${DEMO_CALLBACK_PATH}`;
  const { client, clientSecret } = await createClient(
    deps,
    {
      tenantId: tenant.id,
      name: 'Demo App',
      redirectUris: [redirectUri],
      firstParty: true,
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    },
    SYSTEM,
  );
  const authorizeUrl = new URL(`${deps.config.publicUrl}/oauth2/authorize`);
  authorizeUrl.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: redirectUri,
  }).toString();
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'demo.seeded' }, SYSTEM);
  const demo: DemoCredentials = {
    tenantId: tenant.id,
    user,
    admin,
    client: { clientId: client.clientId, clientSecret: clientSecret as string, redirectUri, authorizeUrl: authorizeUrl.toString() },
  };
  // Owner-only, beside the generated SECRET_KEY: development data on a developer's machine.
  await writeFile(credentialsFile(deps), `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return { ...demo, created: true };
}

/**
 * The stored demo credentials while the demo admin still has the generated password; undefined once it was changed
 * (or the file or the demo tenant is gone). A demo user whose password changed is left out of the answer's `user`.
 */
export async function storedDemoCredentials(deps: ServiceDeps): Promise<DemoCredentials | undefined> {
  let demo: DemoCredentials;
  try {
    demo = JSON.parse(await readFile(credentialsFile(deps), 'utf8')) as DemoCredentials;
  } catch {
    return undefined;
  }
  const [adminValid, userValid] = await Promise.all([
    stillValid(deps, demo.tenantId, demo.admin),
    stillValid(deps, demo.tenantId, demo.user),
  ]);
  if (!adminValid) return undefined;
  return userValid ? demo : { ...demo, user: { email: demo.user.email, password: '(changed since)' } };
}

async function stillValid(deps: ServiceDeps, tenantId: string, who: { email: string; password: string }): Promise<boolean> {
  const user = await findUserByLogin(deps.db, tenantId, who.email);
  return user !== undefined && (await verifyPassword(who.password, user.passwordHash));
}

/** The block a development start prints (and `gatehouse demo credentials` on a terminal). */
export function formatDemoCredentials(demo: DemoData, serverUrl: string): string {
  return [
    '',
    demo.created
      ? '  Demo data created (not in production; shown on every start until the demo admin changes the password):'
      : '  Demo data (shown until the demo admin changes the password; `npx gatehouse demo credentials` prints it too):',
    `    tenant        ${demo.tenantId}      (send X-Tenant-ID: ${demo.tenantId})`,
    `    user          ${demo.user.email}  password ${demo.user.password}`,
    `    tenant admin  ${demo.admin.email}  password ${demo.admin.password}`,
    `    client        ${demo.client.clientId}  secret ${demo.client.clientSecret}`,
    ...(serverUrl ? [`    server        ${serverUrl}`] : []),
    '',
    '  Sign in now: open this in a browser and log in as the user above:',
    `    ${demo.client.authorizeUrl}`,
    '',
    '',
  ].join('\n');
}

function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

/** The demo sign-in link for the development landing page, without checking passwords; undefined before seeding. */
export async function demoSignInUrl(deps: Pick<ServiceDeps, 'config'>): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(deps.config.dataDir, DEMO_CREDENTIALS_FILE), 'utf8')) as DemoCredentials).client.authorizeUrl;
  } catch {
    return undefined;
  }
}
