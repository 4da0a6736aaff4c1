// The routes behind the login pages (docs/api.md): sign-in form, consent (skipped for first-party clients),
// cancel. Each form carries a CSRF token bound to its interaction.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { DEPENDENCY_RETRY_AFTER_SECONDS, dependencyFailure } from '../../errors/dependency-errors.ts';
import { findTenantById } from '../../db/queries/tenants.ts';
import { koaBody } from '../../http/koa-body.ts';
import { authenticatePassword } from '../../services/authentication.ts';
import { activateEnrolment, beginEnrolment, mfaRequirement, verifySecondFactor } from '../../services/mfa.ts';
import { attachGrant, findSessionOfBrowser, startSession } from '../../services/sessions.ts';
import { PAGE_SECURITY_HEADERS, renderView } from '../../views.ts';
import { auditMetaOf, type RequestOrigin } from '../../http/audit-meta.ts';
import { revokeGrants } from '../grants.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const CSRF_TTL_SECONDS = 3600;

/** What a person reads on the login page for each refusal (docs/api.md: errors in plain words). */
const LOGIN_ERRORS: Partial<Record<string, string>> = {
  INVALID_CREDENTIALS: 'The email, username or password is not right. Check them and try again.',
  SESSION_LIMIT_EXCEEDED: 'You are signed in on too many devices. Sign out on one of them, then try again.',
  INVALID_MFA_CODE: 'That code is not right or was already used. Enter the current code from your app, or a backup code.',
};
const LOGIN_SESSION_TTL_SECONDS = 3600;

/** Where the sign-in of one authorization chain (its `cid`) parks its session id until the grant exists. */
const loginSessionKey = (cid: string) => `interaction:login-session:${cid}`;
const csrfKey = (uid: string) => `interaction:csrf:${uid}`;
const mfaAttemptsKey = (uid: string) => `interaction:mfa-attempts:${uid}`;
const mfaEnrolledKey = (uid: string) => `interaction:mfa-enrolled:${uid}`;
const MFA_MAX_ATTEMPTS = 5;

/** `acr` values in ID tokens: what the sign-in proved. */
const ACR = { pwd: 'urn:gatehouse:loa:pwd', mfa: 'urn:gatehouse:loa:mfa' } as const;

export function interactionRouter(app: AppContext, provider: () => Provider): Router {
  const router = new Router({ prefix: '/interaction' });
  router.use(koaBody(app.config.bodyLimitBytes));
  router.use(async (ctx, next) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set(PAGE_SECURITY_HEADERS);
    try {
      await next();
    } catch (err) {
      await renderInteractionError(ctx, err);
    }
  });

  router.get('/:uid', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    const view = await viewModel(app, provider(), details);
    if (details.prompt.name === 'login') {
      ctx.body = await renderView('login', {
        ...view,
        csrf: await issueCsrf(app, details.uid),
        error: null,
        login: details.params.login_hint ?? '',
      });
    } else if (details.prompt.name === 'mfa') {
      ctx.body = await renderMfaPage(app, details, view, await issueCsrf(app, details.uid), null, auditMetaOf(ctx));
    } else if (details.prompt.name === 'consent') {
      if (view.firstParty) return finishConsent(app, provider(), ctx, details);
      ctx.body = await renderView('consent', { ...view, csrf: await issueCsrf(app, details.uid), scopes: requestedScopes(details) });
    } else {
      throw new AppError('NOT_FOUND', { detail: `unsupported prompt ${details.prompt.name}` });
    }
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    if (details.prompt.name !== 'login') throw new AppError('NOT_FOUND', { detail: 'interaction is not at the login step' });
    const view = await viewModel(app, provider(), details);
    const { usernameOrEmail, password } = formFields(ctx, ['usernameOrEmail', 'password']);
    const meta = auditMetaOf(ctx);
    try {
      const { tenant, user } = await authenticatePassword(app, view.tenantId, usernameOrEmail, password, {
        ...meta,
        clientId: view.clientId,
      });
      await app.store.del(csrfKey(details.uid));
      if ((await mfaRequirement(app, tenant, user.id)) !== 'none') {
        // The session starts only once the second factor is done (the `mfa` prompt follows).
        const redirectTo = await provider().interactionResult(ctx.req, ctx.res, {
          login: { accountId: user.id, amr: ['pwd'], acr: ACR.pwd, remember: true },
        });
        return seeOther(ctx, redirectTo);
      }
      await startBrowserSession(app, provider(), ctx, details, view, user.id, ['pwd']);
      const redirectTo = await provider().interactionResult(
        ctx.req,
        ctx.res,
        { login: { accountId: user.id, amr: ['pwd'], acr: ACR.pwd, remember: true } },
        { mergeWithLastSubmission: false },
      );
      seeOther(ctx, redirectTo);
    } catch (err) {
      const code = err instanceof AppError ? err.errors[0]?.code : undefined;
      const message = code && LOGIN_ERRORS[code];
      if (!message || !(err instanceof AppError)) throw err;
      ctx.status = err.status;
      ctx.body = await renderView('login', { ...view, csrf: await issueCsrf(app, details.uid), error: message, login: usernameOrEmail });
    }
  });

  router.post('/:uid/mfa', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    if (details.prompt.name !== 'mfa' || !details.session)
      throw new AppError('NOT_FOUND', { detail: 'interaction is not at the MFA step' });
    const view = await viewModel(app, provider(), details);
    const userId = details.session.accountId;
    const { code } = formFields(ctx, ['code']);
    const meta = auditMetaOf(ctx);
    const tenant = await findTenantById(app.db, view.tenantId);
    const requirement = tenant ? await mfaRequirement(app, tenant, userId) : 'none';
    try {
      if (requirement === 'enrol') {
        const backupCodes = await activateEnrolment(app, view.tenantId, userId, code, meta);
        await app.store.set(mfaEnrolledKey(details.uid), '1', CSRF_TTL_SECONDS);
        ctx.body = await renderView('backup-codes', { ...view, csrf: await issueCsrf(app, details.uid), backupCodes });
        return;
      }
      await verifySecondFactor(app, view.tenantId, userId, code, meta);
    } catch (err) {
      if (!(err instanceof AppError) || err.errors[0]?.code !== 'INVALID_MFA_CODE') throw err;
      if ((await app.store.incr(mfaAttemptsKey(details.uid), CSRF_TTL_SECONDS)) >= MFA_MAX_ATTEMPTS) {
        const redirectTo = await provider().interactionResult(ctx.req, ctx.res, {
          error: 'access_denied',
          error_description: 'too many wrong codes',
        });
        return seeOther(ctx, redirectTo);
      }
      ctx.status = 401;
      ctx.body = await renderMfaPage(app, details, view, await issueCsrf(app, details.uid), LOGIN_ERRORS.INVALID_MFA_CODE as string, meta);
      return;
    }
    await finishSecondFactor(app, provider(), ctx, details, view, userId);
  });

  /** After enrolment the backup codes were shown once; this continues the sign-in. */
  router.post('/:uid/mfa/continue', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    if (details.prompt.name !== 'mfa' || !details.session || (await app.store.take(mfaEnrolledKey(details.uid))) === null) {
      throw new AppError('NOT_FOUND', { detail: 'no completed enrolment to continue' });
    }
    await finishSecondFactor(app, provider(), ctx, details, await viewModel(app, provider(), details), details.session.accountId);
  });

  router.post('/:uid/consent', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    if (details.prompt.name !== 'consent') throw new AppError('NOT_FOUND', { detail: 'interaction is not at the consent step' });
    await finishConsent(app, provider(), ctx, details);
  });

  router.post('/:uid/abort', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    const redirectTo = await provider().interactionResult(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    seeOther(ctx, redirectTo);
  });

  return router;
}

async function viewModel(app: AppContext, provider: Provider, details: Details) {
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  if (!client) throw new AppError('NOT_FOUND', { detail: `client ${clientId}` });
  const tenantId = String(client['tenant_id']);
  const tenant = await findTenantById(app.db, tenantId);
  if (!tenant) throw new AppError('NOT_FOUND', { detail: `tenant ${tenantId}` });
  const branding = tenant.branding as { displayName?: string; accent?: string };
  return {
    uid: details.uid,
    clientId,
    clientName: client.clientName ?? clientId,
    firstParty: client['first_party'] === true,
    tenantId,
    tenantName: branding.displayName ?? tenant.name,
    accent: typeof branding.accent === 'string' && /^#[0-9a-f]{3,8}$/i.test(branding.accent) ? branding.accent : null,
  };
}

/**
 * Grants what the client asked for and links the grant to the Gatehouse session of this sign-in — the one
 * this authorization chain just started, or for single sign-on the browser's live session.
 */
async function finishConsent(app: AppContext, provider: Provider, ctx: Context, details: Details): Promise<void> {
  const { prompt, params, session } = details;
  if (!session) throw new AppError('SESSION_NOT_FOUND', { detail: 'consent without a browser session' });
  const clientId = String(params.client_id);
  const client = await provider.Client.find(clientId);
  const tenantId = String(client?.['tenant_id']);
  const parked = await app.store.get(loginSessionKey(chainId(details)));
  const sessionId = parked ?? (await findSessionOfBrowser(app, tenantId, session.uid))?.id;
  if (!sessionId) {
    // The browser still has a cookie, but its Gatehouse session has ended: sign in again.
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { error: 'login_required', error_description: 'session ended' });
    return seeOther(ctx, redirectTo);
  }

  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId });
  if (!grant) throw new AppError('SESSION_NOT_FOUND', { detail: 'grant vanished during consent' });
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await attachGrant(app, { id: sessionId, tenantId }, grantId, clientId, session.uid);
  await app.store.del(csrfKey(details.uid));
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  seeOther(ctx, redirectTo);
}

type ViewModel = Awaited<ReturnType<typeof viewModel>>;

/** A Gatehouse session for this sign-in, within the tenant's limit, parked until the grant exists. */
async function startBrowserSession(
  app: AppContext,
  provider: Provider,
  ctx: Context,
  details: Details,
  view: ViewModel,
  userId: string,
  amr: string[],
) {
  const { session, evictedGrantIds } = await startSession(
    app,
    { tenantId: view.tenantId, userId, clientId: view.clientId, amr, ip: ctx.ip, userAgent: ctx.get('user-agent') || null },
    auditMetaOf(ctx),
  );
  await revokeGrants(app, provider, evictedGrantIds);
  await app.store.set(loginSessionKey(chainId(details)), session.id, LOGIN_SESSION_TTL_SECONDS);
}

/** The second factor is done: start the session and upgrade the browser's login to `pwd otp`. */
async function finishSecondFactor(app: AppContext, provider: Provider, ctx: Context, details: Details, view: ViewModel, userId: string) {
  try {
    await startBrowserSession(app, provider, ctx, details, view, userId, ['pwd', 'otp']);
  } catch (err) {
    if (!(err instanceof AppError) || err.errors[0]?.code !== 'SESSION_LIMIT_EXCEEDED') throw err;
    ctx.status = err.status;
    ctx.body = await renderView('error', {
      title: 'Sign-in could not continue',
      message: LOGIN_ERRORS.SESSION_LIMIT_EXCEEDED,
      detail: 409,
      requestId: ctx.state.requestId,
    });
    return;
  }
  await app.store.del(csrfKey(details.uid), mfaAttemptsKey(details.uid));
  const redirectTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId: userId, amr: ['pwd', 'otp'], acr: ACR.mfa, remember: true } },
    { mergeWithLastSubmission: false },
  );
  seeOther(ctx, redirectTo);
}

/** The code page, or — when the tenant requires MFA and the user has none — enrolment with the QR code. */
async function renderMfaPage(app: AppContext, details: Details, view: ViewModel, csrf: string, error: string | null, meta: RequestOrigin) {
  const userId = details.session?.accountId as string;
  const tenant = await findTenantById(app.db, view.tenantId);
  if (tenant && (await mfaRequirement(app, tenant, userId)) === 'enrol') {
    const enrolment = await beginEnrolment(app, view.tenantId, userId, meta);
    return renderView('mfa-enrol', { ...view, csrf, error, ...enrolment });
  }
  return renderView('mfa', { ...view, csrf, error });
}

function requestedScopes(details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const scopes = new Set([...(missing.missingOIDCScope ?? []), ...Object.values(missing.missingResourceScopes ?? {}).flat()]);
  const words: Record<string, string> = {
    openid: 'Know who you are',
    profile: 'See your username',
    email: 'See your email address and whether it is verified',
    offline_access: 'Stay signed in when you are not using it',
  };
  return [...scopes].map((s) => words[s] ?? s);
}

/** The interaction chain id survives from the login interaction to the consent interaction. */
function chainId(details: Details): string {
  return String((details as unknown as { cid?: string }).cid ?? details.uid);
}

async function issueCsrf(app: AppContext, uid: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await app.store.set(csrfKey(uid), token, CSRF_TTL_SECONDS);
  return token;
}

async function assertCsrf(app: AppContext, uid: string, ctx: Context): Promise<void> {
  const sent = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
  const expected = await app.store.get(csrfKey(uid));
  const ok =
    typeof sent === 'string' &&
    expected !== null &&
    sent.length === expected.length &&
    timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
  if (!ok) throw new AppError('INVALID_TOKEN', { status: 403, detail: 'CSRF token missing or wrong' });
}

function formFields<K extends string>(ctx: Context, names: K[]): Record<K, string> {
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(names.map((n) => [n, typeof body[n] === 'string' ? body[n] : ''])) as Record<K, string>;
}

function seeOther(ctx: Context, location: string): void {
  ctx.redirect(location);
  ctx.status = 303;
}

/** Errors on the login pages are shown to the person in plain words, never as JSON. */
async function renderInteractionError(ctx: Context, err: unknown): Promise<void> {
  const name = (err as { name?: string }).name;
  const appError = err instanceof AppError ? err : undefined;
  let status = appError?.status ?? 500;
  let message = 'Something went wrong while signing you in. Go back to the application and try again.';
  if (dependencyFailure(err) !== undefined) {
    // docs/operations.md, "Deadlines and faults": a dependency away is a wait, not a failure of the sign-in.
    status = 503;
    message = 'Sign-in is unavailable for a moment. Try again shortly.';
    ctx.set('Retry-After', String(DEPENDENCY_RETRY_AFTER_SECONDS));
  } else if (name === 'SessionNotFound' || name === 'InvalidRequest') {
    status = 400;
    message = 'This sign-in page has expired or was already used. Go back to the application and start again.';
  } else if (appError?.status === 403) {
    message = 'This form has expired. Go back, reload the page and try again.';
  } else if (appError?.status === 404) {
    message = 'This sign-in step is not available any more. Go back to the application and start again.';
  } else if (!appError) {
    ctx.state.log?.error({ err }, 'interaction failed');
  }
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = await renderView('error', { title: 'Sign-in could not continue', message, detail: status, requestId: ctx.state.requestId });
}
