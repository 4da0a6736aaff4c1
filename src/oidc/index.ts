// The OIDC runtime of one process: signing keys → provider, the guide's exact error bodies, JWT-aware
// userinfo and introspection, grant bookkeeping, and a provider rebuilt when `gatehouse keys rotate` runs.
import type { Middleware } from 'koa';
import mount from 'koa-mount';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { JSONWebKeySet } from 'jose';
import type { AppContext } from '../context.ts';
import { requestOriginOf as auditMetaOf } from '../services/request-origin.ts';
import { recordGrantRevoked, recordSessionActivity } from '../services/sessions.ts';
import { recordAudit } from '../services/audit.ts';
import { createAccessTokenVerifier, publicJwks, type AccessTokenVerifier } from '../services/access-tokens.ts';
import { ensureSigningKeys, loadSigningJwks, signingKeysVersion } from '../services/signing-keys.ts';
import { endSessionsOnLogout } from './koa-logout-sessions.ts';
import { findSessionOfGrant } from './grant-session.ts';
import { refreshAuditEvent } from './refresh-audit.ts';
import { beginTokenRequest, tokenRequestOf } from './token-request.ts';
import { answerDependencyFailures } from './render-error.ts';
import { createProvider, OIDC_ROUTES } from './provider.ts';
import { pinPublicOrigin } from './koa-public-origin.ts';
import { formPostPolicy } from './koa-form-post-csp.ts';
import { acceptAuthorizationPost } from './koa-authorization-post.ts';
import { offlineAccessAsksConsent } from './koa-offline-access.ts';
import { rewriteGuideErrors } from './koa-guide-errors.ts';
import { introspectJwtAccessTokens, revokeJwtAccessTokens } from './koa-jwt-introspection.ts';
import { issuedAudience } from './resource-servers.ts';
import { settleDeferredConsume, sweepExpiredPayloads } from './adapters/postgres-adapter.ts';
import { startBackchannelLogoutWorker, type BackchannelLogoutWorker } from '../services/backchannel-logout.ts';
import { devicePollingPace, prefillUserCode } from './device-flow.ts';
import { logoutTokenSigner, queueBackchannelLogoutsOnly, recordClientSids } from './backchannel-logout.ts';

export interface OidcRuntime {
  provider(): Provider;
  /** Mounts the current provider; swaps to a new one after key rotation without dropping requests. */
  middleware: Middleware;
  verifier: AccessTokenVerifier;
  publicKeys(): JSONWebKeySet;
  /** Rebuilds the provider when the stored keys changed (also runs every few seconds); true if it did. */
  checkKeys(): Promise<boolean>;
  /** Delivers the queued back-channel logout tokens (docs/security.md, "Back-channel logout"). */
  backchannelLogouts: BackchannelLogoutWorker;
  close(): void;
}

const PAYLOAD_SWEEP_MS = 15 * 60_000;

export async function createOidcRuntime(app: AppContext): Promise<OidcRuntime> {
  await ensureSigningKeys(app);
  let version = await signingKeysVersion(app);
  let current = await build(app);
  const backchannelLogouts = startBackchannelLogoutWorker(
    app,
    logoutTokenSigner(() => current.provider),
  );
  app.backchannelLogouts = backchannelLogouts;

  const runtime: OidcRuntime = {
    provider: () => current.provider,
    middleware: (ctx, next) => current.mounted(ctx, next),
    verifier: createAccessTokenVerifier(
      app,
      () => current.publicKeys,
      () => runtime.checkKeys(),
    ),
    publicKeys: () => current.publicKeys,
    checkKeys: async () => {
      const latest = await signingKeysVersion(app);
      if (latest === version) return false;
      current = await build(app);
      version = latest;
      app.logger.info('signing keys changed: provider reloaded');
      return true;
    },
    backchannelLogouts,
    close: () => {
      backchannelLogouts.close();
      clearInterval(poll);
      clearInterval(sweep);
    },
  };

  const poll = setInterval(() => {
    runtime.checkKeys().catch((err: unknown) => app.logger.warn({ err }, 'could not check signing keys'));
  }, app.config.keyPollIntervalMs);
  poll.unref();
  // Expired durable payloads are invisible to find(); this only reclaims their space.
  const sweep = setInterval(() => {
    sweepExpiredPayloads(app.db).catch((err: unknown) => app.logger.warn({ err }, 'could not delete expired oidc payloads'));
  }, PAYLOAD_SWEEP_MS);
  sweep.unref();

  async function build(ctx: AppContext) {
    const jwks = await loadSigningJwks(ctx);
    const provider = createProvider(ctx, { jwks: jwks as { keys: Record<string, unknown>[] }, accessTokenAlg: ctx.config.accessTokenAlg });
    const keys = publicJwks(jwks as { keys: Record<string, unknown>[] });
    answerDependencyFailures(provider); // first: it wraps every other provider.use
    provider.use(pinPublicOrigin(ctx.config));
    provider.use(acceptAuthorizationPost(OIDC_ROUTES.authorization, ctx.config.bodyLimitBytes));
    provider.use(offlineAccessAsksConsent(OIDC_ROUTES.authorization));
    provider.use(awaitGrantBookkeeping(ctx));
    provider.use(rewriteGuideErrors(ctx));
    provider.use(introspectJwtAccessTokens(() => runtime.verifier, issuedAudience(ctx)));
    provider.use(revokeJwtAccessTokens(ctx, () => runtime.verifier, issuedAudience(ctx)));
    provider.use(formPostPolicy());
    provider.use(endSessionsOnLogout(ctx, () => provider));
    provider.use(recordClientSids(ctx));
    provider.use(devicePollingPace(ctx));
    provider.use(prefillUserCode(OIDC_ROUTES.code_verification));
    queueBackchannelLogoutsOnly(provider);
    observe(ctx, provider);
    return { provider, mounted: mount(provider as never) as Middleware, publicKeys: keys };
  }

  return runtime;
}

/** Audit and log what the provider reports; keep our grant table in step with revocations. */
function observe(app: AppContext, provider: Provider): void {
  // Events are emitted synchronously; the write is parked on the request and awaited before the response
  // leaves (awaitGrantBookkeeping), so a client never sees a token as live after it was told it is revoked.
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const write = recordGrantRevoked(app, grantId).catch((err: unknown) =>
      app.logger.error({ err, grantId }, 'could not mark grant revoked'),
    );
    tokenRequestOf(ctx).writes.push(write);
  });
  // docs/security.md: refreshes are audited, with the session they keep alive. A rotation writes its audit event in its own
  // statement (PostgresAdapter.upsert); this records it only for a refresh that rotated nothing.
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = ctx.oidc.params?.grant_type;
    if (typeof grantType === 'string') app.metrics.tokensIssued.inc({ grant_type: grantType });
    if (grantType !== 'refresh_token') return;
    const write = afterRefresh(app, ctx).catch((err: unknown) => app.logger.error({ err }, 'could not record refresh'));
    tokenRequestOf(ctx).writes.push(write);
  });
  // docs/security.md: a reused code or refresh token revokes its grant (the library does that, and the Postgres adapter for
  // the loser of a race) and is audited.
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: Error & { error_detail?: string }) => {
    const detail = err.error_detail ?? '';
    if (!/already (used|consumed)/.test(detail)) return;
    const tenantId = ctx.oidc.client?.['tenant_id'];
    const write = recordAudit(
      app.db,
      {
        tenantId: typeof tenantId === 'string' ? tenantId : null,
        type: ctx.oidc.params?.grant_type === 'refresh_token' ? 'token.refresh_reuse' : 'token.code_reuse',
        outcome: 'failure',
        clientId: ctx.oidc.client?.clientId ?? null,
        data: { detail },
      },
      auditMetaOf(ctx),
    ).catch((error: unknown) => app.logger.error({ err: error }, 'could not audit token reuse'));
    tokenRequestOf(ctx).writes.push(write);
  });
  const logError =
    (event: string) => (ctx: KoaContextWithOIDC, err: Error & { error_detail?: string; error_description?: string; status?: number }) => {
      const line = {
        event,
        error: err.message,
        description: err.error_description,
        detail: err.error_detail,
        client: ctx.oidc?.client?.clientId,
        requestId: ctx.state?.requestId,
      };
      // The library refuses JWT access tokens at introspection and revocation; koa-jwt-introspection answers
      // them, so that refusal is no refusal of the request and must not be logged as one.
      if (err.message === 'unsupported_token_type' && (event === 'introspection.error' || event === 'revocation.error')) return;
      if (!err.status || err.status >= 500) app.logger.error({ ...line, err }, 'oidc server error');
      else app.logger.info(line, 'oidc request refused');
    };
  for (const event of [
    'grant.error',
    'introspection.error',
    'revocation.error',
    'userinfo.error',
    'authorization.error',
    'end_session.error',
    'registration_create.error',
    'pushed_authorization_request.error',
    'device_authorization.error',
    'code_verification.error',
    'server_error',
  ]) {
    (provider.on as (name: string, listener: (...args: never[]) => void) => void)(event, logError(event));
  }
}

/**
 * Starts the request's TokenRequest with what the adapter must write (the refresh's audit event), and finishes its
 * bookkeeping before the response leaves.
 */
const awaitGrantBookkeeping =
  (app: AppContext): Middleware =>
  async (koaCtx, next) => {
    const ctx = koaCtx as KoaContextWithOIDC;
    const request = beginTokenRequest(ctx, { refreshAudit: (grantId) => refreshAuditEvent(app.db, ctx, grantId) });
    try {
      await next();
    } finally {
      if (request.deferredConsume) await settleDeferredConsume(app.db, request);
    }
    if (request.writes.length > 0) await Promise.all(request.writes);
  };

async function afterRefresh(app: AppContext, ctx: KoaContextWithOIDC): Promise<void> {
  const grantId = ctx.oidc.entities.RefreshToken?.grantId;
  const session = grantId ? await findSessionOfGrant(app, ctx, grantId) : undefined;
  await Promise.all([
    // Last-seen moves at most once a minute (the query checks again, for other processes).
    session && Date.now() - session.lastSeenAt.getTime() > 60_000 && recordSessionActivity(app, session.tenantId, session.id),
    !tokenRequestOf(ctx).refreshAudited && recordAudit(app.db, await refreshAuditEvent(app.db, ctx, grantId)),
  ]);
}
