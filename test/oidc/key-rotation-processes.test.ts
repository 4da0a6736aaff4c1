// `gatehouse keys rotate` while two server processes issue tokens (docs/operations.md, "Key rotation"): the new key
// is published by both before either signs with it, so every token either process issues verifies at the other
// and against the other's JWKS (what a resource server caches) from the moment it is issued.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { createLogger } from '../../src/logger.ts';
import { makeClient, makeTenant } from '../helpers/fixtures.ts';
import { readJson } from '../helpers/http.ts';
import { runScript, spawnServer, type ServerProcess } from '../helpers/processes.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { freePort } from '../helpers/test-server.ts';

/** Short, so the test is quick; the activation delay is longer than the poll interval, as configuration demands. */
const KEY_VARS = { KEY_POLL_INTERVAL_MS: '300', KEY_ACTIVATION_DELAY_MS: '1500' };
const LOOPS_PER_PROCESS = 3;
/** Tokens each process must sign with the new key before the load stops. */
const AFTER_SWITCH = 10;

describeWithSharedServices('key rotation with two processes under load', () => {
  let env: TestEnv;
  let processes: ServerProcess[] = [];
  let database: Database;
  let basic: string;
  let issuer: string;

  beforeAll(async () => {
    env = await createTestEnv();
    const [portA, portB] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${portA}`;
    const shared = { ...env.vars, ...KEY_VARS, PUBLIC_URL: issuer, LOG_LEVEL: 'info' };
    processes = [await spawnServer({ ...shared, PORT: String(portA) }), await spawnServer({ ...shared, PORT: String(portB) })];
    const config = env.config(shared);
    database = openDatabase(config);
    const deps = { config, db: database.db, logger: createLogger({ logLevel: 'silent' }) };
    await makeTenant(deps, 'acme');
    const { client, clientSecret } = await makeClient(deps, { tenantId: 'acme', name: 'Service', grantTypes: ['client_credentials'] });
    basic = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.close();
    await env?.destroy();
  });

  const post = (base: string, path: string, body: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
  const jwksOf = async (base: string) => (await readJson(await fetch(`${base}/.well-known/jwks.json`))) as JSONWebKeySet;

  it('every token either process signs verifies at the other from the moment it is issued', async () => {
    const [a, b] = processes as [ServerProcess, ServerProcess];
    const failures: string[] = [];
    const newKids = new Set<string>();
    const signedWithNew = new Map<string, number>();
    let issued = 0;
    let rotated = false;

    /** Issues at `from`, then verifies at `at`: its JWKS as a resource server would fetch it, and its introspection. */
    const loop = async (from: ServerProcess, at: ServerProcess) => {
      while (!rotated || (signedWithNew.get(from.url) ?? 0) < AFTER_SWITCH) {
        const res = await post(from.url, '/oauth2/token', 'grant_type=client_credentials');
        if (res.status !== 200) {
          failures.push(`token at ${from.url}: ${res.status}`);
          continue;
        }
        const { access_token: token } = (await readJson(res)) as { access_token: string };
        issued += 1;
        const { kid } = decodeProtectedHeader(token);
        if (newKids.has(kid as string)) signedWithNew.set(from.url, (signedWithNew.get(from.url) ?? 0) + 1);
        try {
          await jwtVerify(token, createLocalJWKSet(await jwksOf(at.url)), { issuer, typ: 'at+jwt' });
        } catch (err) {
          failures.push(`kid ${kid} from ${from.url} not in the JWKS of ${at.url}: ${(err as Error).message}`);
        }
        const introspection = await readJson(await post(at.url, '/oauth2/introspect', `token=${token}`));
        if (introspection.active !== true) failures.push(`kid ${kid} from ${from.url} inactive at ${at.url}`);
      }
    };
    const load = [
      ...Array.from({ length: LOOPS_PER_PROCESS }, () => loop(a, b)),
      ...Array.from({ length: LOOPS_PER_PROCESS }, () => loop(b, a)),
    ];

    // Under way before the rotation.
    while (issued < 20 && failures.length === 0) await new Promise((r) => setTimeout(r, 20));
    const res = await runScript('bin/gatehouse.js', ['keys', 'rotate'], { ...env.vars, ...KEY_VARS });
    expect(res.code).toBe(0);
    const { active, signsFrom } = JSON.parse(res.stdout) as { active: string[]; signsFrom: string };
    for (const kid of active) newKids.add(kid);
    rotated = true;
    await Promise.all(load);

    expect(failures).toEqual([]);
    // Both processes did switch, and the new keys were staged first: signing started after the CLI returned.
    expect(signedWithNew.get(a.url)).toBeGreaterThanOrEqual(AFTER_SWITCH);
    expect(signedWithNew.get(b.url)).toBeGreaterThanOrEqual(AFTER_SWITCH);
    expect(new Date(signsFrom).getTime()).toBeGreaterThan(Date.now() - 60_000);
  }, 120_000);
});
