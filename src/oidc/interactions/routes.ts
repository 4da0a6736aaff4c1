// The routes behind the login pages (docs/api.md): sign-in form, second factor, consent (skipped for first-party
// clients), cancel. The sign-in itself is the slice the JSON API uses too (services/sign-in): these routes only turn
// its steps into forms and pages. Each form carries a CSRF token bound to its interaction.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { requestOriginOf } from '../../services/request-origin.ts';
import { attachGrant, endSession, findSessionOfBrowser, listSessions } from '../../services/sessions.ts';
import {
  completeSignIn,
  enrolDuringSignIn,
  findChallenge,
  MFA_TOKEN_TTL_SECONDS,
  passedSignInHolds,
  passedSignInStamp,
  passSecondFactor,
  signInWithPassword,
  type SignInDeps,
} from '../../services/sign-in/index.ts';
import { lookupTenant } from '../../services/tenants.ts';
import { OIDC_SCOPES } from '../../services/clients.ts';
import { findConsentedScopes, recordConsent } from '../../services/consents.ts';
import { cspOrigin, pageSecurityHeaders, renderView } from '../../views.ts';
import { renderErrorPage } from '../render-error.ts';
import { sessionDeps } from '../grants.ts';
import { defaultAudience } from '../provider.ts';
import { planResourceConsent, rememberResourceConsent, type ResourceConsentPlan } from './resource-consent.ts';
import { ACR } from '../step-up.ts';
import { pageLocale, pageTexts } from './page-texts.ts';
import { deviceName } from '../../services/devices.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const CSRF_TTL_SECONDS = 3600;

const LOGIN_SESSION_TTL_SECONDS = 3600;

/** Where the sign-in of one authorization chain (its `cid`) parks its session id until the grant exists. */
const loginSessionKey = (cid: string) => `interaction:login-session:${cid}`;
// The `{uid}` hash tag keeps one interaction's keys in one Redis Cluster slot, so they can be deleted in one command.
const csrfKey = (uid: string) => `interaction:csrf:{${uid}}`;
/**
 * A sign-in between its factors, kept server-side under the interaction: the slice's challenge after the password,
 * then (`passed`) the proven factors while backup codes are shown or the session limit asks what to do. The browser
 * holds no session until the last step.
 */
const signInKey = (uid: string) => `interaction:sign-in:{${uid}}`;

interface PendingSignIn {
  userId: string;
  /** The slice's second-factor challenge, until it is passed. */
  challenge?: string;
  requirement?: 'verify' | 'enrol';
  /** Every factor passed with these methods; only the session is still to start. */
  passed?: string[];
  /** The password the factors proved (passedSignInStamp): a reset or change since then voids this sign-in. */
  stamp?: string;
}

/** `parseForm` reads the form bodies of these pages (the app's body parser: oidc/ does not import http/). */
export function interactionRouter(app: AppContext, provider: () => Provider, parseForm: Middleware): Router {
  const router = new Router({ prefix: '/interaction' });
  const deps: SignInDeps = sessionDeps(app, provider);
  router.use(async (ctx, next) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set(await interactionSecurityHeaders(provider(), ctx));
    try {
      // The form is parsed inside: a too-large or malformed form is answered with a page too.
      await parseForm(ctx, next);
    } catch (err) {
      await renderInteractionError(ctx, err);
    }
  });

  router.get('/:uid', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    const view = await viewModel(app, provider(), details);
    // `mfa`: a browser signed in before the account had a second factor. It signs in again, both factors, as anyone does.
    if (details.prompt.name === 'login' || details.prompt.name === 'mfa') {
      const pending = await readPending(app, details.uid);
      if (pending?.challenge) {
        ctx.body = await renderSecondFactorPage(deps, ctx, view, pending, await issueCsrf(app, details.uid), null);
        return;
      }
      ctx.body = await renderView('login', {
        ...view,
        csrf: await issueCsrf(app, details.uid),
        error: null,
        login: details.params.login_hint ?? '',
      });
    } else if (details.prompt.name === 'consent') {
      const plan = await resourceConsentPlan(app, provider(), view.tenantId, details);
      if (view.firstParty || (await alreadyConsented(app, view, details, plan))) return finishConsent(app, provider(), ctx, details);
      ctx.body = await renderView('consent', {
        ...view,
        csrf: await issueCsrf(app, details.uid),
        scopes: await requestedScopes(app, view, details, plan),
        resources: plan.ask,
      });
    } else {
      throw new AppError('NOT_FOUND', { detail: `unsupported prompt ${details.prompt.name}` });
    }
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    if (details.prompt.name !== 'login' && details.prompt.name !== 'mfa')
      throw new AppError('NOT_FOUND', { detail: 'interaction is not at the login step' });
    const view = await viewModel(app, provider(), details);
    const { usernameOrEmail, password } = formFields(ctx, ['usernameOrEmail', 'password']);
    let outcome;
    try {
      outcome = await signInWithPassword(
        deps,
        { tenantId: view.tenantId, login: usernameOrEmail, password, clientId: view.clientId },
        requestOriginOf(ctx),
      );
    } catch (err) {
      // What a person reads on the login page for each refusal (docs/api.md: errors in plain words).
      const message = err instanceof AppError ? view.t.errors[err.errors[0]?.code ?? ''] : undefined;
      if (!message || !(err instanceof AppError)) throw err;
      ctx.status = err.status;
      ctx.set(err.headers);
      ctx.body = await renderView('login', { ...view, csrf: await issueCsrf(app, details.uid), error: message, login: usernameOrEmail });
      return;
    }
    if (outcome.next === 'session') return finishSignIn(deps, provider(), ctx, details, view, outcome.userId, ['pwd']);
    // No session, no browser login yet: the challenge waits here, under this interaction, for the code.
    const pending: PendingSignIn = { userId: outcome.userId, challenge: outcome.challenge, requirement: outcome.requirement };
    await app.store.set(signInKey(details.uid), JSON.stringify(pending), MFA_TOKEN_TTL_SECONDS);
    ctx.body = await renderSecondFactorPage(deps, ctx, view, pending, await issueCsrf(app, details.uid), null);
  });

  router.post('/:uid/mfa', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    const pending = await readPending(app, details.uid);
    if (!pending?.challenge) throw new AppError('NOT_FOUND', { detail: 'no sign-in is waiting for a code' });
    const view = await viewModel(app, provider(), details);
    const { code } = formFields(ctx, ['code']);
    let passed;
    try {
      passed = await passSecondFactor(deps, pending.challenge, code, requestOriginOf(ctx));
    } catch (err) {
      const errorCode = err instanceof AppError ? err.errors[0]?.code : undefined;
      const alive =
        errorCode === 'INVALID_MFA_CODE' &&
        (await findChallenge(deps, pending.challenge).then(
          () => true,
          () => false,
        ));
      if (alive) {
        ctx.status = 401;
        ctx.body = await renderSecondFactorPage(
          deps,
          ctx,
          view,
          pending,
          await issueCsrf(app, details.uid),
          view.t.errors.INVALID_MFA_CODE as string,
        );
        return;
      }
      if (errorCode !== 'INVALID_MFA_CODE' && errorCode !== 'INVALID_MFA_TOKEN') throw err;
      // Too many wrong codes, the account locked, or the challenge expired: this sign-in is over.
      await app.store.del(signInKey(details.uid), csrfKey(details.uid));
      const redirectTo = await provider().interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'too many wrong codes',
      });
      return seeOther(ctx, redirectTo);
    }
    const amr = ['pwd', 'otp'];
    if (passed.backupCodes) {
      const stamp = await passedSignInStamp(deps, view.tenantId, passed.userId);
      await app.store.set(signInKey(details.uid), JSON.stringify({ userId: passed.userId, passed: amr, stamp }), CSRF_TTL_SECONDS);
      ctx.body = await renderView('backup-codes', { ...view, csrf: await issueCsrf(app, details.uid), backupCodes: passed.backupCodes });
      return;
    }
    await finishSignIn(deps, provider(), ctx, details, view, passed.userId, amr);
  });

  /** After enrolment the backup codes were shown once; this continues the sign-in. */
  router.post('/:uid/mfa/continue', async (ctx) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    const pending = await readPending(app, details.uid);
    if (!pending?.passed) throw new AppError('NOT_FOUND', { detail: 'no completed enrolment to continue' });
    if (!(await stillHolds(app, provider(), details, pending))) return seeOther(ctx, `/interaction/${details.uid}`);
    await finishSignIn(deps, provider(), ctx, details, await viewModel(app, provider(), details), pending.userId, pending.passed);
  });

  /**
   * The sign-in waiting at the session limit that a form of that page posts to (CSRF checked). Undefined when the
   * request was answered already: sent back to the interaction, because what it passed no longer holds.
   */
  const signInAtLimit = async (ctx: Context) => {
    const details = await provider().interactionDetails(ctx.req, ctx.res);
    await assertCsrf(app, details.uid, ctx);
    const pending = await readPending(app, details.uid);
    if (!pending?.passed) throw new AppError('NOT_FOUND', { detail: 'no sign-in waiting at the session limit' });
    if (!(await stillHolds(app, provider(), details, pending))) {
      seeOther(ctx, `/interaction/${details.uid}`);
      return undefined;
    }
    return { details, userId: pending.userId, passed: pending.passed, view: await viewModel(app, provider(), details) };
  };

  /** The session limit was reached after a complete sign-in: the person chose to end their oldest session. */
  router.post('/:uid/evict', async (ctx) => {
    const waiting = await signInAtLimit(ctx);
    if (!waiting) return;
    const { details, view, userId, passed } = waiting;
    await finishSignIn(deps, provider(), ctx, details, view, userId, passed, { evictOldest: true });
  });

  /**
   * The session limit was reached after a complete sign-in: the person, who has just proved who they are (password and
   * second factor where enrolled), chose one of their sessions to end. Its tokens die; the sign-in goes on.
   */
  router.post('/:uid/end-session', async (ctx) => {
    const waiting = await signInAtLimit(ctx);
    if (!waiting) return;
    const { details, view, userId, passed } = waiting;
    const chosen = String((ctx.request.body as Record<string, unknown> | undefined)?.sessionId ?? '');
    // Only a live session of the person signing in, in this tenant: any other id ends nothing.
    const mine = (await listSessions(deps, view.tenantId, userId)).find((s) => s.id === chosen);
    if (mine) await endSession(deps, view.tenantId, mine.id, 'ended_at_session_limit', { ...requestOriginOf(ctx), actorId: userId });
    await finishSignIn(deps, provider(), ctx, details, view, userId, passed);
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
  const tenant = await lookupTenant(app, tenantId);
  if (!tenant) throw new AppError('NOT_FOUND', { detail: `tenant ${tenantId}` });
  const branding = tenant.branding as { displayName?: string; accent?: string };
  const lang = pageLocale(details.params.ui_locales);
  return {
    uid: details.uid,
    lang,
    t: pageTexts(lang),
    clientId,
    clientName: client.clientName ?? clientId,
    firstParty: client['first_party'] === true,
    tenantId,
    tenantName: branding.displayName ?? tenant.name,
    selfRegistration: tenant.selfRegistration,
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
  await recordConsent(app, tenantId, session.accountId, clientId, missingScopes(app, details));
  await rememberResourceConsent(app, tenantId, session.accountId, clientId, await resourceConsentPlan(app, provider, tenantId, details));
  await attachGrant(app, { id: sessionId, tenantId }, grantId, clientId, session.uid);
  await app.store.del(csrfKey(details.uid));
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  seeOther(ctx, redirectTo);
}

type ViewModel = Awaited<ReturnType<typeof viewModel>>;

/**
 * Every factor passed: the slice starts the session (within the tenant's limit) and records the sign-in; the session
 * id waits for the grant (finishConsent), and the browser's login is what the factors proved. At the session limit
 * under the `reject` strategy the person is offered to end their oldest session instead of being stuck.
 */
async function finishSignIn(
  deps: SignInDeps,
  provider: Provider,
  ctx: Context,
  details: Details,
  view: ViewModel,
  userId: string,
  amr: string[],
  options: { evictOldest?: boolean } = {},
): Promise<void> {
  const app = deps as AppContext & SignInDeps;
  let sessionId: string;
  try {
    const { session } = await completeSignIn(
      deps,
      { tenantId: view.tenantId, userId, clientId: view.clientId, amr, ip: ctx.ip, userAgent: ctx.get('user-agent') || null, ...options },
      requestOriginOf(ctx),
    );
    sessionId = session.id;
  } catch (err) {
    if (!(err instanceof AppError) || err.errors[0]?.code !== 'SESSION_LIMIT_EXCEEDED') throw err;
    const stamp = await passedSignInStamp(deps, view.tenantId, userId);
    await app.store.set(signInKey(details.uid), JSON.stringify({ userId, passed: amr, stamp } satisfies PendingSignIn), CSRF_TTL_SECONDS);
    const tenant = await lookupTenant(deps, view.tenantId);
    ctx.status = err.status;
    const sessions = (await listSessions(deps, view.tenantId, userId)).map((s) => ({
      id: s.id,
      device: deviceName(s.userAgent) ?? 'Unknown device',
      ip: s.ip ?? '—',
      started: toMinuteUtc(s.createdAt),
      lastSeen: toMinuteUtc(s.lastSeenAt),
    }));
    ctx.body = await renderView('session-limit', {
      ...view,
      csrf: await issueCsrf(app, details.uid),
      limit: tenant?.sessionLimit ?? 0,
      sessions,
    });
    return;
  }
  await app.store.set(loginSessionKey(chainId(details)), sessionId, LOGIN_SESSION_TTL_SECONDS);
  await app.store.del(csrfKey(details.uid), signInKey(details.uid));
  const mfa = amr.includes('otp');
  const redirectTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId: userId, amr, acr: mfa ? ACR.mfa : ACR.pwd, remember: true } },
    { mergeWithLastSubmission: false },
  );
  seeOther(ctx, redirectTo);
}

/**
 * A sign-in that passed every factor and waits for the person may go on only while the account is as it proved it:
 * still active, not locked, the same password. Otherwise it is dropped, and the login page asks again.
 */
async function stillHolds(app: AppContext, provider: Provider, details: Details, pending: PendingSignIn): Promise<boolean> {
  const client = await provider.Client.find(String(details.params.client_id));
  const tenantId = String(client?.['tenant_id']);
  if (await passedSignInHolds(app, tenantId, pending.userId, pending.stamp)) return true;
  await app.store.del(signInKey(details.uid));
  return false;
}

async function readPending(app: AppContext, uid: string): Promise<PendingSignIn | undefined> {
  const raw = await app.store.get(signInKey(uid));
  return raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
}

/** The code page, or — when the tenant requires MFA and the user has none — enrolment with the QR code. */
async function renderSecondFactorPage(
  deps: SignInDeps,
  ctx: Context,
  view: ViewModel,
  pending: PendingSignIn,
  csrf: string,
  error: string | null,
): Promise<string> {
  if (pending.requirement === 'enrol' && pending.challenge) {
    const enrolment = await enrolDuringSignIn(deps, pending.challenge, requestOriginOf(ctx));
    return renderView('mfa-enrol', { ...view, csrf, error, ...enrolment });
  }
  return renderView('mfa', { ...view, csrf, error });
}

/**
 * Missing scopes: what this request asks for that the grant does not hold yet, of OpenID Connect and of Gatehouse's
 * own API (the default audience). Scopes of registered API resources are remembered apart (resource-consent.ts).
 */
function missingScopes(app: AppContext, details: Details): string[] {
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  return [...new Set([...(missing.missingOIDCScope ?? []), ...(missing.missingResourceScopes?.[defaultAudience(app)] ?? [])])];
}

/**
 * The registered API resources this request asks scopes of: those the grant lacks, or with prompt=consent on a grant
 * that holds everything, what the request names.
 */
async function resourceConsentPlan(app: AppContext, provider: Provider, tenantId: string, details: Details): Promise<ResourceConsentPlan> {
  const own = defaultAudience(app);
  const missing = (details.prompt.details as { missingResourceScopes?: Record<string, string[]> }).missingResourceScopes ?? {};
  let requested = Object.fromEntries(Object.entries(missing).filter(([identifier]) => identifier !== own));
  const everything = String(details.params.prompt ?? '')
    .split(' ')
    .includes('consent');
  if (Object.keys(requested).length === 0 && everything) {
    const scopes = String(details.params.scope ?? '')
      .split(' ')
      .filter(Boolean);
    const named = [details.params.resource ?? []].flat().filter((r): r is string => typeof r === 'string' && r !== own);
    requested = Object.fromEntries(named.map((identifier) => [identifier, scopes]));
  }
  const client = await provider.Client.find(String(details.params.client_id));
  if (!client) throw new AppError('NOT_FOUND', { detail: `client ${String(details.params.client_id)}` });
  return planResourceConsent(app, client, tenantId, details.session?.accountId, requested, everything);
}

/**
 * Consent belongs to the person and the client, not to one browser session: a new sign-in is not asked again for
 * scopes already allowed (OIDC Core §3.1.2.4). prompt=consent, or new claims, always show the page.
 */
async function alreadyConsented(app: AppContext, view: ViewModel, details: Details, plan: ResourceConsentPlan): Promise<boolean> {
  const prompt = String(details.params.prompt ?? '').split(' ');
  const claims = (details.prompt.details as { missingOIDCClaims?: string[] }).missingOIDCClaims ?? [];
  if (prompt.includes('consent') || claims.length > 0 || !details.session || plan.ask.length > 0) return false;
  const allowed = new Set(await findConsentedScopes(app, view.tenantId, details.session.accountId, view.clientId));
  return missingScopes(app, details).every((scope) => allowed.has(scope));
}

/**
 * The OpenID Connect (and own API) part of the page in plain words: only what was not allowed before, unless the
 * request says prompt=consent. API resource scopes are listed per resource (resource-consent.ts).
 */
async function requestedScopes(app: AppContext, view: ViewModel, details: Details, plan: ResourceConsentPlan): Promise<string[]> {
  // With prompt=consent nothing may be missing: the page then lists everything the request asks for.
  const missing = missingScopes(app, details);
  const everything = String(details.params.prompt ?? '')
    .split(' ')
    .includes('consent');
  const allowed = new Set(
    everything || !details.session ? [] : await findConsentedScopes(app, view.tenantId, details.session.accountId, view.clientId),
  );
  // Without missing ones (prompt=consent, or only resource scopes or claims missing) the OpenID scopes asked for.
  const scopes = (
    missing.length
      ? missing
      : String(details.params.scope ?? '')
          .split(' ')
          .filter((scope) => (OIDC_SCOPES as readonly string[]).includes(scope))
  ).filter((scope) => !plan.covered.has(scope) && !allowed.has(scope));
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

/**
 * The pages of one interaction may post forms whose redirect chain ends at this interaction's redirect_uri, which
 * oidc-provider matched against the client's registration before the interaction existed (see pageSecurityHeaders).
 * Without a live interaction the page gets the plain policy.
 */
async function interactionSecurityHeaders(provider: Provider, ctx: Context): Promise<Record<string, string>> {
  let details: Details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch {
    return pageSecurityHeaders();
  }
  let redirectUri = typeof details.params.redirect_uri === 'string' ? details.params.redirect_uri : undefined;
  if (!redirectUri) {
    // Without redirect_uri in the request the client has exactly one registered (OIDC Core §3.1.2.1 allows omitting it then).
    const client = await provider.Client.find(String(details.params.client_id));
    redirectUri = client?.redirectUris?.length === 1 ? client.redirectUris[0] : undefined;
  }
  const origin = cspOrigin(redirectUri);
  return pageSecurityHeaders(origin ? [origin] : []);
}

/** Errors on the login pages are shown to the person in plain words, never as JSON. */
function renderInteractionError(ctx: Context, err: unknown): Promise<void> {
  return renderErrorPage(ctx, err);
}

/** `2026-11-30 14:05 UTC`: the page has no script to show the person's own time zone. */
function toMinuteUtc(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, ' UTC');
}
