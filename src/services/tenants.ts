// Tenants: creation with their built-in roles, suspension and activation.
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import { insertRoles } from '../db/queries/roles.ts';
import {
  deleteTenantById,
  findAllTenantsPage,
  findTenantById,
  insertTenant,
  updateTenantSettings,
  updateTenantStatus,
  type Tenant,
  type TenantStatus,
} from '../db/queries/tenants.ts';
import type { ServiceDeps } from '../context.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { decodeCursor, toPage, type Page } from './pagination.ts';
import { builtInRolesOf, PLATFORM_TENANT_ID } from './permissions.ts';

export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'lowercase letters, digits and hyphens, 1-63 characters' });

export const RATE_LIMIT_CLASSES = ['login', 'loginAccount', 'registration', 'token', 'authorize', 'api', 'admin'] as const;

/** A tenant's own limits, replacing the global ones for requests that name the tenant (docs/security.md). */
export const tenantRateLimitsSchema = z.partialRecord(
  z.enum(RATE_LIMIT_CLASSES),
  z.object({ points: z.number().int().min(1).max(1_000_000), duration: z.number().int().min(1).max(86_400) }),
);

/** A tenant's settings (docs/security.md): all optional, the database holds the defaults. */
export const tenantSettingsSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  sessionLimit: z.number().int().min(1).max(1000).optional(),
  sessionStrategy: z.enum(['reject', 'evict_oldest']).optional(),
  mfaPolicy: z.enum(['off', 'optional', 'required']).optional(),
  lockoutMaxFailures: z.number().int().min(1).max(100).optional(),
  lockoutDurationSeconds: z.number().int().min(1).max(86_400).optional(),
  rateLimits: tenantRateLimitsSchema.optional(),
  /** Whether the login pages offer "Create an account" (docs/api.md, "Self-service pages"). */
  selfRegistration: z.boolean().optional(),
});

export const newTenantSchema = tenantSettingsSchema.extend({ id: tenantIdSchema, name: z.string().trim().min(1).max(200) });

export type NewTenantInput = z.input<typeof newTenantSchema>;

/** Creates a tenant and its built-in `admin` and `member` roles in one transaction. */
export async function createTenant(deps: ServiceDeps, input: NewTenantInput, meta: AuditMeta): Promise<Tenant> {
  const values = parseOrThrow(newTenantSchema, input);
  return deps.db.transaction(async (trx) => {
    const tenant = await insertTenant(trx, values);
    await insertRoles(
      trx,
      tenant.id,
      builtInRolesOf(tenant.id).map((r) => ({ ...r, builtIn: true })),
    );
    await recordAudit(trx, { tenantId: tenant.id, type: 'tenant.created', subjectId: tenant.id, data: { name: tenant.name } }, meta);
    return tenant;
  });
}

export async function setTenantStatus(deps: ServiceDeps, id: string, status: TenantStatus, meta: AuditMeta): Promise<Tenant> {
  const updated = await deps.db.transaction(async (trx) => {
    const tenant = await updateTenantStatus(trx, id, status);
    if (!tenant) throw new AppError('NOT_FOUND', { field: 'id', detail: `tenant ${id}` });
    await recordAudit(trx, { tenantId: id, type: status === 'suspended' ? 'tenant.suspended' : 'tenant.activated', subjectId: id }, meta);
    return tenant;
  });
  // After the commit, so no process can reload the old row once it has heard of the change.
  await deps.cache?.invalidateTenant(id);
  return updated;
}

/**
 * A tenant for a sign-in: from the process's entity cache when the caller has one (every change invalidates it in
 * every process at once, docs/operations.md "Performance"), else from the table.
 */
export function lookupTenant(deps: ServiceDeps, id: string): Promise<Tenant | undefined> {
  return deps.cache && 'tenant' in deps.cache ? deps.cache.tenant(id) : findTenantById(deps.db, id);
}

/** A tenant or NOT_FOUND; `from: 'cache'` reads it as lookupTenant does (sign-ins), else from the table. */
export async function getTenant(deps: ServiceDeps, id: string, from: 'table' | 'cache' = 'table'): Promise<Tenant> {
  const tenant = from === 'cache' ? await lookupTenant(deps, id) : await findTenantById(deps.db, id);
  if (!tenant) throw new AppError('NOT_FOUND', { field: 'tenant', detail: `tenant ${id}` });
  return tenant;
}

export async function updateTenant(
  deps: ServiceDeps,
  id: string,
  input: z.input<typeof tenantSettingsSchema>,
  meta: AuditMeta,
): Promise<Tenant> {
  const settings = parseOrThrow(tenantSettingsSchema, input);
  const updated = await deps.db.transaction(async (trx) => {
    const tenant = await updateTenantSettings(trx, id, settings);
    if (!tenant) throw new AppError('NOT_FOUND', { field: 'tenantId', detail: `tenant ${id}` });
    await recordAudit(trx, { tenantId: id, type: 'tenant.updated', subjectId: id, data: { settings } }, meta);
    return tenant;
  });
  // Session limits, MFA policy, lockout and rate limits are read through the cache on hot paths.
  await deps.cache?.invalidateTenant(id);
  return updated;
}

/** Platform operators only: every tenant, in id order. */
export async function listAllTenants(deps: ServiceDeps, page: { cursor?: string | undefined; limit: number }): Promise<Page<Tenant>> {
  const afterId = decodeCursor(page.cursor, 1)?.[0];
  return toPage(await findAllTenantsPage(deps.db, { afterId, limit: page.limit + 1 }), page.limit, (t) => [t.id]);
}

export function presentTenant(tenant: Tenant) {
  return {
    id: tenant.id,
    name: tenant.name,
    status: tenant.status,
    sessionLimit: tenant.sessionLimit,
    sessionStrategy: tenant.sessionStrategy,
    mfaPolicy: tenant.mfaPolicy,
    lockoutMaxFailures: tenant.lockoutMaxFailures,
    lockoutDurationSeconds: tenant.lockoutDurationSeconds,
    rateLimits: tenant.rateLimits,
    selfRegistration: tenant.selfRegistration,
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
  };
}

/**
 * Deletes a tenant with its users, roles, clients and sessions (the CLI's `tenant delete`). The platform tenant,
 * which holds the operators, cannot be deleted. The audit event outlives the tenant's own rows.
 */
export async function deleteTenant(deps: ServiceDeps, id: string, meta: AuditMeta): Promise<void> {
  if (id === PLATFORM_TENANT_ID)
    throw new AppError('INVALID_FORMAT', { field: 'id', constraint: 'PLATFORM_TENANT', detail: 'the platform tenant holds the operators' });
  await deps.db.transaction(async (trx) => {
    if (!(await deleteTenantById(trx, id))) throw new AppError('NOT_FOUND', { field: 'id', detail: `tenant ${id}` });
    await recordAudit(trx, { tenantId: null, type: 'tenant.deleted', subjectId: id }, meta);
  });
  await deps.cache?.invalidateTenant(id);
}
