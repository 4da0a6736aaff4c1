// Each tenant's built-in first-party client for the JSON API: public, PKCE, never shown on a consent page.
import type { ServiceDeps } from '../context.ts';
import { insertClientIfAbsent } from '../db/queries/clients.ts';

/** No `openid`: the JSON API returns no ID token, so none is signed at sign-in or on refresh. */
export const API_SCOPE = 'profile email offline_access';
export const API_CALLBACK_PATH = '/api/v1/auth/callback';

export const apiClientId = (tenantId: string) => `${tenantId}_api`;

const ensured = new Set<string>();

/** Creates the tenant's JSON API client on first use; returns its id. */
export async function ensureApiClient(deps: ServiceDeps, tenantId: string): Promise<string> {
  const clientId = apiClientId(tenantId);
  const cacheKey = `${deps.config.databaseUrl ?? deps.config.dataDir}|${clientId}`;
  if (ensured.has(cacheKey)) return clientId;
  await insertClientIfAbsent(deps.db, {
    clientId,
    tenantId,
    name: 'Gatehouse JSON API',
    secretHash: null,
    firstParty: true,
    metadata: {
      client_name: 'Gatehouse JSON API',
      redirect_uris: [`${deps.config.publicUrl}${API_CALLBACK_PATH}`],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: API_SCOPE,
      token_endpoint_auth_method: 'none',
      // Our own client: ES256 ID tokens, a fraction of RS256's signing CPU on every sign-in and refresh.
      id_token_signed_response_alg: 'ES256',
    },
  });
  ensured.add(cacheKey);
  return clientId;
}
