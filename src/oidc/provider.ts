// oidc-provider configuration: endpoints at the paths of docs/api.md, JWT access tokens (RFC 9068), rotating
// refresh tokens, tenant-scoped accounts and clients, and our own login pages as interactions.
import Provider, {
  errors,
  interactionPolicy,
  type AsymmetricSigningAlgorithm,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { OIDC_SCOPES } from '../services/clients.ts';
import { mfaRequirement } from '../services/mfa.ts';
import { PERMISSIONS } from '../services/permissions.ts';
import { cookieKeys } from '../services/secrets.ts';
import { findAccount } from './account.ts';
import { createAdapterFactory } from './adapters/index.ts';
import { ClientAdapter, installClientSecretHashing } from './client-adapter.ts';
import { installRefreshIdTokenPolicy } from './refresh-id-token.ts';
import { extraTokenClaims } from './token-claims.ts';
import { renderOidcError } from './render-error.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import { registrationFeature } from './registration.ts';
import { routeKey } from './route-path.ts';
import { registeredResourceServer, resourcesAllowRefresh, resourceTokenTtl } from './resource-servers.ts';
import { ACR_VALUES, stepUpCheck } from './step-up.ts';
import { clientProtocolFeatures, SIGNING_JWA } from './client-protocols.ts';
import { deviceFlowFeature } from './device-flow.ts';

export const OIDC_ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userinfo',
  jwks: '/.well-known/jwks.json',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  end_session: '/oauth2/logout',
  registration: '/oauth2/register',
  pushed_authorization_request: '/oauth2/par',
  device_authorization: '/oauth2/device/auth',
  code_verification: '/oauth2/device',
} as const;

/** Provider routes that no router of the app serves (userinfo, the authorization and logout pages have middleware of ours). */
const PROVIDER_ONLY_PATHS = new Set(
  [
    OIDC_ROUTES.token,
    OIDC_ROUTES.introspection,
    OIDC_ROUTES.revocation,
    OIDC_ROUTES.pushed_authorization_request,
    OIDC_ROUTES.device_authorization,
    OIDC_ROUTES.jwks,
    '/.well-known/openid-configuration',
  ].map(routeKey),
);

/** Whether `path` (ctx.path) names one of those, matched as the provider's router matches (route-path.ts). */
export function isProviderOnlyPath(path: string): boolean {
  return PROVIDER_ONLY_PATHS.has(routeKey(path));
}

/** docs/security.md lifetimes, in seconds; access tokens live `config.accessTokenTtl` (ACCESS_TOKEN_TTL). */
export const TTL = {
  AuthorizationCode: 10 * 60,
  IdToken: 60 * 60,
  RefreshToken: 30 * 24 * 3600,
  Grant: 30 * 24 * 3600,
  Session: 14 * 24 * 3600,
  Interaction: 60 * 60,
  PushedAuthorizationRequest: 60,
} as const;

/**
 * Requestable scopes: the OpenID ones, and the permission strings, which only client_credentials tokens carry
 * (the resource server below drops them from user tokens; the admin guard reads a user's roles, never its scope).
 */
export const SCOPES = [...OIDC_SCOPES, ...PERMISSIONS] as const;

export interface ProviderOptions {
  jwks: { keys: Record<string, unknown>[] };
  /** The algorithm that signs access tokens (ES256 by default: a fraction of RS256's CPU cost). */
  accessTokenAlg: AsymmetricSigningAlgorithm;
}

/** The audience of access tokens when a client asks for no specific resource: Gatehouse's own API. */
export function defaultAudience(app: AppContext): string {
  return app.config.publicUrl;
}

/**
 * The resource server of Gatehouse's own API (docs/security.md: JWT access tokens, RFC 9068): the token endpoint's
 * `getResourceServerInfo` and the JSON API's in-process sign-in (token-issuer.ts) describe it through this one place.
 */
export function ownResourceServer(app: AppContext, scopes: readonly string[]) {
  return {
    scope: scopes.join(' '),
    audience: defaultAudience(app),
    accessTokenTTL: app.config.accessTokenTtl,
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: app.config.accessTokenAlg } },
  };
}

export function createProvider(app: AppContext, options: ProviderOptions): Provider {
  const { Check, Prompt, base } = interactionPolicy;
  const policy = base();
  // A browser session whose account can no longer sign in through this client (other tenant, disabled,
  // tenant suspended) must log in again instead of crashing the consent check (notes on oidc-provider 9).
  policy.get('login')?.checks.add(
    new Check('account_unavailable', 'the signed-in account cannot use this client', async (ctx: KoaContextWithOIDC) => {
      const { session, client } = ctx.oidc;
      if (!session?.accountId || !client) return Check.NO_NEED_TO_PROMPT;
      const account = await findAccount(app, ctx, session.accountId);
      return account ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  // The second factor, after the password and before consent (docs/api.md): a session without `otp` in its amr
  // is asked for a code when the user has MFA, or to enrol when the tenant requires it.
  policy.add(
    new Prompt(
      { name: 'mfa', requestable: false },
      new Check('mfa_required', 'a second factor is required', async (ctx: KoaContextWithOIDC) => {
        const { session, client } = ctx.oidc;
        const tenantId = client?.['tenant_id'];
        if (!session?.accountId || typeof tenantId !== 'string' || (session.amr ?? []).includes('otp')) return Check.NO_NEED_TO_PROMPT;
        const tenant = await app.cache.tenant(tenantId);
        if (!tenant) return Check.NO_NEED_TO_PROMPT;
        return (await mfaRequirement(app, tenant, session.accountId)) === 'none' ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
      }),
      stepUpCheck(app),
    ),
    1,
  );

  const configuration: Configuration = {
    adapter: createAdapterFactory(app, { client: ClientAdapter.bind(null, app) }) as Configuration['adapter'],
    jwks: options.jwks as Configuration['jwks'],
    cookies: {
      keys: cookieKeys(app.config.secretKey),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (ctx, sub) => findAccount(app, ctx, sub),
    scopes: [...SCOPES],
    claims: {
      // Standalone claims appear only when a client asks for them; how the person signed in (acr, amr per
      // RFC 8176, auth_time) is part of every ID token here, so they belong to the openid scope.
      sid: null,
      iss: null,
      openid: ['sub', 'tenant_id', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'updated_at'],
    },
    conformIdTokenClaims: false,
    routes: OIDC_ROUTES,
    // The code flow only (RFC 9700 §2.1.2): no implicit or hybrid response types are advertised or accepted.
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    acrValues: ACR_VALUES,
    enabledJWA: SIGNING_JWA,
    extraClientMetadata: {
      properties: ['tenant_id', 'first_party'],
      validator(_ctx, key, value) {
        if (key === 'tenant_id' && value !== undefined && typeof value !== 'string') throw new TypeError('tenant_id must be a string');
        if (key === 'first_party' && value !== undefined && typeof value !== 'boolean')
          throw new TypeError('first_party must be a boolean');
      },
    },
    pkce: {
      // RFC 9700 §2.1.1: PKCE is required for public clients; oidc-provider 9 accepts S256 only.
      required: (_ctx, client) => client.clientAuthMethod === 'none',
    },
    // An API resource sets its own access token lifetime (resource-servers.ts); Gatehouse's own API uses ACCESS_TOKEN_TTL.
    ttl: {
      ...TTL,
      AccessToken: resourceTokenTtl(app),
      ClientCredentials: resourceTokenTtl(app),
      DeviceCode: app.config.deviceFlow.codeTtlSeconds,
    },
    rotateRefreshToken: true,
    // Tokens live by our sessions and grants (docs/security.md), not by the browser cookie session.
    expiresWithSession: async () => false,
    // Every client allowed the refresh_token grant gets rotating refresh tokens (docs/security.md). oidc-provider drops
    // offline_access unless prompt=consent (OIDC Core §11), so it cannot be the condition here.
    issueRefreshToken: async (ctx, client, source) =>
      client.grantTypeAllowed('refresh_token') &&
      // API resources may refuse refresh tokens (resource-servers.ts).
      resourcesAllowRefresh(app, ctx, source as { resource?: string | string[] }, defaultAudience(app)),
    extraTokenClaims: (ctx, token) => extraTokenClaims(app, ctx, token),
    loadExistingGrant: async (ctx) => {
      const consented = ctx.oidc.result?.consent?.grantId;
      if (consented) return ctx.oidc.provider.Grant.find(consented);
      // A fresh sign-in starts a fresh session, so it gets a fresh grant (see interactions/consent).
      if (ctx.oidc.result?.login) return undefined;
      const grantId = ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // RFC 7662 §2.1, §4: only an authenticated (confidential) client learns about a token, and only about its
        // own; a client of another tenant never matches. Public clients are refused earlier (koa-jwt-introspection).
        allowedPolicy: async (
          _ctx: KoaContextWithOIDC,
          client: { clientId: string; clientAuthMethod: string },
          token: { clientId?: string },
        ) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client revokes only tokens issued to it; a confidential client is told, a public one
        // (which proves nothing about itself) gets the same 200 as for an unknown token. JWTs: koa-jwt-introspection.
        allowedPolicy: async (
          _ctx: KoaContextWithOIDC,
          client: { clientId: string; clientAuthMethod: string },
          token: { clientId?: string },
        ) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      pushedAuthorizationRequests: { enabled: true },
      registration: registrationFeature(app),
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // Client metadata and discovery only: the tokens go out from our queue (oidc/backchannel-logout.ts).
      backchannelLogout: { enabled: true },
      deviceFlow: deviceFlowFeature(app),
      resourceIndicators: {
        enabled: true,
        // Several resources granted and none named at the token endpoint: the library asks the client to name one.
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? defaultAudience(app),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resourceIndicator, client) => {
          // Any other identifier is an API resource registered by the client's tenant or the platform.
          if (resourceIndicator !== defaultAudience(app)) return registeredResourceServer(app, ctx, resourceIndicator, client);
          const clientCredentials = ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials';
          return { ...ownResourceServer(app, clientCredentials ? SCOPES : OIDC_SCOPES), jwt: { sign: { alg: options.accessTokenAlg } } };
        },
      },
      ...clientProtocolFeatures(),
      // @types/oidc-provider types introspection as disabled-only; the runtime option is what matters.
    } as Configuration['features'],
    renderError: renderOidcError,
    // Browser apps call the token endpoint (and anyone's userinfo) from their own origin: CORS answers only the origins
    // of the client's registered redirect URIs, and only for public clients and userinfo — a confidential client's
    // secret has no business in a browser.
    clientBasedCORS: (ctx, origin, client) =>
      origin !== 'null' &&
      (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none') &&
      (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
  };

  const provider = new Provider(app.config.publicUrl, configuration);
  provider.proxy = app.config.trustProxy;
  installClientSecretHashing(provider, app.config.secretKey);
  installRefreshIdTokenPolicy(provider);
  return provider;
}
