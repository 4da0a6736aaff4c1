// Signing keys (docs/security.md): one generation on first start however many processes race, stored encrypted,
// rotation keeps the old generation published until its tokens have expired, and the keys really sign.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import type { ServiceDeps } from '../../src/context.ts';
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { SigningKeyRow } from '../../src/db/queries/signing-keys.ts';
import { createLogger } from '../../src/logger.ts';
import { decryptSecret } from '../../src/services/encryption.ts';
import { ensureSigningKeys, loadSigningJwks, rotateSigningKeys, signingKeysVersion } from '../../src/services/signing-keys.ts';
import { serviceMode } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const PUBLIC_MEMBERS: Record<string, string[]> = {
  ES256: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  RS256: ['kty', 'n', 'e', 'kid', 'alg', 'use'],
  EdDSA: ['kty', 'crv', 'x', 'kid', 'alg', 'use'],
};

let env: TestEnv;
let database: Database;
let deps: ServiceDeps;

beforeAll(async () => {
  env = await createTestEnv();
  const config = env.config();
  database = openDatabase(config);
  await migrateToLatest(database.db);
  deps = { config, db: database.db, logger: createLogger({ logLevel: 'silent' }) };
});
afterAll(async () => {
  await database.close();
  await env.destroy();
});

/** PostgreSQL answers count(*) as a string, PGlite as a number. */
async function countKeys(db: Database['db'], where: Partial<SigningKeyRow> = {}): Promise<number> {
  const [row] = await db('signing_keys').where(where).count<{ n: string | number }[]>({ n: '*' });
  return Number(row?.n);
}

const rows = (): Promise<SigningKeyRow[]> => database.db<SigningKeyRow>('signing_keys').orderBy('created_at').orderBy('kid');

/** Deps on their own knex pool, as another process would have; on PGlite (one process only) the shared one. */
function otherProcess(): { deps: ServiceDeps; close(): Promise<void> } {
  if (serviceMode() !== 'services') return { deps, close: async () => undefined };
  const own = openDatabase(deps.config);
  return { deps: { ...deps, db: own.db }, close: () => own.close() };
}

async function signAndVerify(privateJwk: JWK, publicJwks: JWK[]): Promise<void> {
  const alg = privateJwk.alg as string;
  const jwt = await new SignJWT({ sub: 'user-1' })
    .setProtectedHeader({ alg, kid: privateJwk.kid as string })
    .setIssuer('https://gatehouse.test')
    .setExpirationTime('5m')
    .sign(await importJWK(privateJwk, alg));
  const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet({ keys: publicJwks }), { issuer: 'https://gatehouse.test' });
  expect(payload.sub).toBe('user-1');
  expect(protectedHeader).toMatchObject({ alg, kid: privateJwk.kid });
}

describe('ensureSigningKeys', () => {
  it('creates exactly one generation when five processes start at once', async () => {
    const processes = Array.from({ length: 5 }, otherProcess);
    try {
      await Promise.all(processes.map((p) => ensureSigningKeys(p.deps)));
    } finally {
      await Promise.all(processes.map((p) => p.close()));
    }
    const stored = await rows();
    expect(stored.map((r) => [r.alg, r.status]).sort()).toEqual([
      ['ES256', 'active'],
      ['EdDSA', 'active'],
      ['RS256', 'active'],
    ]);
  });

  it('does nothing once keys exist', async () => {
    const before = await rows();
    const version = await signingKeysVersion(deps);
    await ensureSigningKeys(deps);
    expect(await rows()).toEqual(before);
    expect(await signingKeysVersion(deps)).toBe(version);
  });

  it('stores ES256 on P-256, RS256 on 2048-bit RSA and EdDSA on Ed25519, kid = RFC 7638 thumbprint, use sig', async () => {
    const { keys } = await loadSigningJwks(deps);
    const es = keys.find((k) => k.alg === 'ES256') as JWK;
    const rs = keys.find((k) => k.alg === 'RS256') as JWK;
    expect(keys.find((k) => k.alg === 'EdDSA')).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig' });
    expect(es).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig' });
    expect(rs).toMatchObject({ kty: 'RSA', e: 'AQAB', use: 'sig' });
    expect(Buffer.from(rs.n as string, 'base64url').length * 8).toBe(2048);
    for (const key of keys) expect(key.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
  });

  it('keeps the private key encrypted and the public column public', async () => {
    for (const row of await rows()) {
      const privateJwk = JSON.parse(decryptSecret(deps.config.secretKey, row.private_jwk_encrypted)) as JWK;
      expect(privateJwk.d).toEqual(expect.any(String));
      expect(row.private_jwk_encrypted).toMatch(/^v1\./);
      expect(row.private_jwk_encrypted).not.toContain(privateJwk.d);
      expect(row.private_jwk_encrypted).not.toContain('"d"');
      expect(Object.keys(row.public_jwk).sort()).toEqual([...(PUBLIC_MEMBERS[row.alg] as string[])].sort());
      for (const member of PRIVATE_MEMBERS) expect(row.public_jwk).not.toHaveProperty(member);
      expect(row.public_jwk).toMatchObject({ kid: row.kid, alg: row.alg, use: 'sig' });
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = privateJwk;
      expect(row.public_jwk).toEqual(publicPart);
    }
  });

  it('loads keys that sign JWTs the published public keys verify (ES256, RS256 and EdDSA)', async () => {
    const { keys } = await loadSigningJwks(deps);
    const published = (await rows()).map((r) => r.public_jwk as JWK);
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const key of keys) await signAndVerify(key, published);
  });

  it('adds an Ed25519 key, once, to a generation made before EdDSA was offered', async () => {
    await database.db('signing_keys').where({ alg: 'EdDSA' }).delete();
    const before = (await rows()).map((r) => r.kid).sort();
    await Promise.all([ensureSigningKeys(deps), ensureSigningKeys(deps)]);
    const after = await rows();
    expect(after.map((r) => [r.alg, r.status]).sort()).toEqual([
      ['ES256', 'active'],
      ['EdDSA', 'active'],
      ['RS256', 'active'],
    ]);
    expect(
      after
        .filter((r) => r.alg !== 'EdDSA')
        .map((r) => r.kid)
        .sort(),
    ).toEqual(before);
    const { keys } = await loadSigningJwks(deps);
    await signAndVerify(
      keys.find((k) => k.alg === 'EdDSA') as JWK,
      after.map((r) => r.public_jwk as JWK),
    );
  });

  it('refuses to load keys under another SECRET_KEY, naming the key', async () => {
    const config = env.config({ SECRET_KEY: 'a-different-secret-key-0123456789abcdefghijklmnop' });
    await expect(loadSigningJwks({ ...deps, config })).rejects.toThrow(/^signing key \S+: encrypted secret cannot be decrypted/);
  });
});

describe('rotateSigningKeys', () => {
  let before: string[];
  let rotated: { active: string[]; retired: string[] };
  let versionBefore: string;

  beforeAll(async () => {
    before = (await rows())
      .filter((r) => r.status === 'active')
      .map((r) => r.kid)
      .sort();
    versionBefore = await signingKeysVersion(deps);
    rotated = await rotateSigningKeys(deps, { actorId: 'test', requestId: 'req-1' }, { activateAfterMs: 0 });
  });

  it('makes a new active generation and retires the old one', async () => {
    expect(rotated.retired).toEqual(before);
    expect(rotated.active).toHaveLength(3);
    for (const kid of rotated.active) expect(before).not.toContain(kid);
    const stored = await rows();
    expect(stored).toHaveLength(6);
    const active = stored.filter((r) => r.status === 'active');
    expect(active.map((r) => r.kid).sort()).toEqual([...rotated.active].sort());
    expect(active.map((r) => r.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const row of stored.filter((r) => r.status === 'retired')) {
      expect(rotated.retired).toContain(row.kid);
      // Published a day after retirement: longer than any ID token (1 h) or access token (15 min) it signed.
      expect((row.unpublish_after as Date).getTime() - (row.retired_at as Date).getTime()).toBe(24 * 3600 * 1000);
    }
  });

  it('loads the new keys first and keeps the retired ones for verification', async () => {
    const { keys } = await loadSigningJwks(deps);
    expect(keys.map((k) => k.kid)).toHaveLength(6);
    expect(
      keys
        .slice(0, 3)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...rotated.active].sort());
    expect(
      keys
        .slice(3)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...rotated.retired].sort());
    // oidc-provider signs with the first key of an algorithm: the new generation.
    for (const alg of ['ES256', 'RS256', 'EdDSA']) expect(rotated.active).toContain(keys.find((k) => k.alg === alg)?.kid);
    const published = (await rows()).map((r) => r.public_jwk as JWK);
    for (const key of keys) await signAndVerify(key, published);
  });

  it('changes the version', async () => {
    const after = await signingKeysVersion(deps);
    expect(after).not.toBe(versionBefore);
    expect(await signingKeysVersion(deps)).toBe(after);
  });

  it('records keys.rotated in the audit log', async () => {
    const events = await database.db('audit_events').where({ type: 'keys.rotated' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenant_id: null,
      outcome: 'success',
      actor_id: 'test',
      request_id: 'req-1',
      data: { active: rotated.active, retired: rotated.retired },
    });
  });

  it('unpublishes retired keys once their time is up, and the version notices', async () => {
    const version = await signingKeysVersion(deps);
    await database
      .db('signing_keys')
      .whereIn('kid', rotated.retired)
      .update({ unpublish_after: database.db.raw("now() - interval '1 second'") });
    const { keys } = await loadSigningJwks(deps);
    expect(keys.map((k) => k.kid).sort()).toEqual([...rotated.active].sort());
    expect(await signingKeysVersion(deps)).not.toBe(version);
  });

  it('retires only the active generation on a second rotation', async () => {
    const second = await rotateSigningKeys(deps, { actorId: 'test' }, { activateAfterMs: 0 });
    expect(second.retired).toEqual([...rotated.active].sort());
    const { keys } = await loadSigningJwks(deps);
    expect(
      keys
        .slice(0, 3)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...second.active].sort());
    expect(
      keys
        .slice(3)
        .map((k) => k.kid)
        .sort(),
    ).toEqual([...rotated.active].sort());
    await ensureSigningKeys(deps);
    expect(await countKeys(database.db, { status: 'active' })).toBe(3);
  });

  it('still verifies a token signed before the rotation', async () => {
    const { keys } = await loadSigningJwks(deps);
    const es256 = keys.find((k) => k.alg === 'ES256') as JWK;
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: es256.kid as string })
      .setExpirationTime('5m')
      .sign(await importJWK(es256, 'ES256'));
    expect(decodeProtectedHeader(jwt).kid).toBe(es256.kid);
    await rotateSigningKeys(deps, { actorId: 'test' }, { activateAfterMs: 0 });
    const published = (await loadSigningJwks(deps)).keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub);
    await expect(jwtVerify(jwt, createLocalJWKSet({ keys: published }))).resolves.toBeDefined();
  });
});

describe('on embedded PGlite', () => {
  it('serialises key creation with the same advisory lock', async () => {
    if (serviceMode() !== 'services') return expect(serviceMode()).toBe('embedded'); // the whole file ran on PGlite
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-lite-keys-'));
    const lite = openDatabase({ dataDir, databaseUrl: undefined, databasePoolMax: 1 });
    try {
      await migrateToLatest(lite.db);
      const liteDeps = { ...deps, db: lite.db };
      await Promise.all([ensureSigningKeys(liteDeps), ensureSigningKeys(liteDeps), ensureSigningKeys(liteDeps)]);
      expect(await countKeys(lite.db)).toBe(3);
      const rotated = await rotateSigningKeys(liteDeps, { actorId: 'test' }, { activateAfterMs: 0 });
      expect((await loadSigningJwks(liteDeps)).keys).toHaveLength(6);
      expect(rotated.retired).toHaveLength(3);
    } finally {
      await lite.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('staged rotation (docs/operations.md, "Key rotation")', () => {
  /** Moves the database's idea of "when" for these keys back, as if `ms` had passed. */
  const age = (kids: string[], ms: number) =>
    database
      .db('signing_keys')
      .whereIn('kid', kids)
      .update({
        signs_from: database.db.raw('signs_from - make_interval(secs => ?)', [ms / 1000]),
        retired_at: database.db.raw('retired_at - make_interval(secs => ?)', [ms / 1000]),
      });
  const signingKids = (keys: JWK[]) => ['ES256', 'RS256', 'EdDSA'].map((alg) => keys.find((k) => k.alg === alg)?.kid);

  it('publishes the new generation at once but signs with it only after the activation delay', async () => {
    await ensureSigningKeys(deps);
    const current = signingKids((await loadSigningJwks(deps)).keys);
    const versionBefore = await signingKeysVersion(deps);
    const staged = await rotateSigningKeys(deps, { actorId: 'test' }, { activateAfterMs: 60_000 });
    expect(staged.retired.sort()).toEqual([...current].sort());
    expect(new Date(staged.signsFrom).getTime()).toBeGreaterThan(Date.now() + 50_000);

    // Staged: every process loads it (the version changed) and verifies with it; the old generation still signs.
    const { keys } = await loadSigningJwks(deps);
    expect(await signingKeysVersion(deps)).not.toBe(versionBefore);
    expect(signingKids(keys)).toEqual(current);
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining(staged.active));
    const published = keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub);
    for (const key of keys.filter((k) => staged.active.includes(k.kid as string))) await signAndVerify(key, published);

    // Once the delay has passed, the staged generation signs, the old one only verifies, and the version says so.
    const versionStaged = await signingKeysVersion(deps);
    await age([...staged.active, ...staged.retired], 61_000);
    const after = await loadSigningJwks(deps);
    expect(signingKids(after.keys).sort()).toEqual([...staged.active].sort());
    expect(after.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(current));
    expect(await signingKeysVersion(deps)).not.toBe(versionStaged);
  });
});
