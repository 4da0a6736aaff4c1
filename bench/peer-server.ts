// The peer of the benchmark: what a team gets by writing its own token endpoint with @node-oauth/oauth2-server on
// Koa, refresh tokens in PostgreSQL (one row each, rotated by a conditional UPDATE and an INSERT), ES256 JWT access
// tokens signed with node:crypto, static clients. No sessions, audit, rate limits or OpenID Connect. Started by
// bench/run.ts as its own process with DATABASE_URL; prints `listening <url>` when ready.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import OAuth2Server, { Request, Response, type Client, type RefreshToken, type Token, type User } from '@node-oauth/oauth2-server';
import Koa from 'koa';
import pg from 'pg';
import { BARE_ACCOUNT, PEER_CLIENT } from './bare-clients.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`create table if not exists peer_refresh_tokens (
  token text primary key, client_id text not null, user_id text not null, scope text,
  expires_at timestamptz not null, revoked_at timestamptz)`);

const key = createPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
const ISSUER = 'http://peer.bench';
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'peer' })).toString('base64url');

const client: Client = { id: PEER_CLIENT.id, grants: ['client_credentials', 'password', 'refresh_token'] };
const secret = Buffer.from(PEER_CLIENT.secret);

const model = {
  async getClient(clientId: string, clientSecret: string) {
    if (clientId !== PEER_CLIENT.id) return false;
    const presented = Buffer.from(clientSecret ?? '');
    return presented.length === secret.length && timingSafeEqual(presented, secret) ? client : false;
  },
  async getUserFromClient() {
    return { id: `client:${PEER_CLIENT.id}` };
  },
  /** The bench mints its first refresh tokens with the password grant, for a fixed account and no password check. */
  async getUser() {
    return { id: BARE_ACCOUNT };
  },
  async generateAccessToken(c: Client, user: User, scope: string[] | undefined) {
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        sub: user.id,
        client_id: c.id,
        aud: 'urn:bench:api',
        iat: now,
        exp: now + 900,
        jti: randomBytes(16).toString('base64url'),
        scope: scope?.join(' '),
      }),
    ).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${header}.${payload}.${signature}`;
  },
  async saveToken(token: Token, c: Client, user: User) {
    if (token.refreshToken) {
      await pool.query('insert into peer_refresh_tokens (token, client_id, user_id, scope, expires_at) values ($1, $2, $3, $4, $5)', [
        token.refreshToken,
        c.id,
        user.id,
        token.scope?.join(' ') ?? null,
        token.refreshTokenExpiresAt,
      ]);
    }
    return { ...token, client: c, user };
  },
  async getRefreshToken(refreshToken: string) {
    const { rows } = await pool.query<{ client_id: string; user_id: string; scope: string | null; expires_at: Date }>(
      'select client_id, user_id, scope, expires_at from peer_refresh_tokens where token = $1 and revoked_at is null',
      [refreshToken],
    );
    const row = rows[0];
    if (!row) return false;
    return {
      refreshToken,
      refreshTokenExpiresAt: row.expires_at,
      scope: row.scope?.split(' '),
      client: { id: row.client_id, grants: client.grants },
      user: { id: row.user_id },
    };
  },
  /** Only the authenticate (bearer) handler reads access tokens back; the bench never calls it. */
  async getAccessToken() {
    return false as const;
  },
  /** Rotation: of racing redemptions of one token, only the one whose UPDATE matched goes on. */
  async revokeToken(token: RefreshToken) {
    const { rowCount } = await pool.query('update peer_refresh_tokens set revoked_at = now() where token = $1 and revoked_at is null', [
      token.refreshToken,
    ]);
    return rowCount === 1;
  },
};

const oauth = new OAuth2Server({ model, accessTokenLifetime: 900, refreshTokenLifetime: 30 * 24 * 3600, requireClientAuthentication: {} });

const app = new Koa();
app.use(bodyParser({ enableTypes: ['form'] }));
app.use(async (ctx) => {
  if (ctx.path !== '/token' || ctx.method !== 'POST') {
    ctx.status = 404;
    return;
  }
  const request = new Request({
    body: ctx.request.body,
    headers: ctx.headers as Record<string, string>,
    method: ctx.method,
    query: ctx.query as Record<string, string>,
  });
  const response = new Response({ headers: {} });
  try {
    await oauth.token(request, response);
    ctx.set(response.headers as Record<string, string>);
    ctx.status = response.status ?? 200;
    ctx.body = response.body;
  } catch (err) {
    const e = err as { code?: number; name?: string; message?: string };
    ctx.status = e.code ?? 500;
    ctx.body = { error: e.name, error_description: e.message };
  }
});

const server = createServer(app.callback());
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
