// Encryption of secrets at rest (signing keys, TOTP secrets): AES-256-GCM under a key derived from SECRET_KEY.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './secrets.ts';

const VERSION = 'v1';
const IV_BYTES = 12;
// The full 128-bit tag, and only that: GCM would otherwise accept a tag truncated to as little as 4 bytes.
const TAG_BYTES = 16;

/** `v1.<iv>.<tag>.<ciphertext>`, each part base64url; a fresh random IV every time. */
export function encryptSecret(secretKey: string, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secretKey, 'encryption'), iv, { authTagLength: TAG_BYTES });
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, ...[iv, cipher.getAuthTag(), data].map((part) => part.toString('base64url'))].join('.');
}

export function decryptSecret(secretKey: string, ciphertext: string): string {
  const parts = ciphertext.split('.');
  const [version, iv, tag, data] = parts.map((part, i) => (i === 0 ? part : Buffer.from(part, 'base64url')));
  if (parts.length !== 4 || version !== VERSION || !Buffer.isBuffer(iv) || !Buffer.isBuffer(tag) || !Buffer.isBuffer(data)) {
    throw new Error('encrypted secret has an unknown format');
  }
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('encrypted secret has an unknown format');
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(secretKey, 'encryption'), iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('encrypted secret cannot be decrypted: wrong SECRET_KEY or tampered data');
  }
}
