// Token signing keys (docs/security.md): generated on first start, stored encrypted in PostgreSQL and shared by every
// process; `gatehouse keys rotate` stages a new generation, which every process publishes and verifies with
// before any signs with it (docs/operations.md, "Key rotation"), and keeps the old one published until what it
// signed has expired. Each generation is an ES256 key (access tokens, ID tokens by default), an RS256 key (ID tokens
// of clients and resource servers that need RS256) and an Ed25519 key (EdDSA ID tokens, per client).
import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { ServiceDeps } from '../context.ts';
import {
  countActiveSigningKeys,
  findActiveSigningAlgs,
  findPublishedSigningKeys,
  findSigningStart,
  findSigningKeysFingerprint,
  insertSigningKeys,
  lockSigningKeys,
  retireActiveSigningKeys,
  type NewSigningKey,
} from '../db/queries/signing-keys.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { decryptSecret, encryptSecret } from './encryption.ts';

/**
 * How long a retired key stays in the JWKS: it must outlive every token it signed (ID tokens 1 h, access
 * tokens 15 min, docs/security.md), with room for clock skew and caches of the JWKS at resource servers.
 */
const RETIRED_KEY_RETENTION_SECONDS = 24 * 3600;

const generate = promisify(generateKeyPair);

/** Every algorithm a generation holds a key for: what the JWKS can sign, and so what discovery may list. */
export const SIGNING_ALGS = ['ES256', 'RS256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

async function toStoredKey(secretKey: string, alg: SigningAlg, privateKey: KeyObject): Promise<NewSigningKey> {
  // The public JWK is exported from the public key, not filtered from the private one: nothing private can slip in.
  const publicMembers = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicMembers); // RFC 7638
  const privateJwk = { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    private_jwk_encrypted: encryptSecret(secretKey, JSON.stringify(privateJwk)),
    public_jwk: { ...publicMembers, kid, alg, use: 'sig' },
  };
}

/** One generation: made outside any transaction, since RSA key generation takes a while. */
async function newGeneration(secretKey: string): Promise<NewSigningKey[]> {
  const [ec, rsa, ed] = await Promise.all([
    generate('ec', { namedCurve: 'P-256' }),
    generate('rsa', { modulusLength: 2048 }),
    generate('ed25519'),
  ]);
  return Promise.all([
    toStoredKey(secretKey, 'ES256', ec.privateKey),
    toStoredKey(secretKey, 'RS256', rsa.privateKey),
    toStoredKey(secretKey, 'EdDSA', ed.privateKey),
  ]);
}

/**
 * A generation created before EdDSA was offered has no Ed25519 key: one joins it, signing at once (nothing signed
 * EdDSA before, so no process can be asked to verify with a key it has not loaded yet).
 */
async function completeActiveGeneration(deps: ServiceDeps): Promise<void> {
  const present = new Set(await findActiveSigningAlgs(deps.db));
  if (SIGNING_ALGS.every((alg) => present.has(alg))) return;
  const { privateKey } = await generate('ed25519');
  const row = await toStoredKey(deps.config.secretKey, 'EdDSA', privateKey);
  const added = await deps.db.transaction(async (trx) => {
    await lockSigningKeys(trx);
    if ((await findActiveSigningAlgs(trx)).includes('EdDSA')) return false;
    await insertSigningKeys(trx, [row]);
    return true;
  });
  if (added) deps.logger.info({ kid: row.kid }, 'signing keys: Ed25519 key added to the active generation');
}

/** Creates the first generation unless one exists; processes starting together create exactly one. */
export async function ensureSigningKeys(deps: ServiceDeps): Promise<void> {
  if ((await countActiveSigningKeys(deps.db)) > 0) return completeActiveGeneration(deps);
  const rows = await newGeneration(deps.config.secretKey);
  const created = await deps.db.transaction(async (trx) => {
    await lockSigningKeys(trx);
    if ((await countActiveSigningKeys(trx)) > 0) return false; // another process made them while we waited
    await insertSigningKeys(trx, rows);
    return true;
  });
  if (created) deps.logger.info({ kids: rows.map((r) => r.kid) }, 'signing keys created');
}

/**
 * Private JWKs for oidc-provider's `jwks`: the generation that signs now first (it signs with the first match),
 * then staged and retired ones, which it only verifies with.
 */
export async function loadSigningJwks(deps: ServiceDeps): Promise<{ keys: JWK[] }> {
  const rows = await findPublishedSigningKeys(deps.db);
  const keys = rows.map((row) => {
    let jwk: JWK;
    try {
      jwk = JSON.parse(decryptSecret(deps.config.secretKey, row.private_jwk_encrypted)) as JWK;
    } catch (err) {
      throw new Error(`signing key ${row.kid}: ${(err as Error).message} (was SECRET_KEY changed?)`, { cause: err });
    }
    // The ciphertext is not bound to its row; a key copied into another row must not be served under that kid.
    if (jwk.kid !== row.kid || jwk.alg !== row.alg) throw new Error(`signing key ${row.kid}: stored key does not match its row`);
    return jwk;
  });
  return { keys };
}

/**
 * Stages a new generation: published at once (every process loads it at its next key poll and verifies with
 * it), signing only after `activateAfterMs` (KEY_ACTIVATION_DELAY_MS, longer than the poll interval), when the
 * active generation retires; that one stays published for RETIRED_KEY_RETENTION_SECONDS more. So no process
 * ever signs with a key another process cannot verify yet. `activateAfterMs: 0` switches at once (one process).
 */
export async function rotateSigningKeys(
  deps: ServiceDeps,
  meta: AuditMeta,
  options: { activateAfterMs?: number } = {},
): Promise<{ active: string[]; retired: string[]; signsFrom: string }> {
  const activateAfterMs = options.activateAfterMs ?? deps.config.keyActivationDelayMs;
  const rows = await newGeneration(deps.config.secretKey);
  const active = rows.map((r) => r.kid);
  const { retired, signsFrom } = await deps.db.transaction(async (trx) => {
    await lockSigningKeys(trx);
    const kids = await retireActiveSigningKeys(trx, RETIRED_KEY_RETENTION_SECONDS, activateAfterMs);
    await insertSigningKeys(trx, rows, activateAfterMs);
    const from = await findSigningStart(trx, active[0] as string);
    await recordAudit(trx, { tenantId: null, type: 'keys.rotated', data: { active, retired: kids } }, meta);
    return { retired: kids, signsFrom: from.toISOString() };
  });
  deps.logger.info({ active, retired, signsFrom }, 'signing keys rotated: new keys staged');
  return { active, retired, signsFrom };
}

/** Changes whenever keys are created, retired or unpublished: servers poll it to reload their keys. */
export function signingKeysVersion(deps: ServiceDeps): Promise<string> {
  return findSigningKeysFingerprint(deps.db);
}
