// SQL for resource_consents: which scopes of which API resource each user has allowed each client, one row per scope.
import type { Knex } from 'knex';

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

/** Withdraws everything a user allowed a client on every API resource (the account center's "disconnect"). */
export async function deleteResourceConsentsOf(db: Knex, tenantId: string, userId: string, clientId: string): Promise<void> {
  await db('resource_consents').where({ tenant_id: tenantId, user_id: userId, client_id: clientId }).delete();
}
