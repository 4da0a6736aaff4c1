// SQL for the tenants table.
import type { Knex } from 'knex';
import { deletedRows } from '../knex.ts';

export type TenantStatus = 'active' | 'suspended';
export type MfaPolicy = 'off' | 'optional' | 'required';
export type SessionStrategy = 'reject' | 'evict_oldest';

export interface Tenant {
  id: string;
  name: string;
  status: TenantStatus;
  sessionLimit: number;
  sessionStrategy: SessionStrategy;
  mfaPolicy: MfaPolicy;
  lockoutMaxFailures: number;
  lockoutDurationSeconds: number;
  rateLimits: Record<string, unknown>;
  selfRegistration: boolean;
  branding: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewTenant {
  id: string;
  name: string;
  sessionLimit?: number | undefined;
  sessionStrategy?: SessionStrategy | undefined;
  mfaPolicy?: MfaPolicy | undefined;
  lockoutMaxFailures?: number | undefined;
  lockoutDurationSeconds?: number | undefined;
  rateLimits?: Record<string, { points: number; duration: number }> | undefined;
  selfRegistration?: boolean | undefined;
}

export type TenantSettings = Partial<Omit<NewTenant, 'id'>>;

const settingsToRow = (t: TenantSettings) => ({
  ...(t.name !== undefined && { name: t.name }),
  ...(t.sessionLimit !== undefined && { session_limit: t.sessionLimit }),
  ...(t.sessionStrategy !== undefined && { session_strategy: t.sessionStrategy }),
  ...(t.mfaPolicy !== undefined && { mfa_policy: t.mfaPolicy }),
  ...(t.lockoutMaxFailures !== undefined && { lockout_max_failures: t.lockoutMaxFailures }),
  ...(t.lockoutDurationSeconds !== undefined && { lockout_duration_seconds: t.lockoutDurationSeconds }),
  ...(t.selfRegistration !== undefined && { self_registration: t.selfRegistration }),
  ...(t.rateLimits !== undefined && { rate_limits: JSON.stringify(t.rateLimits) as unknown as Record<string, unknown> }),
});

interface TenantRow {
  id: string;
  name: string;
  status: TenantStatus;
  session_limit: number;
  session_strategy: SessionStrategy;
  mfa_policy: MfaPolicy;
  lockout_max_failures: number;
  lockout_duration_seconds: number;
  rate_limits: Record<string, unknown>;
  self_registration: boolean;
  branding: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  name: r.name,
  status: r.status,
  sessionLimit: r.session_limit,
  sessionStrategy: r.session_strategy,
  mfaPolicy: r.mfa_policy,
  lockoutMaxFailures: r.lockout_max_failures,
  lockoutDurationSeconds: r.lockout_duration_seconds,
  rateLimits: r.rate_limits,
  selfRegistration: r.self_registration,
  branding: r.branding,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function insertTenant(db: Knex, tenant: NewTenant): Promise<Tenant> {
  const [row] = await db<TenantRow>('tenants')
    .insert({ id: tenant.id, ...settingsToRow(tenant) })
    .returning('*');
  return toTenant(row as TenantRow);
}

export async function findTenantById(db: Knex, id: string): Promise<Tenant | undefined> {
  const row = await db<TenantRow>('tenants').where({ id }).first();
  return row && toTenant(row);
}

export async function updateTenantStatus(db: Knex, id: string, status: TenantStatus): Promise<Tenant | undefined> {
  const [row] = await db<TenantRow>('tenants')
    .where({ id })
    .update({ status, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return row && toTenant(row as TenantRow);
}

/** Platform-operator query: counts tenants across the whole installation. */
export async function countAllTenants(db: Knex): Promise<number> {
  const row = await db('tenants').count<{ count: string | number }>({ count: '*' }).first();
  return Number(row?.count ?? 0);
}

export async function updateTenantSettings(db: Knex, id: string, settings: TenantSettings): Promise<Tenant | undefined> {
  const [row] = await db<TenantRow>('tenants')
    .where({ id })
    .update({ ...settingsToRow(settings), updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return row && toTenant(row as TenantRow);
}

/** Platform-operator query: a page of all tenants in id order, after the tenant id `afterId`. */
export async function findAllTenantsPage(db: Knex, filter: { afterId?: string | undefined; limit: number }): Promise<Tenant[]> {
  const q = db<TenantRow>('tenants').orderBy('id').limit(filter.limit);
  if (filter.afterId) q.where('id', '>', filter.afterId);
  return (await q).map(toTenant);
}

/** Platform-operator query: deletes a tenant and, by ON DELETE CASCADE, everything it owns. */
export async function deleteTenantById(db: Knex, id: string): Promise<boolean> {
  return deletedRows(await db('tenants').where({ id }).delete()) > 0;
}
