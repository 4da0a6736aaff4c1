// The self-service pages beside the login pages (docs/api.md, "Self-service pages"): forgot password → mailed link →
// choose a new password → done, back to the sign-in the person started. The logic is services/account-recovery.ts,
// the same the JSON API runs; these routes only turn it into forms and pages.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { auditMetaOf } from '../http/audit-meta.ts';
import { renderErrorPage } from '../oidc/render-error.ts';
import { sessionDeps } from '../oidc/grants.ts';
import { REGISTRATION_ACCEPTED, registerUser, requestPasswordReset, resetPassword, verifyEmail } from '../services/account-recovery.ts';
import type { Mailer } from '../services/mail.ts';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_LENGTH } from '../services/passwords.ts';
import { endSessionsOfUser } from '../services/sessions.ts';
import { lookupTenant, tenantIdSchema } from '../services/tenants.ts';
import { PAGE_SECURITY_HEADERS, renderView } from '../views.ts';
import { assertPageCsrf, issuePageCsrf } from './page-csrf.ts';

/** The browser that asked for the reset remembers the sign-in it came from, so the last page can lead back to it. */
const RETURN_COOKIE = 'gh_reset_return';
const RETURN_TTL_MS = 3600 * 1000;
const UID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

interface PageTenant {
  tenantId: string;
  selfRegistration: boolean;
  tenantName: string;
  accent: string | null;
}

export function selfServiceRouter(app: AppContext, provider: () => Provider, mailer: Mailer, parseForm: Middleware): Router {
  const router = new Router();
  const deps = sessionDeps(app, provider);
  router.use(async (ctx, next) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set(PAGE_SECURITY_HEADERS);
    // The reset link carries its token in the address: no page here tells anyone else where it was opened.
    ctx.set('Referrer-Policy', 'no-referrer');
    try {
      await parseForm(ctx, next);
    } catch (err) {
      await renderErrorPage(ctx, err);
    }
  });

  router.get('/password/forgot', async (ctx) => {
    const interaction = interactionOf(ctx);
    const tenant = await pageTenant(app, provider(), ctx, interaction);
    ctx.body = await renderView('password-forgot', {
      ...tenant,
      interaction,
      email: '',
      error: null,
      csrf: await issuePageCsrf(app, ctx),
    });
  });

  router.post('/password/forgot', async (ctx) => {
    await assertPageCsrf(app, ctx);
    const interaction = interactionOf(ctx);
    const tenant = await pageTenant(app, provider(), ctx, interaction);
    const email = formField(ctx, 'email').trim();
    try {
      await requestPasswordReset(app, mailer, tenant.tenantId, { email }, auditMetaOf(ctx));
    } catch (err) {
      if (!isValidationError(err)) throw err;
      ctx.status = 400;
      ctx.body = await renderView('password-forgot', {
        ...tenant,
        interaction,
        email,
        error: 'That does not look like an email address. Check it and try again.',
        csrf: await issuePageCsrf(app, ctx),
      });
      return;
    }
    if (interaction)
      ctx.cookies.set(RETURN_COOKIE, interaction, { httpOnly: true, sameSite: 'lax', path: '/password', maxAge: RETURN_TTL_MS });
    // The same page whether or not the address has an account (docs/security.md).
    ctx.body = await renderView('self-service-message', {
      ...tenant,
      title: 'Check your email',
      message: `If ${email} belongs to a ${tenant.tenantName} account, we have sent it a link to choose a new password. The link works once, for 1 hour.`,
      link: interaction ? { href: `/interaction/${interaction}`, text: 'Back to sign in' } : null,
    });
  });

  router.get('/password/reset', async (ctx) => {
    const tenant = await pageTenant(app, provider(), ctx, undefined);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!token) throw new AppError('NOT_FOUND', { detail: 'reset link without a token' });
    ctx.body = await renderResetForm(app, ctx, tenant, token, null);
  });

  router.post('/password/reset', async (ctx) => {
    await assertPageCsrf(app, ctx);
    const tenant = await pageTenant(app, provider(), ctx, undefined);
    const token = formField(ctx, 'token');
    const password = formField(ctx, 'password');
    const meta = auditMetaOf(ctx);
    let reset;
    try {
      reset = await resetPassword(app, tenant.tenantId, { token, password }, meta);
    } catch (err) {
      if (isValidationError(err) && (err as AppError).errors.some((e) => e.field === 'password')) {
        ctx.status = 400;
        ctx.body = await renderResetForm(app, ctx, tenant, token, 'That password does not follow the rules below. Choose another one.');
        return;
      }
      if (
        !(err instanceof AppError) ||
        !err.errors.some((e) => e.code === 'INVALID_TOKEN' || e.code === 'REQUIRED_FIELD' || e.code === 'INVALID_FORMAT')
      )
        throw err;
      ctx.status = 400;
      ctx.body = await renderView('self-service-message', {
        ...tenant,
        title: 'This link does not work any more',
        message: 'The link to reset your password was already used or has expired (links work once, for 1 hour). Ask for a new one.',
        link: { href: `/password/forgot?${new URLSearchParams({ tenant: tenant.tenantId })}`, text: 'Ask for a new link' },
      });
      return;
    }
    // A new password ends every session of the account, as the JSON API's reset does (docs/security.md).
    await endSessionsOfUser(deps, reset.tenantId, reset.userId, 'password_reset', meta);
    const back = await liveInteraction(provider(), ctx.cookies.get(RETURN_COOKIE));
    ctx.cookies.set(RETURN_COOKIE, null, { path: '/password' });
    ctx.body = await renderView('self-service-message', {
      ...tenant,
      title: 'Your password is changed',
      message: back
        ? 'Your new password is set, and you were signed out everywhere else. Continue to sign in with it.'
        : 'Your new password is set, and you were signed out everywhere else. Go back to the application and sign in with it.',
      link: back ? { href: `/interaction/${back}`, text: 'Continue to sign in' } : null,
    });
  });

  // The link in the verification mail opens a button, not the verification: mail scanners follow links too.
  router.get('/email/verify', async (ctx) => {
    const tenant = await pageTenant(app, provider(), ctx, undefined);
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!token) throw new AppError('NOT_FOUND', { detail: 'verification link without a token' });
    ctx.body = await renderView('email-verify', { ...tenant, token, csrf: await issuePageCsrf(app, ctx) });
  });

  router.post('/email/verify', async (ctx) => {
    await assertPageCsrf(app, ctx);
    const tenant = await pageTenant(app, provider(), ctx, undefined);
    try {
      await verifyEmail(app, tenant.tenantId, { token: formField(ctx, 'token') }, auditMetaOf(ctx));
    } catch (err) {
      if (!(err instanceof AppError) || !err.errors.every((e) => ['INVALID_TOKEN', 'REQUIRED_FIELD', 'INVALID_FORMAT'].includes(e.code)))
        throw err;
      ctx.status = 400;
      ctx.body = await renderView('self-service-message', {
        ...tenant,
        title: 'This link does not work any more',
        message:
          'The link to confirm your email address was already used or has expired (links work for 24 hours). Sign in to ask for a new one.',
        link: null,
      });
      return;
    }
    ctx.body = await renderView('self-service-message', {
      ...tenant,
      title: 'Your email address is confirmed',
      message: 'Thank you. Go back to the application and sign in.',
      link: null,
    });
  });

  // Sign-up exists only where the tenant allows it; elsewhere the page is as absent as any unknown one.
  router.get('/signup', async (ctx) => {
    const interaction = interactionOf(ctx);
    const tenant = await signUpTenant(app, provider(), ctx, interaction);
    ctx.body = await renderView('signup', { ...tenant, interaction, email: '', error: null, csrf: await issuePageCsrf(app, ctx) });
  });

  router.post('/signup', async (ctx) => {
    await assertPageCsrf(app, ctx);
    const interaction = interactionOf(ctx);
    const tenant = await signUpTenant(app, provider(), ctx, interaction);
    const email = formField(ctx, 'email').trim();
    try {
      await registerUser(app, mailer, tenant.tenantId, { email, password: formField(ctx, 'password') }, auditMetaOf(ctx));
    } catch (err) {
      if (!isValidationError(err)) throw err;
      const badPassword = err.errors.some((e) => e.field === 'password');
      ctx.status = 400;
      ctx.body = await renderView('signup', {
        ...tenant,
        interaction,
        email,
        error: badPassword
          ? 'That password does not follow the rules below. Choose another one.'
          : 'That does not look like an email address. Check it and try again.',
        csrf: await issuePageCsrf(app, ctx),
      });
      return;
    }
    // The same page for a new address and a taken one: its owner gets a mail instead (account-recovery.ts).
    ctx.body = await renderView('self-service-message', {
      ...tenant,
      title: 'Check your email',
      message: `${REGISTRATION_ACCEPTED}.`,
      link: interaction ? { href: `/interaction/${interaction}`, text: 'Back to sign in' } : null,
    });
  });
  return router;
}

async function signUpTenant(
  app: AppContext,
  provider: Provider,
  ctx: Context,
  interaction: string | undefined,
): Promise<PageTenant & { minLength: number; maxBytes: number }> {
  const tenant = await pageTenant(app, provider, ctx, interaction);
  if (!tenant.selfRegistration) throw new AppError('NOT_FOUND', { detail: `tenant ${tenant.tenantId} does not allow sign-up` });
  return { ...tenant, minLength: PASSWORD_MIN_LENGTH, maxBytes: PASSWORD_MAX_BYTES };
}

async function renderResetForm(app: AppContext, ctx: Context, tenant: PageTenant, token: string, error: string | null): Promise<string> {
  return renderView('password-reset', {
    ...tenant,
    token,
    error,
    minLength: PASSWORD_MIN_LENGTH,
    maxBytes: PASSWORD_MAX_BYTES,
    csrf: await issuePageCsrf(app, ctx),
  });
}

function formField(ctx: Context, name: string): string {
  const value = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function interactionOf(ctx: Context): string | undefined {
  const value = formField(ctx, 'interaction') || (typeof ctx.query.interaction === 'string' ? ctx.query.interaction : '');
  return UID_PATTERN.test(value) ? value : undefined;
}

function isValidationError(err: unknown): err is AppError {
  return err instanceof AppError && err.errors.every((e) => e.code === 'INVALID_FORMAT' || e.code === 'REQUIRED_FIELD');
}

/** The uid of a sign-in that is still waiting, or undefined. */
async function liveInteraction(provider: Provider, uid: string | undefined): Promise<string | undefined> {
  if (!uid || !UID_PATTERN.test(uid)) return undefined;
  const interaction = await provider.Interaction.find(uid);
  return interaction ? uid : undefined;
}

/**
 * The tenant a page belongs to: the one of the client whose sign-in the person came from, else `tenant` in the
 * query or form, else the subdomain under TENANT_DOMAIN, as the JSON API finds it (http/koa-tenant.ts).
 */
async function pageTenant(app: AppContext, provider: Provider, ctx: Context, interaction: string | undefined): Promise<PageTenant> {
  let tenantId: string | undefined;
  if (interaction) {
    const found = await provider.Interaction.find(interaction);
    const client = found ? await provider.Client.find(String(found.params.client_id)) : undefined;
    if (client) tenantId = String(client['tenant_id']);
  }
  if (!tenantId) tenantId = formField(ctx, 'tenant') || (typeof ctx.query.tenant === 'string' ? ctx.query.tenant : '') || undefined;
  const suffix = app.config.tenantDomain ? `.${app.config.tenantDomain.toLowerCase()}` : undefined;
  if (!tenantId && suffix && ctx.hostname.toLowerCase().endsWith(suffix)) tenantId = ctx.hostname.toLowerCase().slice(0, -suffix.length);
  tenantId = tenantId?.trim().toLowerCase();
  const tenant = tenantId && tenantIdSchema.safeParse(tenantId).success ? await lookupTenant(app, tenantId) : undefined;
  if (!tenant || tenant.status !== 'active')
    throw new AppError('NOT_FOUND', { detail: `self-service page for tenant ${tenantId ?? '(none)'}` });
  const branding = tenant.branding as { displayName?: string; accent?: string };
  return {
    tenantId: tenant.id,
    selfRegistration: tenant.selfRegistration,
    tenantName: branding.displayName ?? tenant.name,
    accent: typeof branding.accent === 'string' && /^#[0-9a-f]{3,8}$/i.test(branding.accent) ? branding.accent : null,
  };
}
