// SQL for api_resources: the resource servers a tenant (or the platform, for every tenant) registers.
import type { Knex } from 'knex';

export interface ResourceScope {
  name: string;
  description: string;
}

export interface ApiResourceRecord {
  id: string;
  tenantId: string;
  /** The `aud` of its access tokens and the `resource` parameter that selects it (RFC 8707). */
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  accessTokenTtl: number;
  signingAlg: string;
  allowRefreshTokens: boolean;
  consentRequired: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type ApiResourceFields = Omit<ApiResourceRecord, 'id' | 'tenantId' | 'createdAt' | 'updatedAt'>;

interface ApiResourceRow {
  id: string;
  tenant_id: string;
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  access_token_ttl: number;
  signing_alg: string;
  allow_refresh_tokens: boolean;
  consent_required: boolean;
  created_at: Date;
  updated_at: Date;
}

const toApiResource = (r: ApiResourceRow): ApiResourceRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  identifier: r.identifier,
  name: r.name,
  scopes: r.scopes,
  accessTokenTtl: r.access_token_ttl,
  signingAlg: r.signing_alg,
  allowRefreshTokens: r.allow_refresh_tokens,
  consentRequired: r.consent_required,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRow = (fields: Partial<ApiResourceFields>) => ({
  ...(fields.identifier !== undefined && { identifier: fields.identifier }),
  ...(fields.name !== undefined && { name: fields.name }),
  ...(fields.scopes !== undefined && { scopes: JSON.stringify(fields.scopes) }),
  ...(fields.accessTokenTtl !== undefined && { access_token_ttl: fields.accessTokenTtl }),
  ...(fields.signingAlg !== undefined && { signing_alg: fields.signingAlg }),
  ...(fields.allowRefreshTokens !== undefined && { allow_refresh_tokens: fields.allowRefreshTokens }),
  ...(fields.consentRequired !== undefined && { consent_required: fields.consentRequired }),
});

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export async function insertApiResource(db: Knex, tenantId: string, fields: ApiResourceFields): Promise<ApiResourceRecord> {
  const [row] = await db('api_resources')
    .insert({ tenant_id: tenantId, ...toRow(fields) })
    .returning('*');
  return toApiResource(row as ApiResourceRow);
}

export async function findApiResourceById(db: Knex, tenantId: string, id: string): Promise<ApiResourceRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await db<ApiResourceRow>('api_resources').where({ tenant_id: tenantId, id }).first();
  return row && toApiResource(row);
}

/** A tenant's own resources, by identifier. */
export async function findApiResourcesOfTenant(db: Knex, tenantId: string): Promise<ApiResourceRecord[]> {
  const rows = await db<ApiResourceRow>('api_resources').where({ tenant_id: tenantId }).orderBy('identifier');
  return rows.map(toApiResource);
}

/**
 * The resource a client of `tenantId` may address by `identifier`: the tenant's own, else a platform one (the
 * platform's resources are for every tenant). Another tenant's resource is never found.
 */
export async function findUsableApiResource(
  db: Knex,
  tenantId: string,
  platformTenantId: string,
  identifier: string,
): Promise<ApiResourceRecord | undefined> {
  const row = await db<ApiResourceRow>('api_resources')
    .where({ identifier })
    .whereIn('tenant_id', [tenantId, platformTenantId])
    .orderByRaw('(tenant_id = ?) DESC', [tenantId])
    .first();
  return row && toApiResource(row);
}

/** Resources by id among those usable by a client of `tenantId` (its own and the platform's). */
export async function findUsableApiResourcesByIds(
  db: Knex,
  tenantId: string,
  platformTenantId: string,
  ids: readonly string[],
): Promise<ApiResourceRecord[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  const rows = await db<ApiResourceRow>('api_resources').whereIn('id', valid).whereIn('tenant_id', [tenantId, platformTenantId]);
  return rows.map(toApiResource);
}

export async function updateApiResourceById(
  db: Knex,
  tenantId: string,
  id: string,
  changes: Partial<ApiResourceFields>,
): Promise<ApiResourceRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db('api_resources')
    .where({ tenant_id: tenantId, id })
    .update({ ...toRow(changes), updated_at: db.fn.now() })
    .returning('*');
  return row && toApiResource(row as ApiResourceRow);
}

export async function deleteApiResourceById(db: Knex, tenantId: string, id: string): Promise<ApiResourceRecord | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db('api_resources').where({ tenant_id: tenantId, id }).delete().returning('*');
  return row && toApiResource(row as ApiResourceRow);
}
