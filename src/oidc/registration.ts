// Dynamic client registration (RFC 7591) at /oauth2/register, one tenant per initial access token: a tenant admin
// issues the token (admin API), its id carries the tenant, and the `gatehouse-tenant` policy puts every client
// registered with it into that tenant whatever the request body says. No registration access tokens are issued
// (RFC 7592 reads would return the stored secret hash); clients are managed through the admin API instead.
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { lookupTenant } from '../services/tenants.ts';
import { recordAudit, type AuditMeta } from '../services/audit.ts';
import { DEFAULT_CLIENT_SCOPE, generateClientSecret, jwksUriSchema, redirectUriSchema } from '../services/clients.ts';
import { isPermission } from '../services/permissions.ts';
import { getTenant } from '../services/tenants.ts';

export const TENANT_POLICY = 'gatehouse-tenant';

/** Initial access token lifetimes, in seconds. */
export const INITIAL_ACCESS_TOKEN_TTL = { default: 24 * 3600, max: 30 * 24 * 3600 } as const;

/** The token value is `{tenant}.{256 random bits}`: the tenant is part of the stored id, set only by us. */
const TOKEN_ID = /^([a-z0-9-]{1,63})\.[A-Za-z0-9_-]{43}$/;

function tenantOfInitialAccessToken(ctx: KoaContextWithOIDC): string {
  const tenantId = TOKEN_ID.exec(ctx.oidc.entities.InitialAccessToken?.jti ?? '')?.[1];
  if (!tenantId) throw new errors.InvalidToken('initial access token without a tenant');
  return tenantId;
}

/** The `features.registration` configuration. */
export function registrationFeature(app: AppContext): NonNullable<Configuration['features']>['registration'] {
  return {
    enabled: true,
    initialAccessToken: true,
    issueRegistrationAccessToken: false,
    // Same shape as the admin API's client ids, so the tenant shows in every log line that names the client.
    idFactory: (ctx) => `${tenantOfInitialAccessToken(ctx)}_${randomBytes(16).toString('base64url')}`,
    secretFactory: () => generateClientSecret(),
    policies: {
      [TENANT_POLICY]: async (ctx, properties) => {
        const tenantId = tenantOfInitialAccessToken(ctx);
        const tenant = await lookupTenant(app, tenantId);
        if (!tenant || tenant.status !== 'active') throw new errors.InvalidToken('tenant of the initial access token is unavailable');
        assertRegistrable(properties);
        // Without a scope a client could ask for any scope, permissions included (oidc-provider checks the
        // requested scope against the client's only when the client has one).
        Object.assign(properties, { tenant_id: tenantId, first_party: false, scope: properties.scope ?? DEFAULT_CLIENT_SCOPE });
      },
    },
  };
}

/** A NUL character, or a UTF-16 surrogate without its pair (not text PostgreSQL can store). */
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a string anywhere in the metadata (or a key) holds a NUL character or an unpaired surrogate. */
function holdsUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.some(holdsUnstorableText);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, item]) => holdsUnstorableText(key) || holdsUnstorableText(item));
  }
  return false;
}

/** The admin API's rules for what a client may be, in RFC 7591 §3.2.2 errors. */
function assertRegistrable(properties: ClientMetadata): void {
  // PostgreSQL stores neither: refused here as bad metadata rather than failing the insert with a server error.
  if (holdsUnstorableText(properties)) {
    throw new errors.InvalidClientMetadata('metadata must not contain NUL characters or unpaired surrogates');
  }
  const invalidUri = (uris: unknown) => Array.isArray(uris) && uris.some((uri) => !redirectUriSchema.safeParse(uri).success);
  if (invalidUri(properties.redirect_uris)) {
    throw new errors.InvalidRedirectUri('redirect_uris must be absolute, without a fragment, and https except for loopback');
  }
  if (invalidUri(properties.post_logout_redirect_uris)) {
    throw new errors.InvalidClientMetadata('post_logout_redirect_uris must be absolute, without a fragment, and https except for loopback');
  }
  if (properties.jwks_uri !== undefined && !jwksUriSchema.safeParse(properties.jwks_uri).success) {
    throw new errors.InvalidClientMetadata('jwks_uri must be an https URL without a fragment');
  }
  // Pairwise subjects are not offered, so a sector identifier has no use; the library would fetch it during
  // registration (dropping a special-use address only once connected), letting a registrant probe what the server reaches.
  if (properties.sector_identifier_uri !== undefined) {
    throw new errors.InvalidClientMetadata('sector_identifier_uri is not supported: subject identifiers are public');
  }
  const backchannel = properties['backchannel_logout_uri'];
  if (backchannel !== undefined && !redirectUriSchema.safeParse(backchannel).success) {
    throw new errors.InvalidClientMetadata('backchannel_logout_uri must be absolute, without a fragment, and https except for loopback');
  }
  // A public client proves nothing at the token endpoint: with client_credentials its client_id alone would get tokens.
  if (properties.token_endpoint_auth_method === 'none' && properties.grant_types?.includes('client_credentials')) {
    throw new errors.InvalidClientMetadata('a public client (token_endpoint_auth_method none) cannot use client_credentials');
  }
  // Permission scopes make a client an admin through client_credentials: only an admin may grant them.
  if (typeof properties.scope === 'string' && properties.scope.split(' ').some(isPermission)) {
    throw new errors.InvalidClientMetadata('permission scopes are granted through the admin API only');
  }
  if (typeof properties.client_name === 'string' && properties.client_name.trim().length > 200) {
    throw new errors.InvalidClientMetadata('client_name must be at most 200 characters');
  }
}

/** Issues an initial access token for the tenant; the value is returned once (only this response shows it). */
export async function createInitialAccessToken(
  app: AppContext,
  provider: Provider,
  tenantId: string,
  expiresIn: number,
  meta: AuditMeta,
): Promise<{ token: string; expiresAt: Date }> {
  await getTenant(app, tenantId);
  const iat = new provider.InitialAccessToken({
    jti: `${tenantId}.${randomBytes(32).toString('base64url')}`,
    expiresIn,
    policies: [TENANT_POLICY],
  });
  const expiresAt = new Date(Date.now() + expiresIn * 1000);
  const token = await iat.save();
  await recordAudit(app.db, { tenantId, type: 'initial_access_token.created', data: { expiresAt: expiresAt.toISOString() } }, meta);
  return { token, expiresAt };
}
