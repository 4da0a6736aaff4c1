// Tokens for the JSON API through the very same path as OAuth clients (docs/security.md): the sign-in gets a grant and
// a single-use PKCE authorization code for the tenant's API client, redeemed at our own token endpoint; a
// refresh is a refresh_token grant there. Claims, rotation, reuse detection and revocation are therefore
// exactly those of the OAuth endpoints.
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { INTERNAL_CALL_HEADER, internalCallToken } from '../http/koa-abuse.ts';
import { findGrantIdOfPayload } from '../db/queries/oidc-payloads.ts';
import { hashTokenId } from './adapters/token-ids.ts';
import { findSessionByGrantId } from '../db/queries/sessions.ts';
import { API_CALLBACK_PATH, API_SCOPE, ensureApiClient } from '../services/api-client.ts';
import { attachGrant } from '../services/sessions.ts';
import type { OidcRuntime } from './index.ts';
import { defaultAudience, OIDC_ROUTES } from './provider.ts';

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string | undefined;
  expiresIn: number;
  tokenType: 'Bearer';
  sessionId: string;
}

interface TokenEndpointResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  error?: string;
}

export async function issueTokensForSession(
  app: AppContext,
  oidc: OidcRuntime,
  args: { tenantId: string; userId: string; sessionId: string; amr: string[] },
): Promise<IssuedTokens> {
  const provider = oidc.provider();
  const clientId = await ensureApiClient(app, args.tenantId);
  const client = await provider.Client.find(clientId);
  if (!client) throw new AppError('TENANT_ACCESS_DENIED', { detail: 'tenant API client unavailable' });
  const audience = defaultAudience(app);

  const grant = new provider.Grant({ accountId: args.userId, clientId });
  grant.addOIDCScope(API_SCOPE);
  grant.addResourceScope(audience, API_SCOPE);
  const grantId = await grant.save();
  await attachGrant(app, { id: args.sessionId, tenantId: args.tenantId }, grantId, clientId);

  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = `${app.config.publicUrl}${API_CALLBACK_PATH}`;
  const code = await new provider.AuthorizationCode({
    accountId: args.userId,
    client,
    grantId,
    scope: API_SCOPE,
    resource: audience,
    redirectUri,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    authTime: Math.floor(Date.now() / 1000),
    amr: args.amr,
    gty: 'authorization_code',
  }).save();

  const body = await callTokenEndpoint(app, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    client_id: clientId,
  });
  if (!body.access_token || !body.refresh_token) throw new Error(`token endpoint refused the API code: ${body.error ?? 'no tokens'}`);
  return toIssued(body, args.sessionId);
}

/**
 * A JSON API refresh. Whatever the failure, the answer says only what the guide allows: SESSION_NOT_FOUND when
 * the token's session has ended, INVALID_TOKEN otherwise; the true reason is in the log and audit trail.
 */
export async function refreshTokens(app: AppContext, refreshToken: string, expectedTenantId: string | undefined): Promise<IssuedTokens> {
  const grantId = await findGrantIdOfPayload(app.db, 'RefreshToken', hashTokenId(app.config.secretKey, refreshToken));
  const session = grantId ? await findSessionByGrantId(app.db, grantId) : undefined;
  if (!grantId || !session) throw new AppError('INVALID_TOKEN', { detail: 'unknown refresh token' });
  if (expectedTenantId && expectedTenantId !== session.tenantId)
    throw new AppError('TENANT_ACCESS_DENIED', { detail: 'refresh token of another tenant' });
  if (session.endedAt || session.expiresAt <= new Date())
    throw new AppError('SESSION_NOT_FOUND', { detail: `session ${session.id} ended` });

  const body = await callTokenEndpoint(app, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: session.grantClientId });
  if (!body.access_token || !body.refresh_token) {
    // A reuse revokes the grant inside the token endpoint; the session itself may have just ended too.
    throw new AppError('INVALID_TOKEN', { detail: `refresh refused: ${body.error ?? 'no tokens'}` });
  }
  return toIssued(body, session.id);
}

async function callTokenEndpoint(app: AppContext, params: Record<string, string>): Promise<TokenEndpointResponse> {
  const res = await fetch(`${app.internalUrl}${OIDC_ROUTES.token}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      [INTERNAL_CALL_HEADER]: internalCallToken(app.config.secretKey),
    },
    body: new URLSearchParams(params),
  });
  return (await res.json()) as TokenEndpointResponse;
}

function toIssued(body: TokenEndpointResponse, sessionId: string): IssuedTokens {
  return {
    accessToken: body.access_token as string,
    refreshToken: body.refresh_token as string,
    idToken: body.id_token,
    expiresIn: body.expires_in ?? 0,
    tokenType: 'Bearer',
    sessionId,
  };
}
