// Consent for API resources: the page lists, per resource, the scopes a request asks for in the resource's own
// plain words; what the person allows is remembered per user, client, resource and scope, so a later request for
// more asks only for the new ones. Resources registered without consent, and scopes the client was not granted,
// are never asked about.
import type { Client } from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import { findResourceConsentsOf, recordResourceConsents } from '../../services/consents.ts';
import type { ResourceForClient } from '../../services/api-resources.ts';
import { resourcesOfClient } from '../resource-servers.ts';

export interface ResourceAsk {
  identifier: string;
  name: string;
  scopes: Array<{ name: string; description: string }>;
}

export interface ResourceConsentPlan {
  /** What the page shows: per resource, the scopes not allowed before (all of them with prompt=consent). */
  ask: ResourceAsk[];
  /** Every scope name shown or covered, so the OpenID list does not repeat them. */
  covered: Set<string>;
  record: Array<{ resourceId: string; scope: string }>;
}

/**
 * `requested` maps each registered resource identifier to the scopes asked of it (the default audience excluded).
 * `userId` is the signed-in person; `everything` shows scopes allowed before too (prompt=consent).
 */
export async function planResourceConsent(
  app: AppContext,
  client: Client,
  tenantId: string,
  userId: string | undefined,
  requested: Record<string, string[]>,
  everything: boolean,
): Promise<ResourceConsentPlan> {
  const plan: ResourceConsentPlan = { ask: [], covered: new Set(), record: [] };
  const identifiers = Object.keys(requested);
  if (identifiers.length === 0) return plan;
  const [found, consented] = await Promise.all([
    resourcesOfClient(app, client, identifiers),
    userId ? findResourceConsentsOf(app, tenantId, userId, client.clientId) : [],
  ]);
  const allowed = new Set(consented.map((c) => `${c.resourceId} ${c.scope}`));
  for (const identifier of identifiers) {
    const entry = found.get(identifier);
    if (!entry) continue;
    const scopes = scopesAsked(entry, requested[identifier] ?? []);
    scopes.forEach((s) => plan.covered.add(s));
    if (!entry.resource.consentRequired) continue;
    plan.record.push(...scopes.map((scope) => ({ resourceId: entry.resource.id, scope })));
    const shown = everything ? scopes : scopes.filter((s) => !allowed.has(`${entry.resource.id} ${s}`));
    if (shown.length === 0) continue;
    const described = new Map(entry.resource.scopes.map((s) => [s.name, s.description]));
    plan.ask.push({
      identifier,
      name: entry.resource.name,
      scopes: shown.map((name) => ({ name, description: described.get(name) ?? name })),
    });
  }
  return plan;
}

/** Only scopes the client was granted reach a token, so only those are asked about. */
function scopesAsked(entry: ResourceForClient, requested: readonly string[]): string[] {
  const granted = new Set(entry.clientScopes);
  return [...new Set(requested)].filter((s) => granted.has(s));
}

export function rememberResourceConsent(
  app: AppContext,
  tenantId: string,
  userId: string,
  clientId: string,
  plan: ResourceConsentPlan,
): Promise<void> {
  return recordResourceConsents(app, tenantId, userId, clientId, plan.record);
}
