// SQL for consents: the scopes each user has allowed each client of their tenant.
import type { Knex } from 'knex';
import { deletedRows } from '../knex.ts';

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

export interface ConnectedApp {
  clientId: string;
  name: string;
  scope: string[];
  updatedAt: Date;
}

/** The third-party clients a user has allowed something, most recent first (first-party apps ask no consent). */
export async function findThirdPartyConsentsOfUser(db: Knex, tenantId: string, userId: string): Promise<ConnectedApp[]> {
  const rows = await db('consents as c')
    .join('clients as k', function joinClient() {
      this.on('k.client_id', 'c.client_id').andOn('k.tenant_id', 'c.tenant_id');
    })
    .where({ 'c.tenant_id': tenantId, 'c.user_id': userId, 'k.first_party': false })
    .orderBy('c.updated_at', 'desc')
    .select<{ client_id: string; name: string; scope: string; updated_at: Date }[]>('c.client_id', 'k.name', 'c.scope', 'c.updated_at');
  return rows.map((r) => ({ clientId: r.client_id, name: r.name, scope: r.scope.split(' ').filter(Boolean), updatedAt: r.updated_at }));
}

/** Withdraws everything a user allowed a client; false when there was nothing. */
export async function deleteConsent(db: Knex, tenantId: string, userId: string, clientId: string): Promise<boolean> {
  return deletedRows(await db('consents').where({ tenant_id: tenantId, user_id: userId, client_id: clientId }).delete()) > 0;
}
