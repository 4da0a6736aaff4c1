// What each user has allowed each client of their tenant: consent belongs to the person and the client, not to one
// browser session (OIDC Core §3.1.2.4), so a later sign-in is asked only for scopes not allowed before.
import type { ServiceDeps } from '../context.ts';
import { addConsentedScope, findConsentedScope } from '../db/queries/consents.ts';
import { addResourceConsents, findResourceConsents, type ResourceConsent } from '../db/queries/resource-consents.ts';

export function findConsentedScopes(deps: Pick<ServiceDeps, 'db'>, tenantId: string, userId: string, clientId: string): Promise<string[]> {
  return findConsentedScope(deps.db, tenantId, userId, clientId);
}

/** Adds scopes to what the user has allowed the client (a narrower later request withdraws nothing). */
export function recordConsent(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  userId: string,
  clientId: string,
  scopes: string[],
): Promise<void> {
  return addConsentedScope(deps.db, tenantId, userId, clientId, scopes);
}

/** What the user has allowed the client on API resources: one entry per resource and scope. */
export function findResourceConsentsOf(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  userId: string,
  clientId: string,
): Promise<ResourceConsent[]> {
  return findResourceConsents(deps.db, tenantId, userId, clientId);
}

/** Adds resource scopes to what the user has allowed the client; a later request asks only for the others. */
export function recordResourceConsents(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  userId: string,
  clientId: string,
  consents: readonly ResourceConsent[],
): Promise<void> {
  return addResourceConsents(deps.db, tenantId, userId, clientId, consents);
}
