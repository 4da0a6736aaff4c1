// Demo data for a newcomer's first start (docs/configuration.md): only on an empty database and never in production.
import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../context.ts';
import { countAllTenants } from '../db/queries/tenants.ts';
import { recordAudit } from './audit.ts';
import { createClient } from './clients.ts';
import { createTenant } from './tenants.ts';
import { createUser } from './users.ts';

export interface DemoCredentials {
  tenantId: string;
  user: { email: string; password: string };
  admin: { email: string; password: string };
  client: { clientId: string; clientSecret: string; redirectUri: string; authorizeUrl: string };
}

export const DEMO_CALLBACK_PATH = '/demo/callback';

const SYSTEM = { actorId: 'system' };

/** Creates the demo tenant and its users when the database has no tenant yet; returns what it created. */
export async function seedDemoData(deps: ServiceDeps): Promise<DemoCredentials | undefined> {
  if (deps.config.isProduction || !deps.config.seedDemo) return undefined;
  if ((await countAllTenants(deps.db)) > 0) return undefined;
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
  return {
    tenantId: tenant.id,
    user,
    admin,
    client: { clientId: client.clientId, clientSecret: clientSecret as string, redirectUri, authorizeUrl: authorizeUrl.toString() },
  };
}

function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}
