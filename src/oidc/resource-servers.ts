// Registered API resources as oidc-provider resource servers (RFC 8707): `resource` names one by its identifier, the
// token is a JWT for that audience with only the scopes the client was granted (and, for a person, allowed), signed
// and timed as the resource says. A resource of another tenant, or one the client holds no scope of, is invalid_target.
import { errors, type Client, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findResourceForClient, type ResourceForClient } from '../services/api-resources.ts';

async function resourceOfClient(app: AppContext, client: Client | undefined, identifier: string): Promise<ResourceForClient | undefined> {
  const tenantId = client?.['tenant_id'];
  if (!client || typeof tenantId !== 'string') return undefined;
  return findResourceForClient(app, tenantId, client.clientId, identifier);
}

/** `getResourceServerInfo` for every identifier other than Gatehouse's own API. */
export async function registeredResourceServer(
  app: AppContext,
  ctx: KoaContextWithOIDC,
  identifier: string,
  client: Client | undefined,
): Promise<ResourceServer> {
  const found = await resourceOfClient(app, client ?? ctx.oidc.client, identifier);
  if (!found || found.clientScopes.length === 0)
    throw new errors.InvalidTarget('resource indicator is unknown or not allowed for this client');
  const { resource, clientScopes } = found;
  if (ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token' && !resource.allowRefreshTokens) {
    throw new errors.InvalidTarget('refresh tokens are not allowed for this resource');
  }
  return {
    scope: clientScopes.join(' '),
    audience: resource.identifier,
    accessTokenTTL: resource.accessTokenTtl,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: resource.signingAlg as 'ES256' | 'RS256' } },
  };
}

/** A code for a resource that allows no refresh tokens gets none (the default audience always allows them). */
export async function resourcesAllowRefresh(
  app: AppContext,
  ctx: KoaContextWithOIDC,
  source: { resource?: string | string[] } | undefined,
  ownAudience: string,
): Promise<boolean> {
  const identifiers = [source?.resource ?? []].flat().filter((r) => r !== ownAudience);
  for (const identifier of identifiers) {
    const found = await resourceOfClient(app, ctx.oidc.client, identifier);
    if (found && !found.resource.allowRefreshTokens) return false;
  }
  return true;
}

/** The registered resources among `identifiers` that this client may use, by identifier (the consent page's lookup). */
export async function resourcesOfClient(
  app: AppContext,
  client: Client,
  identifiers: readonly string[],
): Promise<Map<string, ResourceForClient>> {
  const found = new Map<string, ResourceForClient>();
  for (const identifier of identifiers) {
    const resource = await resourceOfClient(app, client, identifier);
    if (resource) found.set(identifier, resource);
  }
  return found;
}

/** `ttl.AccessToken` and `ttl.ClientCredentials`: the token's resource server decides, else ACCESS_TOKEN_TTL. */
export function resourceTokenTtl(app: AppContext) {
  return (_ctx: KoaContextWithOIDC, token: { resourceServer?: { accessTokenTTL?: number } }) =>
    token.resourceServer?.accessTokenTTL ?? app.config.accessTokenTtl;
}

/**
 * Introspection and revocation answer for a JWT only when its audience is one we issue for to its client: Gatehouse's
 * own API, or an API resource of the client's tenant or the platform (a token we signed for anything else is no token).
 */
export function issuedAudience(app: AppContext) {
  return async (claims: { aud?: string | string[] | undefined; tenant_id: string; client_id: string }): Promise<boolean> => {
    if (typeof claims.aud !== 'string') return false;
    if (claims.aud === app.config.publicUrl) return true;
    return (await findResourceForClient(app, claims.tenant_id, claims.client_id, claims.aud)) !== undefined;
  };
}
