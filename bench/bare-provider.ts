// The baseline of the benchmark: a bare oidc-provider 9 with its in-memory adapter and one client, configured
// like Gatehouse where it matters for cost (ES256 JWT access tokens through resourceIndicators, rotating refresh
// tokens, PKCE) and with an interaction that signs a fixed account in without a page, so a code flow measures
// only the protocol. Started by bench/run.ts as its own process; prints `listening <url>` when ready.
//
// With DATABASE_URL it keeps its models in PostgreSQL instead, through the smallest adapter that keeps the library's
// guarantees (one table, plain parameterised statements through a `pg` pool, an atomic consume): what a team gets by
// embedding oidc-provider with a database and nothing else. The bench reports it as `bare-pg`.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';
import pg from 'pg';
import { BARE_ACCOUNT, BARE_CLIENT, BARE_OPAQUE_CLIENT, BARE_REDIRECT_URI } from './bare-clients.ts';

const RESOURCE = 'urn:bench:api';

function signingKeys() {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...ec, kid: 'es', alg: 'ES256', use: 'sig' },
      { ...rsa, kid: 'rs', alg: 'RS256', use: 'sig' },
    ],
  };
}

const client = (id: string, secret: string) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
  response_types: ['code' as const],
  redirect_uris: [BARE_REDIRECT_URI],
  scope: 'openid offline_access',
});

/** The adapter of `bare-pg`; undefined (the library's in-memory adapter) without DATABASE_URL. */
async function postgresAdapter(url: string | undefined) {
  if (!url) return undefined;
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`create table if not exists bare_oidc_payloads (
    model text not null, id text not null, payload jsonb not null, grant_id text, uid text,
    expires_at timestamptz, consumed_at timestamptz, primary key (model, id))`);
  await pool.query('create index if not exists bare_oidc_payloads_grant on bare_oidc_payloads (grant_id)');
  await pool.query('create index if not exists bare_oidc_payloads_uid on bare_oidc_payloads (model, uid)');
  const live = 'and (expires_at is null or expires_at > now())';
  const payloadOf = (rows: Array<{ payload: AdapterPayload; consumed_at: Date | null }>) => {
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  };
  return class PostgresAdapter implements Adapter {
    private readonly model: string;
    constructor(model: string) {
      this.model = model;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      await pool.query(
        `insert into bare_oidc_payloads (model, id, payload, grant_id, uid, expires_at)
         values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
         on conflict (model, id) do update
           set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid, expires_at = excluded.expires_at`,
        [this.model, id, payload, payload.grantId ?? null, payload.uid ?? null, expiresIn ?? null],
      );
    }
    async find(id: string) {
      const { rows } = await pool.query(`select payload, consumed_at from bare_oidc_payloads where model = $1 and id = $2 ${live}`, [
        this.model,
        id,
      ]);
      return payloadOf(rows);
    }
    async findByUid(uid: string) {
      const { rows } = await pool.query(`select payload, consumed_at from bare_oidc_payloads where model = $1 and uid = $2 ${live}`, [
        this.model,
        uid,
      ]);
      return payloadOf(rows);
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id: string) {
      const { rowCount } = await pool.query(
        'update bare_oidc_payloads set consumed_at = now() where model = $1 and id = $2 and consumed_at is null',
        [this.model, id],
      );
      if (rowCount !== 1) throw new errors.InvalidGrant(`${this.model} already consumed`); // of racing redemptions, one wins
    }
    async destroy(id: string) {
      await pool.query('delete from bare_oidc_payloads where model = $1 and id = $2', [this.model, id]);
    }
    async revokeByGrantId(grantId: string) {
      await pool.query('delete from bare_oidc_payloads where grant_id = $1', [grantId]);
    }
  };
}

const adapter = await postgresAdapter(process.env.DATABASE_URL);

const configuration: Configuration = {
  ...(adapter && { adapter }),
  clients: [client(BARE_CLIENT.id, BARE_CLIENT.secret), client(BARE_OPAQUE_CLIENT.id, BARE_OPAQUE_CLIENT.secret)],
  jwks: signingKeys() as Configuration['jwks'],
  cookies: { keys: ['bench-cookie-key-bench-cookie-key'] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  scopes: ['openid', 'offline_access'],
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed('refresh_token'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx) => (ctx.oidc.client?.clientId === BARE_OPAQUE_CLIENT.id ? undefined : RESOURCE),
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'openid offline_access',
        audience: RESOURCE,
        accessTokenTTL: 900,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  } as Configuration['features'],
};

const provider = new Provider(`http://127.0.0.1:${process.env.PORT ?? '0'}`, configuration);

// The interaction: sign the fixed account in and grant what was asked, with no page in between.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ accountId: BARE_ACCOUNT, clientId: details.params.client_id as string });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  grant.addResourceScope(RESOURCE, 'openid offline_access');
  const grantId = await grant.save();
  const target = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: BARE_ACCOUNT }, consent: { grantId } });
  ctx.status = 303;
  ctx.redirect(target);
});

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
