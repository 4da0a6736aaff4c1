// Encryption of secrets at rest (signing keys, TOTP secrets): AES-256-GCM under a key derived from SECRET_KEY.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from './secrets.ts';

const VERSION = 'v1';

export function encryptSecret(secretKey: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secretKey, 'encryption'), iv);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function decryptSecret(secretKey: string, ciphertext: string): string {
  const [version, iv, tag, data] = ciphertext.split('.');
  if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('encrypted secret has an unknown format');
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(secretKey, 'encryption'), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('encrypted secret cannot be decrypted: wrong SECRET_KEY or tampered data');
  }
}
