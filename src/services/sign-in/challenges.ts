// The second-factor challenge of a sign-in whose password passed: the JSON API hands its token out as the mfaToken of
// the guide's "MFA Required" answer, the login page keeps it server-side under its interaction. Single-use, lives 5
// minutes, dies after 5 wrong codes (docs/api.md). Kept in the TTL store under a hash of the token, shared by every
// process. Wrong codes also count against the user (index.ts), so a fresh challenge gives no fresh guesses.
import { createHash, randomBytes } from 'node:crypto';
import type { KvStore } from '../../store/kv-store.ts';
import type { MfaRequirement } from '../mfa.ts';

export const MFA_TOKEN_TTL_SECONDS = 300;
export const MFA_MAX_ATTEMPTS = 5;

export interface MfaChallenge {
  tenantId: string;
  userId: string;
  requirement: Exclude<MfaRequirement, 'none'>;
  /** The client the sign-in is for (the tenant's JSON API client, or the application behind the login page). */
  clientId: string;
}

const keyOf = (token: string) => `mfa:challenge:{${createHash('sha256').update(token).digest('base64url')}}`;

export async function createMfaChallenge(store: KvStore, challenge: MfaChallenge): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await store.set(keyOf(token), JSON.stringify(challenge), MFA_TOKEN_TTL_SECONDS);
  return token;
}

export async function readMfaChallenge(store: KvStore, token: string): Promise<MfaChallenge | undefined> {
  const raw = await store.get(keyOf(token));
  return raw ? (JSON.parse(raw) as MfaChallenge) : undefined;
}

/** Counts a wrong code; the fifth kills the challenge. True when it is dead. */
export async function recordWrongCode(store: KvStore, token: string): Promise<boolean> {
  const attempts = await store.incr(`${keyOf(token)}:attempts`, MFA_TOKEN_TTL_SECONDS);
  if (attempts < MFA_MAX_ATTEMPTS) return false;
  await store.del(keyOf(token), `${keyOf(token)}:attempts`);
  return true;
}

/** Uses the challenge up; false when another request already did (it is single-use). */
export async function consumeMfaChallenge(store: KvStore, token: string): Promise<boolean> {
  const taken = await store.take(keyOf(token));
  await store.del(`${keyOf(token)}:attempts`);
  return taken !== null;
}
