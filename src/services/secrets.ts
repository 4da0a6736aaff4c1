// Keys derived from SECRET_KEY, one per purpose (HKDF-SHA-256), so no two uses share key material.
import { hkdfSync } from 'node:crypto';

export type KeyPurpose = 'cookies' | 'encryption' | 'client-secret-hmac' | 'token-hash' | 'backup-code-hmac';

export function deriveKey(secretKey: string, purpose: KeyPurpose, bytes = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', `gatehouse:${purpose}`, bytes));
}

/** Koa/oidc-provider cookie signing keys (they must be equal; see notes on oidc-provider 9). */
export function cookieKeys(secretKey: string): string[] {
  return [deriveKey(secretKey, 'cookies').toString('base64url')];
}
