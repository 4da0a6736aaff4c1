// The first-party JSON auth API, /api/v1/auth (SPEC §7): each handler parses its input, calls services, and
// returns the guide's shapes. Errors leave through koa-error-envelope.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { parseOrThrow } from '../../errors/validation.ts';
import { koaRequireUser, type AuthState } from '../../http/koa-bearer-auth.ts';
import { koaTenant } from '../../http/koa-tenant.ts';
import { endSessionAndRevoke, endSessionsOfUser, revokeGrants } from '../../oidc/grants.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import { issueTokensForSession, refreshTokens, type IssuedTokens } from '../../oidc/token-issuer.ts';
import { registerUser, requestPasswordReset, resetPassword, verifyEmail } from '../../services/account-recovery.ts';
import { apiClientId } from '../../services/api-client.ts';
import { recordAudit, type AuditMeta } from '../../services/audit.ts';
import { authenticatePassword } from '../../services/authentication.ts';
import type { Mailer } from '../../services/mail.ts';
import { findSession, listSessions, presentSession, startSession } from '../../services/sessions.ts';
import { consumeMfaChallenge, createMfaChallenge, readMfaChallenge, recordWrongCode } from '../../services/mfa-challenges.ts';
import {
  activateEnrolment,
  beginEnrolment,
  disableMfa,
  mfaRequirement,
  mfaStatus,
  regenerateBackupCodes,
  verifySecondFactor,
} from '../../services/mfa.ts';
import { getTenant } from '../../services/tenants.ts';
import { getUserProfile, presentUser } from '../../services/users.ts';

const loginSchema = z.object({ usernameOrEmail: z.string().min(1).max(254), password: z.string().min(1).max(1024) });
const refreshSchema = z.object({ refreshToken: z.string().min(1).max(512) });
const mfaVerifySchema = z.object({ mfaToken: z.string().min(1).max(200), code: z.string().min(1).max(32) });
const mfaTokenSchema = z.object({ mfaToken: z.string().min(1).max(200) });
const codeSchema = z.object({ code: z.string().min(1).max(32) });
const disableSchema = z
  .object({ code: z.string().min(1).max(32).optional(), password: z.string().min(1).max(1024).optional() })
  .refine((v) => v.code || v.password, {
    path: ['code'],
    params: { constraint: 'CODE_OR_PASSWORD' },
  });

export function authRouter(app: AppContext, oidc: OidcRuntime, mailer: Mailer): Router {
  const router = new Router({ prefix: '/api/v1/auth' });
  const requireUser = koaRequireUser(() => oidc.verifier, app.config.publicUrl);
  router.use(koaTenant(app.config));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  /** The last step of every sign-in: a session within the tenant's limit, then tokens. */
  const completeSignIn = async (ctx: Context, tenantId: string, userId: string, amr: string[]) => {
    const meta = auditMeta(ctx);
    const clientId = apiClientId(tenantId);
    const { session, evictedGrantIds } = await startSession(
      app,
      { tenantId, userId, clientId, amr, ip: ctx.ip, userAgent: ctx.get('user-agent') || null },
      meta,
    );
    await revokeGrants(app, oidc.provider(), evictedGrantIds);
    const tokens = await issueTokensForSession(app, oidc, { tenantId, userId, sessionId: session.id, amr });
    return { ...tokenData(tokens), user: presentUser(await getUserProfile(app, tenantId, userId)) };
  };

  router.post('/login', async (ctx) => {
    const { usernameOrEmail, password } = parseOrThrow(loginSchema, ctx.request.body);
    const tenantId: string | undefined = ctx.state.tenantId;
    const meta = auditMeta(ctx);
    const { tenant, user } = await authenticatePassword(app, tenantId, usernameOrEmail, password, {
      ...meta,
      clientId: tenantId ? apiClientId(tenantId) : null,
    });
    const requirement = await mfaRequirement(app, tenant, user.id);
    if (requirement !== 'none') {
      // Guide, "MFA Required Error": this exact body, and no session until the second factor.
      const mfaToken = await createMfaChallenge(app.store, { tenantId: tenant.id, userId: user.id, requirement });
      await recordAudit(
        app.db,
        { tenantId: tenant.id, type: 'mfa.challenged', subjectId: user.id, data: { requirement } },
        { ...meta, actorId: user.id },
      );
      ctx.status = 401;
      ctx.body = {
        success: false,
        mfaRequired: true,
        mfaToken,
        message: 'MFA verification required',
        ...(requirement === 'enrol' && { mfaEnrollmentRequired: true }),
      };
      return;
    }
    ctx.body = { success: true, data: await completeSignIn(ctx, tenant.id, user.id, ['pwd']) };
  });

  router.post('/mfa/verify', async (ctx) => {
    const { mfaToken, code } = parseOrThrow(mfaVerifySchema, ctx.request.body);
    const challenge = await readMfaChallenge(app.store, mfaToken);
    if (!challenge) throw new AppError('INVALID_MFA_TOKEN');
    const meta = auditMeta(ctx);
    let backupCodes: string[] | undefined;
    try {
      if (challenge.requirement === 'enrol') backupCodes = await activateEnrolment(app, challenge.tenantId, challenge.userId, code, meta);
      else await verifySecondFactor(app, challenge.tenantId, challenge.userId, code, meta);
    } catch (err) {
      if (err instanceof AppError && err.errors[0]?.code === 'INVALID_MFA_CODE' && (await recordWrongCode(app.store, mfaToken))) {
        await recordAudit(
          app.db,
          { tenantId: challenge.tenantId, type: 'mfa.challenge_locked', outcome: 'failure', subjectId: challenge.userId },
          meta,
        );
      }
      throw err;
    }
    if (!(await consumeMfaChallenge(app.store, mfaToken)))
      throw new AppError('INVALID_MFA_TOKEN', { detail: 'challenge used concurrently' });
    const data = await completeSignIn(ctx, challenge.tenantId, challenge.userId, ['pwd', 'otp']);
    ctx.body = { success: true, data: { ...data, ...(backupCodes && { backupCodes }) } };
  });

  /** Enrolment during sign-in, when the tenant requires MFA and the user has none yet. */
  router.post('/mfa/enroll', async (ctx) => {
    const { mfaToken } = parseOrThrow(mfaTokenSchema, ctx.request.body);
    const challenge = await readMfaChallenge(app.store, mfaToken);
    if (!challenge || challenge.requirement !== 'enrol') throw new AppError('INVALID_MFA_TOKEN');
    ctx.body = { success: true, data: await beginEnrolment(app, challenge.tenantId, challenge.userId, auditMeta(ctx)) };
  });

  router.get('/mfa', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    ctx.body = { success: true, data: await mfaStatus(app, auth.tenantId, auth.userId) };
  });

  router.post('/mfa/totp/enroll', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    ctx.body = { success: true, data: await beginEnrolment(app, auth.tenantId, auth.userId, auditMeta(ctx)) };
  });

  router.post('/mfa/totp/activate', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const { code } = parseOrThrow(codeSchema, ctx.request.body);
    ctx.body = { success: true, data: { backupCodes: await activateEnrolment(app, auth.tenantId, auth.userId, code, auditMeta(ctx)) } };
  });

  router.post('/mfa/backup-codes', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const { code } = parseOrThrow(codeSchema, ctx.request.body);
    ctx.body = { success: true, data: { backupCodes: await regenerateBackupCodes(app, auth.tenantId, auth.userId, code, auditMeta(ctx)) } };
  });

  router.post('/mfa/disable', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const proof = parseOrThrow(disableSchema, ctx.request.body);
    await disableMfa(app, auth.tenantId, auth.userId, proof, auditMeta(ctx));
    const tenant = await getTenant(app, auth.tenantId);
    ctx.body = { success: true, data: { enabled: false, requiredByTenant: tenant.mfaPolicy === 'required' } };
  });

  router.post('/refresh', async (ctx) => {
    const { refreshToken } = parseOrThrow(refreshSchema, ctx.request.body);
    const tokens = await refreshTokens(app, refreshToken, ctx.get('X-Tenant-ID') ? ctx.state.tenantId : undefined);
    ctx.body = { success: true, data: tokenData(tokens) };
  });

  router.post('/logout', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    await endSessionAndRevoke(app, oidc.provider(), auth.tenantId, auth.sessionId, 'logout', auditMeta(ctx));
    ctx.body = { success: true, data: { sessionId: auth.sessionId } };
  });

  router.get('/me', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const user = await getUserProfile(app, auth.tenantId, auth.userId);
    ctx.body = { success: true, data: { user: presentUser(user), sessionId: auth.sessionId, scope: auth.claims.scope ?? '' } };
  });

  router.get('/sessions', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const sessions = await listSessions(app, auth.tenantId, auth.userId);
    ctx.body = { success: true, data: { sessions: sessions.map((s) => presentSession(s, auth.sessionId)) } };
  });

  router.delete('/sessions/:id', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const session = await findSession(app, auth.tenantId, ctx.params.id as string);
    // Another user's session id is answered exactly like an unknown one.
    if (!session || session.userId !== auth.userId) throw new AppError('SESSION_NOT_FOUND', { status: 404 });
    await endSessionAndRevoke(app, oidc.provider(), auth.tenantId, session.id, 'ended_by_user', auditMeta(ctx));
    ctx.body = { success: true, data: { sessionId: session.id } };
  });

  router.delete('/sessions', requireUser, async (ctx) => {
    const auth: AuthState = ctx.state.auth;
    const ended = await endSessionsOfUser(
      app,
      oidc.provider(),
      auth.tenantId,
      auth.userId,
      'ended_by_user',
      auditMeta(ctx),
      auth.sessionId,
    );
    ctx.body = { success: true, data: { ended } };
  });

  router.post('/register', async (ctx) => {
    const user = await registerUser(app, mailer, ctx.state.tenantId, ctx.request.body, auditMeta(ctx));
    ctx.status = 201;
    ctx.body = { success: true, data: { user: presentUser(user), emailVerificationRequired: true } };
  });

  router.post('/verify-email', async (ctx) => {
    await verifyEmail(app, ctx.state.tenantId, ctx.request.body, auditMeta(ctx));
    ctx.body = { success: true, data: { emailVerified: true } };
  });

  router.post('/password/forgot', async (ctx) => {
    await requestPasswordReset(app, mailer, ctx.state.tenantId, ctx.request.body, auditMeta(ctx));
    ctx.status = 202;
    ctx.body = { success: true, data: { message: 'If an account with that email exists, a reset token has been sent to it' } };
  });

  router.post('/password/reset', async (ctx) => {
    const meta = auditMeta(ctx);
    const { tenantId, userId } = await resetPassword(app, ctx.state.tenantId, ctx.request.body, meta);
    const ended = await endSessionsOfUser(app, oidc.provider(), tenantId, userId, 'password_reset', meta);
    ctx.body = { success: true, data: { passwordReset: true, sessionsEnded: ended } };
  });

  return router;
}

function tokenData(tokens: IssuedTokens) {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: tokens.tokenType,
    expiresIn: tokens.expiresIn,
    sessionId: tokens.sessionId,
  };
}

function auditMeta(ctx: Context): AuditMeta {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || null, requestId: ctx.state.requestId as string };
}
