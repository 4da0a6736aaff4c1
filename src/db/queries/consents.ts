// SQL for consents: the scopes each user has allowed each client of their tenant.
import type { Knex } from 'knex';

export async function findConsentedScope(db: Knex, tenantId: string, userId: string, clientId: string): Promise<string[]> {
  const row = await db('consents').where({ tenant_id: tenantId, user_id: userId, client_id: clientId }).first('scope');
  return row ? String(row.scope).split(' ').filter(Boolean) : [];
}

/** Adds scopes to what the user has allowed the client (never removes: a narrower request is no withdrawal). */
export async function addConsentedScope(db: Knex, tenantId: string, userId: string, clientId: string, scopes: string[]): Promise<void> {
  await db.transaction(async (trx) => {
    const current = await trx('consents').where({ tenant_id: tenantId, user_id: userId, client_id: clientId }).forUpdate().first('scope');
    const merged = [...new Set([...(current ? String(current.scope).split(' ') : []), ...scopes])].filter(Boolean).sort().join(' ');
    await trx('consents')
      .insert({ tenant_id: tenantId, user_id: userId, client_id: clientId, scope: merged, updated_at: trx.fn.now() })
      .onConflict(['tenant_id', 'user_id', 'client_id'])
      .merge(['scope', 'updated_at']);
  });
}
