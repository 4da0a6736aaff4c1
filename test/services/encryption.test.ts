// Secrets at rest (docs/security.md): AES-256-GCM round trips, and anything but the right key on untouched data fails.
import { decryptSecret, encryptSecret } from '../../src/services/encryption.ts';
import { TEST_SECRET_KEY } from '../helpers/test-env.ts';

const OTHER_KEY = 'another-secret-key-0123456789abcdefghijklmnopqrstuvw';

/** Flips one bit in the decoded bytes of part `index` of the compact form. */
function flipBit(ciphertext: string, index: number): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[index] as string, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('encryptSecret / decryptSecret', () => {
  it.each([['JBSWY3DPEHPK3PXP'], [''], ['{"kty":"EC","d":"…ünïcode"}'], ['x'.repeat(10_000)]])('round-trip %#', (plaintext) => {
    expect(decryptSecret(TEST_SECRET_KEY, encryptSecret(TEST_SECRET_KEY, plaintext))).toBe(plaintext);
  });

  it('write v1.<iv>.<tag>.<data> with a fresh IV each time', () => {
    const a = encryptSecret(TEST_SECRET_KEY, 'same secret');
    const b = encryptSecret(TEST_SECRET_KEY, 'same secret');
    expect(a).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same secret');
  });

  it('refuse the wrong key', () => {
    const sealed = encryptSecret(TEST_SECRET_KEY, 'secret');
    expect(() => decryptSecret(OTHER_KEY, sealed)).toThrow('encrypted secret cannot be decrypted: wrong SECRET_KEY or tampered data');
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['data', 3],
  ])('refuse a tampered %s', (_part, index) => {
    const sealed = encryptSecret(TEST_SECRET_KEY, 'secret');
    expect(() => decryptSecret(TEST_SECRET_KEY, flipBit(sealed, index))).toThrow(/cannot be decrypted/);
  });

  it('refuse a truncated tag, a wrong IV length, an unknown version and stray parts', () => {
    const [, iv, tag, data] = encryptSecret(TEST_SECRET_KEY, 'secret').split('.') as [string, string, string, string];
    const shortTag = Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url');
    const longIv = Buffer.concat([Buffer.from(iv, 'base64url'), Buffer.alloc(4)]).toString('base64url');
    for (const bad of [
      `v1.${iv}.${shortTag}.${data}`,
      `v1.${longIv}.${tag}.${data}`,
      `v2.${iv}.${tag}.${data}`,
      `v1.${iv}.${tag}.${data}.extra`,
      `v1.${iv}.${tag}`,
      'not encrypted at all',
    ]) {
      expect(() => decryptSecret(TEST_SECRET_KEY, bad)).toThrow(/^encrypted secret (has an unknown format|cannot be decrypted)/);
    }
  });
});
