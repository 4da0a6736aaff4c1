// Demo data for a newcomer's first start (SPEC §2): only on an empty database and never in production.
import { randomBytes } from 'node:crypto';
import type { ServiceDeps } from '../context.ts';
import { countAllTenants } from '../db/queries/tenants.ts';
import { recordAudit } from './audit.ts';
import { createTenant } from './tenants.ts';
import { createUser } from './users.ts';

export interface DemoCredentials {
  tenantId: string;
  user: { email: string; password: string };
  admin: { email: string; password: string };
}

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
  await recordAudit(deps.db, { tenantId: tenant.id, type: 'demo.seeded' }, SYSTEM);
  return { tenantId: tenant.id, user, admin };
}

function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}
