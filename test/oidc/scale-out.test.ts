// Several processes on one PostgreSQL and Redis (docs/operations.md): a code issued by one process is redeemed at another,
// and a code or refresh token is redeemed exactly once however many requests race for it across processes.
import type * as oidc from 'openid-client';
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { createLogger } from '../../src/logger.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { discoverRp, signInThroughPages } from '../helpers/oidc-flow.ts';
import { spawnServer, type ServerProcess } from '../helpers/processes.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { freePort } from '../helpers/test-server.ts';

const REDIRECT_URI = 'http://127.0.0.1:7777/callback';
const INVALID_CODE = '{"error":"invalid_grant","error_description":"Authorization code is invalid or expired"}';
const INVALID_REFRESH = '{"error":"invalid_grant","error_description":"Refresh token is invalid or expired"}';

describeWithSharedServices('two server processes sharing PostgreSQL and Redis', () => {
  let env: TestEnv;
  let a: ServerProcess;
  let b: ServerProcess;
  let database: Database;
  let rp: oidc.Configuration;
  let basic: string;
  let user: { email: string; password: string; id: string };

  beforeAll(async () => {
    env = await createTestEnv();
    const [portA, portB] = [await freePort(), await freePort()];
    // No refresh retry interval: here every second use of a refresh token is a reuse (refresh-reuse.test.ts has the interval).
    const shared = { ...env.vars, PUBLIC_URL: `http://127.0.0.1:${portA}`, LOG_LEVEL: 'info', REFRESH_REUSE_INTERVAL_SECONDS: '0' };
    a = await spawnServer({ ...shared, PORT: String(portA) });
    b = await spawnServer({ ...shared, PORT: String(portB) });
    const config = env.config(shared);
    database = openDatabase(config);
    const deps = { config, db: database.db, logger: createLogger({ logLevel: 'silent' }) };
    await makeTenant(deps, 'acme');
    user = await makeUser(deps, 'acme', 'ann@acme.test');
    const { client, clientSecret } = await makeClient(deps, {
      tenantId: 'acme',
      name: 'CRM',
      redirectUris: [REDIRECT_URI],
      firstParty: true,
    });
    basic = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
    rp = await discoverRp(a.url, client.clientId, clientSecret);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.close();
    await env?.destroy();
  });

  const token = (base: string, body: Record<string, string>) =>
    fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });

  const signInAtA = () => signInThroughPages({ baseUrl: a.url, rp, redirectUri: REDIRECT_URI, login: user.email, password: user.password });

  it('redeems at one process a code issued by the other, then refreshes and introspects across them', async () => {
    const { callback, verifier } = await signInAtA();
    const redeemed = await token(b.url, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    expect(redeemed.status).toBe(200);
    const tokens = (await redeemed.json()) as { access_token: string; refresh_token: string; id_token: string };
    expect(tokens.id_token).toBeTruthy();

    const refreshed = await token(a.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const introspected = await fetch(`${b.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ((await refreshed.json()) as { access_token: string }).access_token }),
    });
    expect(await introspected.json()).toMatchObject({ active: true, sub: user.id, tenant_id: 'acme' });
  });

  it('lets exactly one of ten concurrent redemptions of a code succeed', async () => {
    const { callback, verifier } = await signInAtA();
    const body = {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => token(i % 2 ? a.url : b.url, body)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
    for (const r of results.filter((x) => x.status === 400)) expect(await r.text()).toBe(INVALID_CODE);
  });

  it('lets exactly one of ten concurrent uses of a refresh token succeed', async () => {
    const { callback, verifier } = await signInAtA();
    const first = await token(a.url, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') as string,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    const { refresh_token } = (await first.json()) as { refresh_token: string };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => token(i % 2 ? a.url : b.url, { grant_type: 'refresh_token', refresh_token })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(400);
      expect(await r.text()).toBe(INVALID_REFRESH);
    }
  });
});
