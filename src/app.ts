// Composes the Koa app: middleware order and mounts, nothing else.
import Koa from 'koa';
import type { AppContext } from './context.ts';
import { apiRouteGroups, apiRouters } from './api/index.ts';
import { demoRouter } from './api/demo.ts';
import { errorDocsRouter } from './docs/errors-page.ts';
import { healthRouter } from './api/health.ts';
import { koaAbuseProtection } from './http/koa-abuse.ts';
import { koaAccessLog } from './http/koa-access-log.ts';
import { koaBody } from './http/koa-body.ts';
import { koaErrorEnvelope } from './http/koa-error-envelope.ts';
import { koaMetrics, metricsRouter } from './http/koa-metrics.ts';
import { koaRequestId } from './http/koa-request-id.ts';
import { koaSecurityHeaders } from './http/koa-security-headers.ts';
import { accountRouter, consoleRouter } from './console/routes.ts';
import type { OidcRuntime } from './oidc/index.ts';
import { interactionRouter } from './oidc/interactions/routes.ts';
import { isProviderOnlyPath } from './oidc/provider.ts';
import { renderErrorPage } from './oidc/render-error.ts';
import { userinfoRouter } from './oidc/userinfo.ts';
import { selfServiceRouter } from './pages/self-service.ts';
import { composeAccountLockedMail, composePasswordResetMail } from './services/account-recovery.ts';
import { createMailer, smtpTransport } from './services/mail.ts';
import { cookieKeys } from './services/secrets.ts';

export function createApp(ctx: AppContext, oidc: OidcRuntime): Koa {
  // oidc-provider's cookies.keys must equal the parent app's keys (notes on oidc-provider 9).
  // Behind a proxy, only the address the nearest proxy appended to X-Forwarded-For is believed (maxIpsCount 1):
  // whatever a client writes into the header itself does not change its IP.
  const app = new Koa({ proxy: ctx.config.trustProxy, maxIpsCount: 1, keys: cookieKeys(ctx.config.secretKey) });
  app.on('error', (err: Error) => ctx.logger.error({ err }, 'unhandled koa error'));

  app.use(koaRequestId(ctx.logger));
  app.use(koaAccessLog(ctx.logger));
  app.use(koaSecurityHeaders());
  app.use(koaErrorEnvelope(ctx.config.publicUrl, { isPage: (c) => c.path.startsWith('/interaction/'), render: renderErrorPage }));
  app.use(koaMetrics(ctx));

  // JSON bodies are parsed for the JSON API only: oidc-provider reads its raw bodies itself, and the login pages
  // parse their forms inside their own error handling (their errors are pages, not envelopes).
  const parseBody = koaBody(ctx.config.bodyLimitBytes, 'json');
  app.use((koaCtx, next) => (koaCtx.path.startsWith('/api/') ? parseBody(koaCtx, next) : next()));
  app.use(koaAbuseProtection(ctx));
  // The provider's machine-to-machine endpoints and its metadata are served by none of the routers below: they go
  // to the provider at once instead of through every router's matching.
  app.use((koaCtx, next) => (isProviderOnlyPath(koaCtx.path) ? oidc.middleware(koaCtx, next) : next()));

  app.use(healthRouter(ctx).routes());
  app.use(metricsRouter(ctx).routes());
  const mailer = createMailer(ctx, {
    transport: ctx.mailTransport ?? smtpTransport(ctx.config),
    composers: { password_reset: composePasswordResetMail(ctx), account_locked: composeAccountLockedMail(ctx) },
  });
  const apiGroups = apiRouteGroups(ctx, oidc, mailer);
  // A known path with another method answers 405 with Allow (koa-error-envelope renders it).
  for (const router of apiRouters(ctx, oidc, apiGroups)) app.use(router.routes()).use(router.allowedMethods());
  app.use(interactionRouter(ctx, oidc.provider, koaBody(ctx.config.bodyLimitBytes, 'form')).routes());
  app.use(selfServiceRouter(ctx, oidc.provider, mailer, koaBody(ctx.config.bodyLimitBytes, 'form')).routes());
  app.use(userinfoRouter(ctx, oidc.verifier, koaBody(ctx.config.bodyLimitBytes, 'form')).routes());
  app.use(errorDocsRouter(ctx).routes());
  app.use(consoleRouter(ctx).routes());
  app.use(accountRouter(ctx).routes());
  if (ctx.config.seedDemo) app.use(demoRouter(ctx).routes());

  // RFC 8414 metadata is served from the same document as OIDC discovery.
  app.use((koaCtx, next) => {
    if (koaCtx.path === '/.well-known/oauth-authorization-server') koaCtx.path = '/.well-known/openid-configuration';
    return next();
  });
  app.use(oidc.middleware);
  return app;
}
