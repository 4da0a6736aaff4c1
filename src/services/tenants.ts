// Tenants: creation with their built-in roles, suspension and activation.
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import { insertRoles } from '../db/queries/roles.ts';
import { findTenantById, insertTenant, updateTenantStatus, type Tenant, type TenantStatus } from '../db/queries/tenants.ts';
import type { ServiceDeps } from '../context.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { BUILT_IN_ROLES } from './permissions.ts';

export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'lowercase letters, digits and hyphens, 1-63 characters' });

export const RATE_LIMIT_CLASSES = ['login', 'loginAccount', 'registration', 'token', 'authorize', 'api', 'admin'] as const;

/** A tenant's own limits, replacing the global ones for requests that name the tenant (SPEC §3, §9). */
export const tenantRateLimitsSchema = z.partialRecord(
  z.enum(RATE_LIMIT_CLASSES),
  z.object({ points: z.number().int().min(1).max(1_000_000), duration: z.number().int().min(1).max(86_400) }),
);

const newTenantSchema = z.object({
  id: tenantIdSchema,
  name: z.string().trim().min(1).max(200),
  sessionLimit: z.number().int().min(1).max(1000).optional(),
  sessionStrategy: z.enum(['reject', 'evict_oldest']).optional(),
  mfaPolicy: z.enum(['off', 'optional', 'required']).optional(),
  rateLimits: tenantRateLimitsSchema.optional(),
});

export type NewTenantInput = z.input<typeof newTenantSchema>;

/** Creates a tenant and its built-in `admin` and `member` roles in one transaction. */
export async function createTenant(deps: ServiceDeps, input: NewTenantInput, meta: AuditMeta): Promise<Tenant> {
  const values = parseOrThrow(newTenantSchema, input);
  return deps.db.transaction(async (trx) => {
    const tenant = await insertTenant(trx, values);
    await insertRoles(
      trx,
      tenant.id,
      BUILT_IN_ROLES.map((r) => ({ ...r, builtIn: true })),
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

export async function getTenant(deps: ServiceDeps, id: string): Promise<Tenant> {
  const tenant = await findTenantById(deps.db, id);
  if (!tenant) throw new AppError('NOT_FOUND', { field: 'tenant', detail: `tenant ${id}` });
  return tenant;
}
