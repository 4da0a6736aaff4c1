// SQL for user_mfa and mfa_backup_codes.
import type { Knex } from 'knex';
import { deletedRows } from '../knex.ts';

export interface MfaRecord {
  userId: string;
  tenantId: string;
  secretEncrypted: string;
  status: 'pending' | 'active';
  lastTimeStep: number;
  activatedAt: Date | null;
}

interface MfaRow {
  user_id: string;
  tenant_id: string;
  secret_encrypted: string;
  status: 'pending' | 'active';
  last_time_step: string | number;
  activated_at: Date | null;
}

const toMfa = (r: MfaRow): MfaRecord => ({
  userId: r.user_id,
  tenantId: r.tenant_id,
  secretEncrypted: r.secret_encrypted,
  status: r.status,
  lastTimeStep: Number(r.last_time_step),
  activatedAt: r.activated_at,
});

export async function findMfa(db: Knex, tenantId: string, userId: string): Promise<MfaRecord | undefined> {
  const row = await db<MfaRow>('user_mfa').where({ tenant_id: tenantId, user_id: userId }).first();
  return row && toMfa(row);
}

/** Starts (or restarts) a pending enrolment; an active one is left alone. True if the pending secret was stored. */
export async function upsertPendingMfa(db: Knex, tenantId: string, userId: string, secretEncrypted: string): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `INSERT INTO user_mfa (user_id, tenant_id, secret_encrypted, status) VALUES (?, ?, ?, 'pending')
     ON CONFLICT (user_id) DO UPDATE SET secret_encrypted = EXCLUDED.secret_encrypted, last_time_step = 0, created_at = now()
       WHERE user_mfa.status = 'pending' AND user_mfa.tenant_id = EXCLUDED.tenant_id
     RETURNING user_id`,
    [userId, tenantId, secretEncrypted],
  );
  return rows.length === 1;
}

/**
 * Accepts a TOTP time step only if it is later than the last one accepted — one statement, so a code cannot
 * be used twice even by two requests at once. Optionally activates a pending enrolment in the same step.
 */
export async function acceptTimeStep(db: Knex, tenantId: string, userId: string, timeStep: number, activate: boolean): Promise<boolean> {
  const updated = await db('user_mfa')
    .where({ tenant_id: tenantId, user_id: userId, status: activate ? 'pending' : 'active' })
    .andWhere('last_time_step', '<', timeStep)
    .update({ last_time_step: timeStep, ...(activate && { status: 'active', activated_at: db.fn.now() }) });
  return updated === 1;
}

export async function deleteMfa(db: Knex, tenantId: string, userId: string): Promise<boolean> {
  await db('mfa_backup_codes').where({ tenant_id: tenantId, user_id: userId }).delete();
  return deletedRows(await db('user_mfa').where({ tenant_id: tenantId, user_id: userId }).delete()) === 1;
}

export async function replaceBackupCodes(db: Knex, tenantId: string, userId: string, codeHashes: string[]): Promise<void> {
  await db('mfa_backup_codes').where({ tenant_id: tenantId, user_id: userId }).delete();
  await db('mfa_backup_codes').insert(codeHashes.map((hash) => ({ code_hash: hash, tenant_id: tenantId, user_id: userId })));
}

/** Uses a backup code once; true if it was unused and is now used. */
export async function useBackupCode(db: Knex, tenantId: string, userId: string, codeHash: string): Promise<boolean> {
  const updated = await db('mfa_backup_codes')
    .where({ tenant_id: tenantId, user_id: userId, code_hash: codeHash })
    .whereNull('used_at')
    .update({ used_at: db.fn.now() });
  return updated === 1;
}

export async function countUnusedBackupCodes(db: Knex, tenantId: string, userId: string): Promise<number> {
  const row = await db('mfa_backup_codes')
    .where({ tenant_id: tenantId, user_id: userId })
    .whereNull('used_at')
    .count<{ n: string }>({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}

/** Which of these users of a tenant have an active second factor. */
export async function findUserIdsWithActiveMfa(db: Knex, tenantId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db('user_mfa')
    .where({ tenant_id: tenantId, status: 'active' })
    .whereIn('user_id', [...userIds])
    .select<{ user_id: string }[]>('user_id');
  return new Set(rows.map((r) => r.user_id));
}
