// SQL for the clients table.
import type { Knex } from 'knex';
import { creationOrderPage } from '../knex.ts';

export interface ClientRecord {
  clientId: string;
  tenantId: string;
  name: string;
  secretHash: string | null;
  firstParty: boolean;
  /** OAuth client metadata in oidc-provider's snake_case (redirect_uris, grant_types, scope, …). */
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

interface ClientRow {
  client_id: string;
  tenant_id: string;
  name: string;
  secret_hash: string | null;
  first_party: boolean;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toClient = (r: ClientRow): ClientRecord => ({
  clientId: r.client_id,
  tenantId: r.tenant_id,
  name: r.name,
  secretHash: r.secret_hash,
  firstParty: r.first_party,
  metadata: r.metadata,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (client: Omit<ClientRecord, 'createdAt' | 'updatedAt'>) => ({
  client_id: client.clientId,
  tenant_id: client.tenantId,
  name: client.name,
  secret_hash: client.secretHash,
  first_party: client.firstParty,
  metadata: JSON.stringify(client.metadata),
});

export async function insertClient(db: Knex, client: Omit<ClientRecord, 'createdAt' | 'updatedAt'>): Promise<ClientRecord> {
  const [row] = await db('clients').insert(toRow(client)).returning('*');
  return toClient(row as ClientRow);
}

/**
 * Looks a client up by its id alone. Client ids are globally unique and the OAuth endpoints learn the tenant
 * from the client, so this is the one lookup that is not tenant-scoped.
 */
export async function findClientByIdAcrossTenants(db: Knex, clientId: string): Promise<ClientRecord | undefined> {
  const row = await db<ClientRow>('clients').where({ client_id: clientId }).first();
  return row && toClient(row);
}

export async function findClientById(db: Knex, tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
  const row = await db<ClientRow>('clients').where({ tenant_id: tenantId, client_id: clientId }).first();
  return row && toClient(row);
}

export async function insertClientIfAbsent(db: Knex, client: Omit<ClientRecord, 'createdAt' | 'updatedAt'>): Promise<void> {
  await db('clients').insert(toRow(client)).onConflict().ignore();
}

/** A tenant's clients in creation order, starting after the client `afterId` (keyset pagination). */
export async function findClientsPage(
  db: Knex,
  tenantId: string,
  page: { afterId?: string | undefined; limit: number },
): Promise<ClientRecord[]> {
  const rows = (await creationOrderPage(db, 'clients', 'client_id', tenantId, page)) as ClientRow[];
  return rows.map(toClient);
}

export async function updateClientById(
  db: Knex,
  tenantId: string,
  clientId: string,
  changes: { name?: string; secretHash?: string | null; firstParty?: boolean; metadata?: Record<string, unknown> },
): Promise<ClientRecord | undefined> {
  const [row] = await db('clients')
    .where({ tenant_id: tenantId, client_id: clientId })
    .update({
      ...(changes.name !== undefined && { name: changes.name }),
      ...(changes.secretHash !== undefined && { secret_hash: changes.secretHash }),
      ...(changes.firstParty !== undefined && { first_party: changes.firstParty }),
      ...(changes.metadata !== undefined && { metadata: JSON.stringify(changes.metadata) }),
      updated_at: db.fn.now(),
    })
    .returning('*');
  return row && toClient(row as ClientRow);
}

export async function deleteClientById(db: Knex, tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
  const [row] = await db('clients').where({ tenant_id: tenantId, client_id: clientId }).delete().returning('*');
  return row && toClient(row as ClientRow);
}
