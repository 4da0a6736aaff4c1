// SQL for resource_consents: which scopes of which API resource each user has allowed each client, one row per scope.
import type { Knex } from 'knex';
import { deletedRows } from '../knex.ts';

export interface ResourceConsent {
  resourceId: string;
  scope: string;
}

export async function findResourceConsents(db: Knex, tenantId: string, userId: string, clientId: string): Promise<ResourceConsent[]> {
  const rows = await db('resource_consents')
    .where({ tenant_id: tenantId, user_id: userId, client_id: clientId })
    .orderBy(['resource_id', 'scope'])
    .select<{ resource_id: string; scope: string }[]>('resource_id', 'scope');
  return rows.map((r) => ({ resourceId: r.resource_id, scope: r.scope }));
}

export interface AllowedResourceScope {
  clientId: string;
  /** The API's identifier (the tokens' `aud`) and name. */
  resource: string;
  resourceName: string;
  scope: string;
  /** The words the consent page showed; null once the API no longer defines the scope. */
  description: string | null;
}

/** Every API scope a user has allowed any client, with the API's name and the scope's description (connected apps). */
export async function findResourceConsentsOfUser(db: Knex, tenantId: string, userId: string): Promise<AllowedResourceScope[]> {
  const { rows } = (await db.raw(
    `SELECT rc.client_id, r.identifier, r.name, rc.scope,
            (SELECT s->>'description' FROM jsonb_array_elements(r.scopes) s WHERE s->>'name' = rc.scope LIMIT 1) AS description
       FROM resource_consents rc
       JOIN api_resources r ON r.id = rc.resource_id
      WHERE rc.tenant_id = ? AND rc.user_id = ?
      ORDER BY rc.client_id, r.identifier, rc.scope`,
    [tenantId, userId],
  )) as { rows: Array<{ client_id: string; identifier: string; name: string; scope: string; description: string | null }> };
  return rows.map((r) => ({
    clientId: r.client_id,
    resource: r.identifier,
    resourceName: r.name,
    scope: r.scope,
    description: r.description,
  }));
}

/**
 * Adds what the user allowed (never removes: a narrower later request is no withdrawal). Only for a user and a client
 * of the tenant: another tenant's ids insert nothing.
 */
export async function addResourceConsents(
  db: Knex,
  tenantId: string,
  userId: string,
  clientId: string,
  consents: readonly ResourceConsent[],
): Promise<void> {
  if (consents.length === 0) return;
  await db.raw(
    `INSERT INTO resource_consents (tenant_id, user_id, client_id, resource_id, scope)
       SELECT u.tenant_id, u.id, c.client_id, x.resource_id, x.scope
         FROM users u
         JOIN clients c ON c.tenant_id = u.tenant_id
         CROSS JOIN unnest(?::uuid[], ?::text[]) AS x(resource_id, scope)
        WHERE u.id = ? AND u.tenant_id = ? AND c.client_id = ?
     ON CONFLICT DO NOTHING`,
    [consents.map((c) => c.resourceId), consents.map((c) => c.scope), userId, tenantId, clientId],
  );
}

/** Withdraws everything a user allowed a client of any API resource (the app is disconnected). */
export async function deleteResourceConsentsOfUserAndClient(db: Knex, tenantId: string, userId: string, clientId: string): Promise<number> {
  return deletedRows(await db('resource_consents').where({ tenant_id: tenantId, user_id: userId, client_id: clientId }).delete());
}

/**
 * After a resource of `tenantId` lost scopes: what anyone allowed of them goes too, so a scope added again later under
 * the same name is asked about afresh. Another tenant's resource is not touched.
 */
export async function pruneResourceConsentsOfResource(
  db: Knex,
  tenantId: string,
  resourceId: string,
  keep: readonly string[],
): Promise<void> {
  await db('resource_consents')
    .where({ resource_id: resourceId })
    .whereIn('resource_id', db('api_resources').select('id').where({ id: resourceId, tenant_id: tenantId }))
    .whereNotIn('scope', [...keep])
    .delete();
}
