// TOTP MFA (RFC 6238: 6 digits, 30 s, ±1 step) with otplib: enrolment with an otpauth URI and QR code,
// activation by a first valid code, single-use backup codes, no code accepted twice, tenant policy.
import { createHmac, randomInt } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { AppError } from '../errors/app-error.ts';
import type { ServiceDeps } from '../context.ts';
import {
  acceptTimeStep,
  countUnusedBackupCodes,
  deleteMfa,
  findMfa,
  replaceBackupCodes,
  upsertPendingMfa,
  useBackupCode,
} from '../db/queries/mfa.ts';
import type { Tenant } from '../db/queries/tenants.ts';
import { findPasswordHash, findUserById } from '../db/queries/users.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { decryptSecret, encryptSecret } from './encryption.ts';
import { verifyPassword } from './passwords.ts';
import { deriveKey } from './secrets.ts';
import { getTenant } from './tenants.ts';

export const BACKUP_CODE_COUNT = 10;
const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const TOTP = /^\d{6}$/;

/** What a sign-in still needs after the password: nothing, a code, or enrolment first (tenant policy `required`). */
export type MfaRequirement = 'none' | 'verify' | 'enrol';

export async function mfaRequirement(deps: ServiceDeps, tenant: Pick<Tenant, 'id' | 'mfaPolicy'>, userId: string): Promise<MfaRequirement> {
  if (tenant.mfaPolicy === 'off') return 'none';
  const mfa = await findMfa(deps.db, tenant.id, userId);
  if (mfa?.status === 'active') return 'verify';
  return tenant.mfaPolicy === 'required' ? 'enrol' : 'none';
}

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  /** PNG data URL of the otpauth URI, for authenticator apps. */
  qrCode: string;
}

export async function beginEnrolment(deps: ServiceDeps, tenantId: string, userId: string, meta: AuditMeta): Promise<Enrolment> {
  const [tenant, user] = await Promise.all([getTenant(deps, tenantId), findUserById(deps.db, tenantId, userId)]);
  if (!user) throw new AppError('NOT_FOUND', { detail: `user ${userId}` });
  const secret = generateSecret();
  if (!(await upsertPendingMfa(deps.db, tenantId, userId, encryptSecret(deps.config.secretKey, secret)))) {
    throw new AppError('DUPLICATE_RESOURCE', { detail: 'MFA is already active; disable it first' });
  }
  const otpauthUri = generateURI({ issuer: tenant.name, label: user.email, secret });
  await recordAudit(deps.db, { tenantId, type: 'mfa.enrolment_started', subjectId: userId }, { ...meta, actorId: meta.actorId ?? userId });
  return { secret, otpauthUri, qrCode: await QRCode.toDataURL(otpauthUri) };
}

/**
 * Checks a second factor: a current TOTP code (never the same time step twice) or, where allowed, an unused
 * backup code. With `activate`, a valid TOTP code also activates a pending enrolment. Returns which was used.
 */
export async function verifySecondFactor(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  code: string,
  meta: AuditMeta,
  options: { activate?: boolean; allowBackupCode?: boolean } = {},
): Promise<'totp' | 'backup_code'> {
  const audit = { ...meta, actorId: meta.actorId ?? userId };
  const mfa = await findMfa(deps.db, tenantId, userId);
  const expectedStatus = options.activate ? 'pending' : 'active';
  const normalized = code.replace(/[\s-]/g, '').toLowerCase();
  let used: 'totp' | 'backup_code' | undefined;
  let reason = 'wrong_code';
  if (mfa?.status === expectedStatus && TOTP.test(normalized)) {
    const result = await verify({
      secret: decryptSecret(deps.config.secretKey, mfa.secretEncrypted),
      token: normalized,
      epochTolerance: 30,
    });
    if (result.valid) {
      const { timeStep } = result as { timeStep: number }; // TOTP results carry the matched step
      if (await acceptTimeStep(deps.db, tenantId, userId, timeStep, options.activate === true)) used = 'totp';
      else reason = 'replayed_code';
    }
  } else if (mfa?.status === 'active' && options.allowBackupCode !== false && !options.activate && normalized.length === 10) {
    if (await useBackupCode(deps.db, tenantId, userId, hashBackupCode(deps.config.secretKey, normalized))) used = 'backup_code';
  } else if (!mfa || mfa.status !== expectedStatus) {
    reason = options.activate ? 'no_pending_enrolment' : 'mfa_not_active';
  }
  if (!used) {
    await recordAudit(deps.db, { tenantId, type: 'mfa.failed', outcome: 'failure', subjectId: userId, data: { reason } }, audit);
    throw new AppError('INVALID_MFA_CODE', { detail: reason });
  }
  await recordAudit(
    deps.db,
    { tenantId, type: used === 'backup_code' ? 'mfa.backup_code_used' : 'mfa.verified', subjectId: userId },
    audit,
  );
  return used;
}

/** Activates a pending enrolment with its first valid code; returns the backup codes, shown once. */
export async function activateEnrolment(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  code: string,
  meta: AuditMeta,
): Promise<string[]> {
  await verifySecondFactor(deps, tenantId, userId, code, meta, { activate: true });
  const codes = await issueBackupCodes(deps, tenantId, userId);
  await recordAudit(deps.db, { tenantId, type: 'mfa.enrolled', subjectId: userId }, { ...meta, actorId: meta.actorId ?? userId });
  return codes;
}

/** New backup codes (the old ones stop working); needs a current TOTP code. */
export async function regenerateBackupCodes(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  code: string,
  meta: AuditMeta,
): Promise<string[]> {
  await verifySecondFactor(deps, tenantId, userId, code, meta, { allowBackupCode: false });
  const codes = await issueBackupCodes(deps, tenantId, userId);
  await recordAudit(
    deps.db,
    { tenantId, type: 'mfa.backup_codes_regenerated', subjectId: userId },
    { ...meta, actorId: meta.actorId ?? userId },
  );
  return codes;
}

/** Turns MFA off for oneself: needs a current code or the password. */
export async function disableMfa(
  deps: ServiceDeps,
  tenantId: string,
  userId: string,
  proof: { code?: string | undefined; password?: string | undefined },
  meta: AuditMeta,
): Promise<void> {
  if (proof.code) {
    await verifySecondFactor(deps, tenantId, userId, proof.code, meta);
  } else {
    const hash = await findPasswordHash(deps.db, tenantId, userId);
    if (!proof.password || !hash || !(await verifyPassword(proof.password, hash))) {
      throw new AppError('INVALID_CREDENTIALS', { detail: 'wrong password to disable MFA' });
    }
  }
  await deleteMfa(deps.db, tenantId, userId);
  await recordAudit(deps.db, { tenantId, type: 'mfa.disabled', subjectId: userId }, { ...meta, actorId: meta.actorId ?? userId });
}

/** Admin reset of a user's MFA (a lost device): the next sign-in needs no code, or enrolment under `required`. */
export async function resetMfa(deps: ServiceDeps, tenantId: string, userId: string, meta: AuditMeta): Promise<void> {
  if (!(await deleteMfa(deps.db, tenantId, userId))) throw new AppError('NOT_FOUND', { detail: `no MFA for user ${userId}` });
  await recordAudit(deps.db, { tenantId, type: 'mfa.reset', subjectId: userId }, meta);
}

export async function mfaStatus(deps: ServiceDeps, tenantId: string, userId: string) {
  const mfa = await findMfa(deps.db, tenantId, userId);
  return {
    enabled: mfa?.status === 'active',
    pendingEnrolment: mfa?.status === 'pending',
    backupCodesRemaining: mfa?.status === 'active' ? await countUnusedBackupCodes(deps.db, tenantId, userId) : 0,
  };
}

async function issueBackupCodes(deps: ServiceDeps, tenantId: string, userId: string): Promise<string[]> {
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, () =>
    Array.from({ length: 10 }, () => BACKUP_ALPHABET[randomInt(BACKUP_ALPHABET.length)]).join(''),
  );
  await replaceBackupCodes(
    deps.db,
    tenantId,
    userId,
    codes.map((c) => hashBackupCode(deps.config.secretKey, c)),
  );
  return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
}

function hashBackupCode(secretKey: string, normalized: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'backup-code-hmac')).update(normalized).digest('base64url');
}
