// API resources (RFC 8707 resource servers) and the scopes each client may ask for on them: registration, changes and
// deletion (admin API, CLI, console), and the lookup the token endpoints make. A tenant's resources serve its own
// clients; the platform tenant's serve every tenant's. A client gets a resource scope only when it is granted here
// (and, for a person's token, allowed on the consent page). Every change is audited in its transaction.
import { z } from 'zod';
import type { ServiceDeps } from '../context.ts';
import {
  deleteApiResourceById,
  findApiResourceById,
  findApiResourcesOfTenant,
  findUsableApiResource,
  findUsableApiResourcesByIds,
  insertApiResource,
  updateApiResourceById,
  type ApiResourceRecord,
} from '../db/queries/api-resources.ts';
import {
  findClientResourceScopes,
  findClientScopesOfResource,
  pruneClientScopesOfResource,
  replaceClientScopesOfResource,
} from '../db/queries/client-resource-scopes.ts';
import { pruneResourceConsentsOfResource } from '../db/queries/resource-consents.ts';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import { ACCESS_TOKEN_ALGS } from '../config/index.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { getClient, OIDC_SCOPES } from './clients.ts';
import { PERMISSIONS, PLATFORM_TENANT_ID } from './permissions.ts';

export type { ApiResourceRecord } from '../db/queries/api-resources.ts';

/** The algorithms a resource's tokens may be signed with: those of the keys in our JWKS (signing-keys.ts). */
export const RESOURCE_SIGNING_ALGS = ACCESS_TOKEN_ALGS;

export const RESOURCE_TOKEN_TTL = { min: 60, max: 24 * 3600 } as const;

/** OpenID scopes and permission strings mean something to Gatehouse itself: no resource may reuse them. */
const RESERVED_SCOPES: ReadonlySet<string> = new Set<string>([...OIDC_SCOPES, ...PERMISSIONS]);

/** A NUL character, or a UTF-16 surrogate without its pair: text PostgreSQL cannot hold. */
const UNSTORABLE_TEXT = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** An absolute URI without a fragment (RFC 8707 §2); it is compared as written. */
const identifierSchema = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine((value) => URL.canParse(value) && !value.includes('#') && !/\s/.test(value), { params: { constraint: 'RESOURCE_INDICATOR' } });

/** A scope token (RFC 6749 §3.3) of letters, digits and `: . _ - /`, e.g. `contacts:read`. */
const scopeSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._/-]*$/)
    .refine((name) => !RESERVED_SCOPES.has(name), { params: { constraint: 'RESERVED_SCOPE' } }),
  description: z.string().trim().min(1).max(300).describe('What it allows, in plain words: the consent page shows it'),
});

const scopesSchema = z
  .array(scopeSchema)
  .max(100)
  .refine((scopes) => new Set(scopes.map((s) => s.name)).size === scopes.length, { params: { constraint: 'UNIQUE_ITEMS' } });

const resourceFields = {
  identifier: identifierSchema.describe('The `aud` of its access tokens and the `resource` parameter that asks for them'),
  name: z.string().trim().min(1).max(200),
  scopes: scopesSchema,
  accessTokenTtl: z.number().int().min(RESOURCE_TOKEN_TTL.min).max(RESOURCE_TOKEN_TTL.max).describe('Seconds'),
  signingAlg: z.enum(RESOURCE_SIGNING_ALGS),
  allowRefreshTokens: z.boolean(),
  consentRequired: z.boolean().describe('Whether a person is asked before a third-party app gets its scopes'),
};

export const newApiResourceSchema = z.object({
  ...resourceFields,
  scopes: scopesSchema.default([]),
  accessTokenTtl: resourceFields.accessTokenTtl.optional(),
  signingAlg: resourceFields.signingAlg.optional(),
  allowRefreshTokens: resourceFields.allowRefreshTokens.default(true),
  consentRequired: resourceFields.consentRequired.default(true),
});

export const apiResourceChangesSchema = z.object({
  name: resourceFields.name.optional(),
  scopes: resourceFields.scopes.optional(),
  accessTokenTtl: resourceFields.accessTokenTtl.optional(),
  signingAlg: resourceFields.signingAlg.optional(),
  allowRefreshTokens: resourceFields.allowRefreshTokens.optional(),
  consentRequired: resourceFields.consentRequired.optional(),
});

export type NewApiResourceInput = z.input<typeof newApiResourceSchema>;
export type ApiResourceChanges = z.input<typeof apiResourceChangesSchema>;

/** What the admin API and the CLI show of a resource. */
export function presentApiResource(resource: ApiResourceRecord) {
  return {
    id: resource.id,
    tenantId: resource.tenantId,
    identifier: resource.identifier,
    name: resource.name,
    scopes: resource.scopes.map((s) => ({ name: s.name, description: s.description })),
    accessTokenTtl: resource.accessTokenTtl,
    signingAlg: resource.signingAlg as (typeof RESOURCE_SIGNING_ALGS)[number],
    allowRefreshTokens: resource.allowRefreshTokens,
    consentRequired: resource.consentRequired,
    createdAt: resource.createdAt,
    updatedAt: resource.updatedAt,
  };
}

export type ApiResourceView = ReturnType<typeof presentApiResource>;

/** Gatehouse's own API is the audience of tokens that name no resource: nobody registers it again. */
function assertNotOwnAudience(deps: Pick<ServiceDeps, 'config'>, identifier: string): void {
  if (identifier === deps.config.publicUrl || identifier === `${deps.config.publicUrl}/`) {
    throw new AppError('INVALID_FORMAT', { field: 'identifier', constraint: 'RESERVED_RESOURCE', detail: "Gatehouse's own API" });
  }
}

export async function createApiResource(
  deps: ServiceDeps,
  tenantId: string,
  input: NewApiResourceInput,
  meta: AuditMeta,
): Promise<ApiResourceRecord> {
  const values = parseOrThrow(newApiResourceSchema, input);
  assertNotOwnAudience(deps, values.identifier);
  return deps.db.transaction(async (trx) => {
    const resource = await insertApiResource(trx, tenantId, {
      ...values,
      accessTokenTtl: values.accessTokenTtl ?? deps.config.accessTokenTtl,
      signingAlg: values.signingAlg ?? deps.config.accessTokenAlg,
    });
    await recordAudit(
      trx,
      {
        tenantId,
        type: 'api_resource.created',
        subjectId: resource.id,
        data: { identifier: resource.identifier, scopes: resource.scopes.map((s) => s.name) },
      },
      meta,
    );
    return resource;
  });
}

export async function listApiResources(deps: Pick<ServiceDeps, 'db'>, tenantId: string): Promise<ApiResourceRecord[]> {
  return findApiResourcesOfTenant(deps.db, tenantId);
}

/** A resource of this tenant; another tenant's is NOT_FOUND as well, so ids reveal nothing. */
export async function getApiResource(deps: Pick<ServiceDeps, 'db'>, tenantId: string, id: string): Promise<ApiResourceRecord> {
  const resource = await findApiResourceById(deps.db, tenantId, id);
  if (!resource) throw new AppError('NOT_FOUND', { field: 'resourceId', detail: `API resource ${id}` });
  return resource;
}

/** Changes a resource; scopes it no longer has are taken from every client granted them, and their consents go. */
export async function updateApiResource(
  deps: ServiceDeps,
  tenantId: string,
  id: string,
  changes: ApiResourceChanges,
  meta: AuditMeta,
): Promise<ApiResourceRecord> {
  const values = parseOrThrow(apiResourceChangesSchema, changes);
  await getApiResource(deps, tenantId, id);
  return deps.db.transaction(async (trx) => {
    const resource = await updateApiResourceById(trx, tenantId, id, values);
    if (!resource) throw new AppError('NOT_FOUND', { field: 'resourceId', detail: `API resource ${id}` });
    if (values.scopes) {
      const kept = values.scopes.map((s) => s.name);
      await pruneClientScopesOfResource(trx, tenantId, id, kept);
      await pruneResourceConsentsOfResource(trx, tenantId, id, kept);
    }
    await recordAudit(trx, { tenantId, type: 'api_resource.updated', subjectId: id, data: { fields: Object.keys(values) } }, meta);
    return resource;
  });
}

/** Deletes a resource with every client grant and consent of its scopes; tokens already issued live out their lifetime. */
export async function deleteApiResource(deps: ServiceDeps, tenantId: string, id: string, meta: AuditMeta): Promise<ApiResourceRecord> {
  return deps.db.transaction(async (trx) => {
    const resource = await deleteApiResourceById(trx, tenantId, id);
    if (!resource) throw new AppError('NOT_FOUND', { field: 'resourceId', detail: `API resource ${id}` });
    await recordAudit(trx, { tenantId, type: 'api_resource.deleted', subjectId: id, data: { identifier: resource.identifier } }, meta);
    return resource;
  });
}

/** The resources a client may ask scopes of, with those scopes (only scopes the resource still has). */
export async function listClientResourceScopes(deps: ServiceDeps, tenantId: string, clientId: string) {
  await getClient(deps, tenantId, clientId);
  const granted = await findClientResourceScopes(deps.db, tenantId, clientId);
  const resources = await findUsableApiResourcesByIds(deps.db, tenantId, PLATFORM_TENANT_ID, [
    ...new Set(granted.map((g) => g.resourceId)),
  ]);
  return resources
    .map((resource) => {
      const known = new Set(resource.scopes.map((s) => s.name));
      return {
        resourceId: resource.id,
        identifier: resource.identifier,
        name: resource.name,
        scopes: granted.filter((g) => g.resourceId === resource.id && known.has(g.scope)).map((g) => g.scope),
      };
    })
    .sort((a, b) => a.identifier.localeCompare(b.identifier));
}

export const clientResourceScopesSchema = z.object({
  scopes: z.array(z.string().min(1).max(100)).max(100).describe('The scopes it may ask for; an empty list takes them all away'),
});

/**
 * Sets which scopes of a resource a client of the tenant may ask for. The resource is the tenant's own or a platform
 * one; a scope the resource does not define is refused. Taking scopes away stops new tokens at once; tokens already
 * issued live out their lifetime.
 */
export async function setClientResourceScopes(
  deps: ServiceDeps,
  tenantId: string,
  clientId: string,
  resourceId: string,
  scopes: readonly string[],
  meta: AuditMeta,
): Promise<string[]> {
  await getClient(deps, tenantId, clientId);
  const [resource] = await findUsableApiResourcesByIds(deps.db, tenantId, PLATFORM_TENANT_ID, [resourceId]);
  if (!resource) throw new AppError('NOT_FOUND', { field: 'resourceId', detail: `API resource ${resourceId}` });
  const known = new Set(resource.scopes.map((s) => s.name));
  const unknown = scopes.filter((s) => !known.has(s));
  if (unknown.length > 0) {
    throw new AppError('INVALID_FORMAT', {
      field: 'scopes',
      constraint: 'UNKNOWN_SCOPE',
      detail: `not scopes of the resource: ${unknown.join(' ')}`,
    });
  }
  const sorted = [...new Set(scopes)].sort();
  await deps.db.transaction(async (trx) => {
    if (!(await replaceClientScopesOfResource(trx, tenantId, PLATFORM_TENANT_ID, clientId, resourceId, sorted))) {
      throw new AppError('NOT_FOUND', { field: 'resourceId', detail: `API resource ${resourceId}` });
    }
    await recordAudit(
      trx,
      {
        tenantId,
        type: 'client.resource_scopes_set',
        clientId,
        subjectId: clientId,
        data: { resourceId, identifier: resource.identifier, scopes: sorted },
      },
      meta,
    );
  });
  return sorted;
}

/** A resource server as the token endpoints see it for one client: the resource, and the scopes the client may get. */
export interface ResourceForClient {
  resource: ApiResourceRecord;
  /** Granted to the client and still defined by the resource. */
  clientScopes: string[];
}

/**
 * The resource a client of `tenantId` addresses with `identifier` (RFC 8707), or undefined when none is usable by it:
 * another tenant's resource is as unknown as one that does not exist.
 */
export async function findResourceForClient(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  clientId: string,
  identifier: string,
): Promise<ResourceForClient | undefined> {
  // No registered identifier holds a NUL character or an unpaired surrogate (PostgreSQL cannot even compare them).
  if (UNSTORABLE_TEXT.test(identifier)) return undefined;
  const resource = await findUsableApiResource(deps.db, tenantId, PLATFORM_TENANT_ID, identifier);
  if (!resource) return undefined;
  const known = new Set(resource.scopes.map((s) => s.name));
  const granted = await findClientScopesOfResource(deps.db, tenantId, clientId, resource.id);
  return { resource, clientScopes: granted.filter((s) => known.has(s)) };
}

/**
 * A resource named by its id or its identifier (the CLI takes either): one of the tenant's own, or with
 * `includePlatform` a platform one too (what a client of the tenant may be granted).
 */
export async function resolveApiResource(
  deps: Pick<ServiceDeps, 'db'>,
  tenantId: string,
  ref: string,
  options: { includePlatform?: boolean } = {},
): Promise<ApiResourceRecord> {
  const platform = options.includePlatform ? PLATFORM_TENANT_ID : tenantId;
  const found =
    (await findUsableApiResourcesByIds(deps.db, tenantId, platform, [ref]))[0] ??
    (await findUsableApiResource(deps.db, tenantId, platform, ref));
  if (!found) throw new AppError('NOT_FOUND', { field: 'resource', detail: `API resource ${ref}` });
  return found;
}
