// Tokens for the JSON API, minted in this process with oidc-provider's own models (docs/architecture.md "Sign-in" and
// "Refresh"): no HTTP call to ourselves, no second pass through the public middleware, and no ID token, since the JSON
// API returns none.
// - A sign-in makes a Grant, a RefreshToken and a JWT AccessToken for the tenant's API client, exactly as the
//   authorization-code grant would (same models, same resource server, same extra claims).
// - A refresh runs the provider's own token endpoint, in process: its refresh_token grant (lib/actions/grants/
//   refresh_token.js) is where rotation, reuse detection (a spent token revokes the whole grant) and the account and
//   grant checks live, and our Postgres adapter turns its consume-then-save into one statement with the audit event
//   (adapters/postgres-adapter.ts). Re-implementing that grant here would give the JSON API a second copy of those
//   rules to keep in step with every library upgrade; calling the Koa handler without a socket keeps one.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { API_SCOPE, ensureApiClient } from '../services/api-client.ts';
import type { RequestOrigin } from '../services/request-origin.ts';
import { attachGrant, findSessionOfRefreshToken } from '../services/sessions.ts';
import { OIDC_ROUTES, ownResourceServer } from './provider.ts';
import { rememberMintedSession } from './token-claims.ts';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
  sessionId: string;
}

/** The tokens of a JSON sign-in, for a session the sign-in slice has just started. */
export async function mintSessionTokens(
  app: AppContext,
  provider: Provider,
  args: { tenantId: string; userId: string; sessionId: string; amr: string[] },
): Promise<IssuedTokens> {
  const clientId = await ensureApiClient(app, args.tenantId);
  const client = await provider.Client.find(clientId);
  if (!client) throw new AppError('TENANT_ACCESS_DENIED', { detail: 'tenant API client unavailable' });
  const scopes = API_SCOPE.split(' ');
  const resourceServer = new provider.ResourceServer(ownResourceServer(app, scopes).audience, ownResourceServer(app, scopes));
  const audience = resourceServer.audience as string;

  const grant = new provider.Grant({ accountId: args.userId, clientId });
  grant.addOIDCScope(API_SCOPE);
  grant.addResourceScope(audience, API_SCOPE);
  const grantId = await grant.save();
  // The session link first: access tokens issued under the grant are checked against it from the moment they exist.
  await attachGrant(app, { id: args.sessionId, tenantId: args.tenantId }, grantId, clientId);

  const authTime = Math.floor(Date.now() / 1000);
  // What the authorization-code grant puts in these models (lib/helpers/grant_common.js issueTokens), with `gty`
  // kept as the JSON API's tokens always had it, so a refresh treats them as before.
  const common = { accountId: args.userId, client, grantId, gty: 'authorization_code', expiresWithSession: false };
  const accessToken = new provider.AccessToken(common);
  accessToken.resourceServer = resourceServer;
  accessToken.scope = grant.getResourceScopeFiltered(audience, scopes);
  rememberMintedSession(accessToken, args.sessionId); // its `sid` claim: the session just linked above
  const refreshToken = new provider.RefreshToken({
    ...common,
    amr: args.amr,
    authTime,
    resource: audience,
    rotations: 0,
    scope: API_SCOPE,
  });
  const [accessTokenValue, refreshTokenValue] = await Promise.all([accessToken.save(), refreshToken.save()]);
  app.metrics.tokensIssued.inc({ grant_type: 'sign_in' });
  return {
    accessToken: accessTokenValue,
    refreshToken: refreshTokenValue,
    expiresIn: accessToken.expiration,
    tokenType: 'Bearer',
    sessionId: args.sessionId,
  };
}

interface TokenEndpointResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
}

/**
 * A JSON API refresh. Whatever the failure, the answer says only what the guide allows: SESSION_NOT_FOUND when the
 * token's session has ended, INVALID_TOKEN otherwise; the true reason is in the log and audit trail.
 */
export async function refreshSessionTokens(
  app: AppContext,
  provider: Provider,
  /** expectedTenantId: the tenant the request names (undefined: none), which must be the token's. */
  args: { refreshToken: string; expectedTenantId: string | undefined; origin: RequestOrigin },
): Promise<IssuedTokens> {
  // Read even when revoked: a token whose session has ended answers SESSION_NOT_FOUND, not INVALID_TOKEN.
  const session = await findSessionOfRefreshToken(app, args.refreshToken);
  if (!session) throw new AppError('INVALID_TOKEN', { detail: 'unknown refresh token' });
  if (args.expectedTenantId !== undefined && args.expectedTenantId !== session.tenantId)
    throw new AppError('TENANT_ACCESS_DENIED', { detail: 'refresh token of another tenant' });
  if (session.endedAt || session.expiresAt <= new Date())
    throw new AppError('SESSION_NOT_FOUND', { detail: `session ${session.id} ended` });

  const body = await callTokenEndpoint(app, provider, args.origin, {
    grant_type: 'refresh_token',
    refresh_token: args.refreshToken,
    client_id: session.grantClientId,
  });
  if (!body.access_token || !body.refresh_token) {
    // A reuse revokes the grant inside the token endpoint; the session itself may have just ended too.
    throw new AppError('INVALID_TOKEN', { detail: `refresh refused: ${body.error ?? 'no tokens'}` });
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresIn: body.expires_in ?? 0,
    tokenType: 'Bearer',
    sessionId: session.id,
  };
}

const handlers = new WeakMap<Provider, (ctx: KoaContextWithOIDC) => Promise<unknown>>();

/**
 * Runs the provider's middleware (its token route and what we added with provider.use) on a request that exists only
 * in memory: no socket, no listener, so it works while the server drains at shutdown, and it passes none of the
 * public middleware (rate limits, IP blocks) a second time. The caller's address, user agent and request id go along
 * for the audit trail and logs.
 */
async function callTokenEndpoint(
  app: AppContext,
  provider: Provider,
  origin: RequestOrigin,
  params: Record<string, string>,
): Promise<TokenEndpointResponse> {
  let handler = handlers.get(provider);
  if (!handler) {
    handler = compose(provider.middleware as Middleware[]) as unknown as (ctx: KoaContextWithOIDC) => Promise<unknown>;
    handlers.set(provider, handler);
  }
  const body = Buffer.from(new URLSearchParams(params).toString());
  const socket = new Socket();
  try {
    const req = new IncomingMessage(socket);
    req.method = 'POST';
    req.url = OIDC_ROUTES.token;
    req.headers = {
      host: new URL(app.config.publicUrl).host,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(body.length),
      accept: 'application/json',
      ...(origin.userAgent && { 'user-agent': origin.userAgent }),
    };
    req.push(body);
    req.push(null);
    const ctx = provider.createContext(req, new ServerResponse(req)) as unknown as KoaContextWithOIDC;
    ctx.request.ip = origin.ip;
    ctx.state.requestId = origin.requestId;
    await handler(ctx);
    return ctx.body as TokenEndpointResponse;
  } finally {
    socket.destroy();
  }
}
