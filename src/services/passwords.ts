// Password hashing with bcrypt at the configured cost.
import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently truncated. */
export const PASSWORD_MAX_BYTES = 72;
export const PASSWORD_MIN_LENGTH = 8;

/**
 * bcrypt runs on libuv's thread pool (4 threads by default), which also signs and verifies every JWT (WebCrypto).
 * Hashes queued there without bound make each token wait behind a queue of whole hashes during a sign-in burst, so
 * at most one hash per core runs at once and the rest wait here: a signature then waits for one hash at most, and
 * not at all while the pool has more threads than the machine has cores. The pool is per process, so this gate is
 * too (the one piece of state deliberately shared by every server in a process).
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

export function hashPassword(password: string, cost: number): Promise<string> {
  return withHashSlot(() => bcrypt.hash(password, cost));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return withHashSlot(() => bcrypt.compare(password, hash));
}
