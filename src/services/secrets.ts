// Keys derived from SECRET_KEY, one per purpose (HKDF-SHA-256), so no two uses share key material.
import { createHmac, hkdfSync } from 'node:crypto';

export type KeyPurpose = 'cookies' | 'encryption' | 'client-secret-hmac' | 'token-hash' | 'backup-code-hmac' | 'user-token-hmac';

/** Derived keys by secret, purpose and length: HKDF is cheap but not free, and the token endpoint hashes every secret. */
const derived = new Map<string, Buffer>();

export function deriveKey(secretKey: string, purpose: KeyPurpose, bytes = 32): Buffer {
  const id = `${purpose}:${bytes}:${secretKey}`;
  let key = derived.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', `gatehouse:${purpose}`, bytes));
    if (derived.size > 100) derived.clear();
    derived.set(id, key);
  }
  return Buffer.from(key);
}

/** Koa/oidc-provider cookie signing keys (they must be equal; see notes on oidc-provider 9). */
export function cookieKeys(secretKey: string): string[] {
  return [deriveKey(secretKey, 'cookies').toString('base64url')];
}

/** The keyed hash an oidc-provider id that is a bearer secret is stored under (docs/security.md, "Tokens at rest"). */
export function hashTokenId(secretKey: string, id: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'token-hash')).update(`oidc-id:${id}`).digest('base64url');
}
