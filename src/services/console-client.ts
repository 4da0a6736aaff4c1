// Each tenant's built-in admin console client (docs/console.md): first-party, public, PKCE, signs in at
// PUBLIC_URL/admin/callback through the tenant's own login pages. Reusable by other first-party browser apps.
import type { ServiceDeps } from '../context.ts';
import { insertClientIfAbsent } from '../db/queries/clients.ts';

/** A first-party browser app served by Gatehouse itself: one public client per tenant, created on first use. */
export interface FirstPartyBrowserApp {
  /** The client id's suffix: `{tenant}_{suffix}`. */
  suffix: string;
  name: string;
  /** Where the app lives under PUBLIC_URL, without a trailing slash (`/admin`). */
  basePath: string;
}

export const CONSOLE_APP: FirstPartyBrowserApp = { suffix: 'console', name: 'Gatehouse admin console', basePath: '/admin' };

/** The account center, where every user of a tenant manages their own sign-in (docs/api.md, "Account center"). */
export const ACCOUNT_APP: FirstPartyBrowserApp = { suffix: 'account', name: 'Account center', basePath: '/account' };

/** Scopes of a browser app's sign-in: refresh tokens come with the refresh_token grant type. */
export const BROWSER_APP_SCOPE = 'openid profile email offline_access';

export const browserAppClientId = (app: FirstPartyBrowserApp, tenantId: string) => `${tenantId}_${app.suffix}`;
export const consoleClientId = (tenantId: string) => browserAppClientId(CONSOLE_APP, tenantId);

/** True for the clients Gatehouse creates for its own browser apps (the admin API leaves them alone). */
export const isConsoleClientId = (tenantId: string, clientId: string) =>
  clientId === consoleClientId(tenantId) || clientId === browserAppClientId(ACCOUNT_APP, tenantId);

export function browserAppUrls(publicUrl: string, app: FirstPartyBrowserApp) {
  return { redirectUri: `${publicUrl}${app.basePath}/callback`, postLogoutRedirectUri: `${publicUrl}${app.basePath}/` };
}

const ensured = new Set<string>();

/** Creates the tenant's client for a browser app on first use; returns its id. */
export async function ensureBrowserAppClient(deps: ServiceDeps, app: FirstPartyBrowserApp, tenantId: string): Promise<string> {
  const clientId = browserAppClientId(app, tenantId);
  const cacheKey = `${deps.config.databaseUrl ?? deps.config.dataDir}|${clientId}`;
  if (ensured.has(cacheKey)) return clientId;
  const { redirectUri, postLogoutRedirectUri } = browserAppUrls(deps.config.publicUrl, app);
  await insertClientIfAbsent(deps.db, {
    clientId,
    tenantId,
    name: app.name,
    secretHash: null,
    firstParty: true,
    metadata: {
      client_name: app.name,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutRedirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: BROWSER_APP_SCOPE,
      token_endpoint_auth_method: 'none',
    },
  });
  ensured.add(cacheKey);
  return clientId;
}
