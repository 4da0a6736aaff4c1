// Password hashing: bcrypt (default) or argon2id at OWASP's settings or above; hashes of either kind verify, and a
// hash made with other settings than the configured ones is replaced at the next successful sign-in, through the
// real JSON sign-in of a server configured for argon2id.
import { loadConfig } from '../../src/config/index.ts';
import { hashPassword, verifyPasswordHash, type PasswordSettings } from '../../src/services/passwords.ts';
import { makeTenant, makeUser } from '../helpers/fixtures.ts';
import { authApi } from '../helpers/http.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

const PASSWORD = 'correct horse battery';
const BCRYPT_4: PasswordSettings = { passwordHash: 'bcrypt', bcryptCost: 4, argon2MemoryKib: 19456, argon2TimeCost: 2 };
const ARGON2: PasswordSettings = { ...BCRYPT_4, passwordHash: 'argon2id' };

describe('hashes', () => {
  it('makes argon2id hashes at m=19 MiB, t=2, p=1 and verifies them', async () => {
    const hash = await hashPassword(PASSWORD, ARGON2);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPasswordHash(hash, PASSWORD, ARGON2)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPasswordHash(hash, 'wrong password', ARGON2)).toEqual({ ok: false, needsRehash: false });
  });

  it('asks for a rehash when the algorithm, the bcrypt cost or the argon2 settings changed, and only for the right password', async () => {
    const bcrypt4 = await hashPassword(PASSWORD, BCRYPT_4);
    expect(bcrypt4).toMatch(/^\$2b\$04\$/);
    expect(await verifyPasswordHash(bcrypt4, PASSWORD, BCRYPT_4)).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPasswordHash(bcrypt4, PASSWORD, { ...BCRYPT_4, bcryptCost: 5 })).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPasswordHash(bcrypt4, PASSWORD, ARGON2)).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPasswordHash(bcrypt4, 'wrong password', ARGON2)).toEqual({ ok: false, needsRehash: false });
    const argon2 = await hashPassword(PASSWORD, ARGON2);
    expect(await verifyPasswordHash(argon2, PASSWORD, { ...ARGON2, argon2TimeCost: 3 })).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPasswordHash(argon2, PASSWORD, BCRYPT_4)).toEqual({ ok: true, needsRehash: true });
  });

  it('answers not ok without a hash, whatever the password', async () => {
    expect(await verifyPasswordHash(undefined, 'gatehouse-timing-equaliser', ARGON2)).toEqual({ ok: false, needsRehash: false });
    expect(await verifyPasswordHash(undefined, PASSWORD, BCRYPT_4)).toEqual({ ok: false, needsRehash: false });
  });

  it('refuses argon2 settings below OWASP’s and an unknown algorithm', () => {
    expect(loadConfig({ DATA_DIR: '/tmp', PASSWORD_HASH: 'argon2id' })).toMatchObject({
      passwordHash: 'argon2id',
      argon2MemoryKib: 19456,
      argon2TimeCost: 2,
    });
    expect(() => loadConfig({ DATA_DIR: '/tmp', ARGON2_MEMORY_KIB: '8192' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => loadConfig({ DATA_DIR: '/tmp', ARGON2_TIME_COST: '1' })).toThrow(/ARGON2_TIME_COST/);
    expect(() => loadConfig({ DATA_DIR: '/tmp', PASSWORD_HASH: 'md5' })).toThrow(/PASSWORD_HASH: must be bcrypt or argon2id/);
  });
});

describe('PASSWORD_HASH=argon2id on a server with bcrypt hashes', () => {
  let server: TestServer;
  const api = authApi(() => server.url);
  const storedHash = async (id: string) =>
    ((await server.ctx.db('users').where({ id }).first('password_hash')) as { password_hash: string }).password_hash;

  beforeAll(async () => {
    server = await startTestServer({ PASSWORD_HASH: 'argon2id' });
    await makeTenant(server.ctx, 'acme');
  }, 60_000);
  afterAll(() => server.stop());

  it('hashes new passwords with argon2id', async () => {
    const user = await makeUser(server.ctx, 'acme', 'new@acme.test', PASSWORD);
    expect(await storedHash(user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('moves a bcrypt hash to argon2id at the first successful sign-in, and not at a failed one', async () => {
    const user = await makeUser(server.ctx, 'acme', 'old@acme.test', PASSWORD);
    const bcryptHash = await hashPassword(PASSWORD, BCRYPT_4);
    await server.ctx.db('users').where({ id: user.id }).update({ password_hash: bcryptHash });

    const wrong = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'old@acme.test', password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(await storedHash(user.id)).toBe(bcryptHash);

    const first = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'old@acme.test', password: PASSWORD } });
    expect(first.status).toBe(200);
    const moved = await storedHash(user.id);
    expect(moved).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    const again = await api('POST', '/login', { tenant: 'acme', body: { usernameOrEmail: 'OLD@acme.test', password: PASSWORD } });
    expect(again.status).toBe(200);
    expect(await storedHash(user.id)).toBe(moved);
  });
});
