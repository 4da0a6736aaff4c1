// SQL for client_resource_scopes: which scopes of which API resource each client may ask for.
import type { Knex } from 'knex';

export interface ClientResourceScope {
  resourceId: string;
  scope: string;
}

/** Every resource scope a client of the tenant may ask for. */
export async function findClientResourceScopes(db: Knex, tenantId: string, clientId: string): Promise<ClientResourceScope[]> {
  const rows = await db('client_resource_scopes')
    .where({ tenant_id: tenantId, client_id: clientId })
    .orderBy(['resource_id', 'scope'])
    .select<{ resource_id: string; scope: string }[]>('resource_id', 'scope');
  return rows.map((r) => ({ resourceId: r.resource_id, scope: r.scope }));
}

/** The scopes of one resource a client of the tenant may ask for. */
export async function findClientScopesOfResource(db: Knex, tenantId: string, clientId: string, resourceId: string): Promise<string[]> {
  const rows = await db('client_resource_scopes')
    .where({ tenant_id: tenantId, client_id: clientId, resource_id: resourceId })
    .orderBy('scope')
    .select<{ scope: string }[]>('scope');
  return rows.map((r) => r.scope);
}

/**
 * Sets the scopes of one resource a client may ask for (none removes them all). Only a client of the tenant, and
 * only a resource of the tenant or of the platform: any other pair changes nothing and returns false.
 */
export async function replaceClientScopesOfResource(
  db: Knex,
  tenantId: string,
  platformTenantId: string,
  clientId: string,
  resourceId: string,
  scopes: readonly string[],
): Promise<boolean> {
  return db.transaction(async (trx) => {
    // Locking the client row serializes replacements for it: a double submit waits instead of colliding on insert.
    const { rows } = await trx.raw<{ rows: unknown[] }>(
      `SELECT 1 FROM clients c, api_resources r
        WHERE c.client_id = ? AND c.tenant_id = ? AND r.id = ?::uuid AND r.tenant_id IN (?, ?)
        FOR UPDATE OF c`,
      [clientId, tenantId, resourceId, tenantId, platformTenantId],
    );
    if (rows.length === 0) return false;
    await trx('client_resource_scopes').where({ tenant_id: tenantId, client_id: clientId, resource_id: resourceId }).delete();
    if (scopes.length > 0) {
      await trx('client_resource_scopes').insert(
        [...new Set(scopes)].map((scope) => ({ tenant_id: tenantId, client_id: clientId, resource_id: resourceId, scope })),
      );
    }
    return true;
  });
}

/**
 * After a resource of `tenantId` lost scopes: every client's grant of them goes, in whatever tenant the client is (a
 * platform resource is granted in many). Another tenant's resource is not touched.
 */
export async function pruneClientScopesOfResource(db: Knex, tenantId: string, resourceId: string, keep: readonly string[]): Promise<void> {
  await db('client_resource_scopes')
    .where({ resource_id: resourceId })
    .whereIn('resource_id', db('api_resources').select('id').where({ id: resourceId, tenant_id: tenantId }))
    .whereNotIn('scope', [...keep])
    .delete();
}
