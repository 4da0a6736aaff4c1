// The admin console at /admin (docs/console.md): one static shell, its same-origin ES modules and stylesheet, and
// the sign-in configuration of a tenant's console client. Every response carries the console's own strict CSP.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { OIDC_ROUTES } from '../oidc/provider.ts';
import {
  ACCOUNT_APP,
  BROWSER_APP_SCOPE,
  browserAppUrls,
  CONSOLE_APP,
  ensureBrowserAppClient,
  type FirstPartyBrowserApp,
} from '../services/console-client.ts';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '../services/passwords.ts';
import { tenantIdSchema } from '../services/tenants.ts';
import type { Tenant } from '../db/queries/tenants.ts';

export const PUBLIC_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'public');

/**
 * No inline script or style anywhere: scripts, styles and fetches go to this origin only, nothing may frame the
 * console, and a page URL (the callback carries the authorization code) is never sent as a Referer.
 */
export const BROWSER_APP_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/**
 * The files of a browser app's folders (its own, then the shared `public/common`), read once: the router serves
 * only these names, so no request path ever reaches the disk.
 */
export function loadAssets(folders: string[]): Map<string, { type: string; body: Buffer }> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const folder of folders) {
    for (const name of readdirSync(folder)) {
      const type = TYPES[extname(name)];
      if (type && !assets.has(name)) assets.set(name, { type, body: readFileSync(join(folder, name)) });
    }
  }
  return assets;
}

const securityHeaders: Middleware = async (ctx, next) => {
  ctx.set(BROWSER_APP_HEADERS);
  await next();
};

/**
 * Routes of a first-party browser app at `app.basePath`: the shell (`index.html`) on the base path and its
 * callback, `/assets/:name`, and `/config?tenant=` that creates the tenant's client on first use.
 */
export function browserAppRouter(
  ctx: AppContext,
  app: FirstPartyBrowserApp,
  folder: string,
  extraConfig: (tenant: Tenant) => Record<string, unknown> = () => ({}),
): Router {
  const assets = loadAssets([folder, join(PUBLIC_DIR, 'common')]);
  const shell = assets.get('index.html');
  if (!shell) throw new Error(`${folder}/index.html is missing`);
  const router = new Router();
  const base = app.basePath;
  router.use(securityHeaders);
  const publicHost = new URL(ctx.config.publicUrl).host;
  const suffix = ctx.config.tenantDomain ? `.${ctx.config.tenantDomain.toLowerCase()}` : undefined;

  const serveShell: Middleware = async (koaCtx) => {
    // Tokens are issued to one origin (PUBLIC_URL): a tenant's subdomain sends the browser there with its tenant.
    const host = koaCtx.host.toLowerCase();
    if (suffix && host !== publicHost && koaCtx.hostname.toLowerCase().endsWith(suffix) && koaCtx.path !== `${app.basePath}/callback`) {
      const tenant = koaCtx.hostname.toLowerCase().slice(0, -suffix.length);
      koaCtx.redirect(`${ctx.config.publicUrl}${app.basePath}/?tenant=${encodeURIComponent(tenant)}`);
      return;
    }
    koaCtx.set('Cache-Control', 'no-store');
    koaCtx.type = shell.type;
    koaCtx.body = shell.body;
  };
  // One URL per page state would need server routes for each; the app routes by the URL's #fragment instead.
  router.get(`${base}`, serveShell);
  router.get(`${base}/callback`, serveShell);

  router.get(`${base}/assets/:name`, (koaCtx) => {
    const asset = koaCtx.params.name && koaCtx.params.name !== 'index.html' ? assets.get(koaCtx.params.name) : undefined;
    if (!asset) throw new AppError('NOT_FOUND');
    // Revalidated on every load: a new release reaches every browser at once, and the files are small.
    koaCtx.set('Cache-Control', 'no-cache');
    koaCtx.type = asset.type;
    koaCtx.body = asset.body;
  });

  router.get(`${base}/config`, async (koaCtx) => {
    const parsed = tenantIdSchema.safeParse(
      String(koaCtx.query.tenant ?? '')
        .trim()
        .toLowerCase(),
    );
    if (!parsed.success) throw new AppError('INVALID_FORMAT', { field: 'tenant', constraint: 'TENANT_ID' });
    const tenant = await ctx.cache.tenant(parsed.data);
    // A suspended tenant looks like an unknown one: its console could not sign anyone in.
    if (!tenant || tenant.status !== 'active') throw new AppError('NOT_FOUND', { field: 'tenant', detail: `tenant ${parsed.data}` });
    const clientId = await ensureBrowserAppClient(ctx, app, tenant.id);
    const { redirectUri, postLogoutRedirectUri } = browserAppUrls(ctx.config.publicUrl, app);
    koaCtx.set('Cache-Control', 'no-store');
    koaCtx.body = {
      tenantId: tenant.id,
      tenantName: tenant.name,
      clientId,
      issuer: ctx.config.publicUrl,
      authorizationEndpoint: `${ctx.config.publicUrl}${OIDC_ROUTES.authorization}`,
      tokenEndpoint: `${ctx.config.publicUrl}${OIDC_ROUTES.token}`,
      endSessionEndpoint: `${ctx.config.publicUrl}${OIDC_ROUTES.end_session}`,
      redirectUri,
      postLogoutRedirectUri,
      scope: BROWSER_APP_SCOPE,
      ...extraConfig(tenant),
    };
  });
  return router;
}

export function consoleRouter(ctx: AppContext): Router {
  return browserAppRouter(ctx, CONSOLE_APP, join(PUBLIC_DIR, 'console'));
}

/** The account center at /account: its config adds the tenant's MFA policy and password rules for the pages. */
export function accountRouter(ctx: AppContext): Router {
  return browserAppRouter(ctx, ACCOUNT_APP, join(PUBLIC_DIR, 'account'), (tenant) => ({
    mfaPolicy: tenant.mfaPolicy,
    passwordRules: { minLength: PASSWORD_MIN_LENGTH, maxBytes: PASSWORD_MAX_BYTES },
  }));
}
