// Token signing keys (SPEC §4): generated on first start, stored encrypted in PostgreSQL and shared by every
// process; `gatehouse keys rotate` adds a new generation and keeps the old one published until what it signed
// has expired. Each generation is an ES256 key (access tokens) and an RS256 key (ID tokens, and resource
// servers that need RS256).
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Knex } from 'knex';
import type { ServiceDeps } from '../context.ts';
import {
  countActiveSigningKeys,
  findPublishedSigningKeys,
  insertSigningKeys,
  retireActiveSigningKeys,
  signingKeysFingerprint,
} from '../db/queries/signing-keys.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { decryptSecret, encryptSecret } from './encryption.ts';

/** A retired key stays published a day: far longer than any token it signed lives (ID tokens 1 h, access 15 min). */
const RETIRED_KEY_RETENTION_MS = 24 * 3600 * 1000;
/** Serialises key creation across processes sharing one PostgreSQL. */
const KEYS_LOCK = 727_465_001;
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi']);

const generate = promisify(generateKeyPair);

async function newGeneration(secretKey: string) {
  const [ec, rsa] = await Promise.all([generate('ec', { namedCurve: 'P-256' }), generate('rsa', { modulusLength: 2048 })]);
  return Promise.all(
    [
      { alg: 'ES256', key: ec.privateKey },
      { alg: 'RS256', key: rsa.privateKey },
    ].map(async ({ alg, key }) => {
      const exported = key.export({ format: 'jwk' }) as JWK;
      const kid = await calculateJwkThumbprint(exported);
      const privateJwk = { ...exported, kid, alg, use: 'sig' };
      const publicJwk = Object.fromEntries(Object.entries(privateJwk).filter(([member]) => !PRIVATE_MEMBERS.has(member)));
      return { kid, alg, private_jwk_encrypted: encryptSecret(secretKey, JSON.stringify(privateJwk)), public_jwk: publicJwk };
    }),
  );
}

async function withKeysLock<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(?)', [KEYS_LOCK]);
    return work(trx);
  });
}

export async function ensureSigningKeys(deps: ServiceDeps): Promise<void> {
  if ((await countActiveSigningKeys(deps.db)) > 0) return;
  const rows = await newGeneration(deps.config.secretKey);
  await withKeysLock(deps.db, async (trx) => {
    if ((await countActiveSigningKeys(trx)) > 0) return; // another process made them while we waited
    await insertSigningKeys(trx, rows);
    deps.logger.info({ kids: rows.map((r) => r.kid) }, 'signing keys created');
  });
}

/** Private JWKs for oidc-provider: active keys first (it signs with the first match), then retired ones. */
export async function loadSigningJwks(deps: ServiceDeps): Promise<{ keys: JWK[] }> {
  const rows = await findPublishedSigningKeys(deps.db);
  return { keys: rows.map((row) => JSON.parse(decryptSecret(deps.config.secretKey, row.private_jwk_encrypted)) as JWK) };
}

export async function rotateSigningKeys(deps: ServiceDeps, meta: AuditMeta): Promise<{ active: string[]; retired: string[] }> {
  const rows = await newGeneration(deps.config.secretKey);
  return withKeysLock(deps.db, async (trx) => {
    const retired = await retireActiveSigningKeys(trx, new Date(Date.now() + RETIRED_KEY_RETENTION_MS));
    await insertSigningKeys(trx, rows);
    const active = rows.map((r) => r.kid);
    await recordAudit(trx, { tenantId: null, type: 'keys.rotated', data: { active, retired } }, meta);
    return { active, retired };
  });
}

export function signingKeysVersion(deps: ServiceDeps): Promise<string> {
  return signingKeysFingerprint(deps.db);
}
