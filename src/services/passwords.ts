// Password hashing: bcrypt at BCRYPT_COST (the default) or argon2id (PASSWORD_HASH=argon2id, at least OWASP's
// m=19 MiB, t=2, p=1). Any stored hash of either kind verifies; a hash made with other settings than the configured
// ones is replaced at the next successful sign-in (rehashIfNeeded), so changing the algorithm or cost moves
// accounts over as their owners sign in.
import { availableParallelism } from 'node:os';
import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcrypt';
import type { Knex } from 'knex';
import type { Config } from '../config/index.ts';
import { replacePasswordHash } from '../db/queries/users.ts';

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 8;

export type PasswordHashAlgorithm = 'bcrypt' | 'argon2id';
export const PASSWORD_HASH_ALGORITHMS: readonly PasswordHashAlgorithm[] = ['bcrypt', 'argon2id'];

/** The configured settings new hashes are made with; a bare number is a bcrypt cost (the older call form). */
export type PasswordSettings = Pick<Config, 'passwordHash' | 'bcryptCost' | 'argon2MemoryKib' | 'argon2TimeCost'>;

/** @node-rs/argon2's `Algorithm.Argon2id` (a const enum, which this project's module settings cannot read). */
const ARGON2ID = 2 as Algorithm;
const ARGON2_PARALLELISM = 1;

const settingsOf = (settings: number | PasswordSettings): PasswordSettings =>
  typeof settings === 'number' ? { passwordHash: 'bcrypt', bcryptCost: settings, argon2MemoryKib: 19456, argon2TimeCost: 2 } : settings;

/**
 * bcrypt and argon2 run on libuv's thread pool (4 threads by default), which also signs and verifies every JWT
 * (WebCrypto). Hashes queued there without bound make each token wait behind a queue of whole hashes during a
 * sign-in burst, so at most one hash per core runs at once and the rest wait here: a signature then waits for one
 * hash at most, and not at all while the pool has more threads than the machine has cores. The pool is per
 * process, so this gate is too (the one piece of state deliberately shared by every server in a process).
 */
const HASH_SLOTS = availableParallelism();
let running = 0;
const waiting: Array<() => void> = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running < HASH_SLOTS) running += 1;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over by the finisher
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

export function hashPassword(password: string, settings: number | PasswordSettings): Promise<string> {
  const s = settingsOf(settings);
  if (s.passwordHash === 'argon2id') {
    return withHashSlot(() =>
      argon2Hash(password, {
        algorithm: ARGON2ID,
        memoryCost: s.argon2MemoryKib,
        timeCost: s.argon2TimeCost,
        parallelism: ARGON2_PARALLELISM,
      }),
    );
  }
  return withHashSlot(() => bcrypt.hash(password, s.bcryptCost));
}

const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$/;
const ARGON2ID_HASH = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/** Whether `hash` was made with other settings than `s` would make it with. */
function madeWithOtherSettings(hash: string, s: PasswordSettings): boolean {
  if (s.passwordHash === 'argon2id') {
    const m = ARGON2ID_HASH.exec(hash);
    return !m || Number(m[1]) !== s.argon2MemoryKib || Number(m[2]) !== s.argon2TimeCost || Number(m[3]) !== ARGON2_PARALLELISM;
  }
  const m = BCRYPT_HASH.exec(hash);
  return !m || Number(m[1]) !== s.bcryptCost;
}

function compare(hash: string, password: string): Promise<boolean> {
  if (hash.startsWith('$argon2')) return withHashSlot(() => argon2Verify(hash, password));
  return withHashSlot(() => bcrypt.compare(password, hash));
}

/** A hash of a fixed password under the settings, compared against when there is no user. */
const dummyHashes = new Map<string, Promise<string>>();
function dummyHash(s: PasswordSettings): Promise<string> {
  const key = `${s.passwordHash}:${s.bcryptCost}:${s.argon2MemoryKib}:${s.argon2TimeCost}`;
  let hash = dummyHashes.get(key);
  if (!hash) {
    hash = hashPassword('gatehouse-timing-equaliser', s);
    dummyHashes.set(key, hash);
  }
  return hash;
}

export interface PasswordCheck {
  ok: boolean;
  /** The password was right and its hash was made with other settings than the configured ones. */
  needsRehash: boolean;
}

/**
 * Checks a password against a stored hash of either kind. Without a hash (no such user) it still spends one hash
 * under the configured settings and answers not ok, so both cases take about as long. (A hash of the other kind or
 * cost than configured takes as long as its own settings until its owner signs in again: see docs/configuration.md.)
 */
export async function verifyPasswordHash(
  hash: string | undefined,
  password: string,
  settings: number | PasswordSettings,
): Promise<PasswordCheck> {
  const s = settingsOf(settings);
  const ok = await compare(hash ?? (await dummyHash(s)), password);
  return { ok: ok && hash !== undefined, needsRehash: ok && hash !== undefined && madeWithOtherSettings(hash, s) };
}

/** Whether a password matches a stored hash of either kind (re-authentication, where no rehash is wanted). */
export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return compare(hash, password);
}

/**
 * After a successful sign-in whose check said `needsRehash`: hashes the password under the configured settings
 * and stores it, unless the stored hash changed meanwhile (a password change wins). Returns whether it did.
 */
export async function rehashIfNeeded(
  deps: { db: Knex; config: PasswordSettings },
  user: { tenantId: string; id: string; passwordHash: string },
  password: string,
  check: PasswordCheck,
): Promise<boolean> {
  if (!check.ok || !check.needsRehash) return false;
  return replacePasswordHash(deps.db, user.tenantId, user.id, user.passwordHash, await hashPassword(password, deps.config));
}
