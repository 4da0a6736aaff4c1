// Test data made through the same services the CLI uses.
import type { ServiceDeps } from '../../src/context.ts';
import { createClient, type NewClientInput } from '../../src/services/clients.ts';
import { createTenant } from '../../src/services/tenants.ts';
import { createUser } from '../../src/services/users.ts';
import { discoverRp } from './oidc-flow.ts';

const TEST_ACTOR = { actorId: 'test' };

/** Test tenants allow many sessions unless a test is about the limit. */
export async function makeTenant(
  deps: ServiceDeps,
  id: string,
  extra: { sessionLimit?: number; sessionStrategy?: 'reject' | 'evict_oldest' } = {},
) {
  return createTenant(deps, { id, name: `Tenant ${id}`, sessionLimit: 100, ...extra }, TEST_ACTOR);
}

export async function makeUser(deps: ServiceDeps, tenantId: string, email: string, password = 'correct horse battery', roles = ['member']) {
  const user = await createUser(deps, { tenantId, email, password, roles }, TEST_ACTOR);
  return { ...user, password };
}

export async function makeClient(deps: ServiceDeps, input: NewClientInput) {
  return createClient(deps, input, TEST_ACTOR);
}

/** A first-party confidential client of the tenant, and openid-client's configuration for it. */
export async function makeFirstPartyRp(
  deps: ServiceDeps,
  baseUrl: string,
  tenantId: string,
  redirectUri: string,
  name = `${tenantId} app`,
) {
  const { client, clientSecret } = await makeClient(deps, { tenantId, name, redirectUris: [redirectUri], firstParty: true });
  return discoverRp(baseUrl, client.clientId, clientSecret);
}
