// The first-party JSON auth API, /api/v1/auth (docs/api.md): one declared route per endpoint (route-spec.ts) whose
// handler calls services and returns the guide's shapes. Errors leave through koa-error-envelope.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import { auditMetaOf } from '../../http/audit-meta.ts';
import type { AuthState } from '../../http/koa-bearer-auth.ts';
import { namedTenantOf } from '../../http/koa-tenant.ts';
import { sessionDeps } from '../../oidc/grants.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import { mintSessionTokens, refreshSessionTokens, type IssuedTokens } from '../../oidc/token-issuer.ts';
import {
  forgotPasswordSchema,
  registerUser,
  REGISTRATION_ACCEPTED,
  registrationSchema,
  requestPasswordReset,
  resetPassword,
  resetPasswordSchema,
  verifyEmail,
  verifyEmailSchema,
} from '../../services/account-recovery.ts';
import { apiClientId } from '../../services/api-client.ts';
import type { Mailer } from '../../services/mail.ts';
import { activateEnrolment, beginEnrolment, disableMfa, mfaStatus, regenerateBackupCodes } from '../../services/mfa.ts';
import { endSession, endSessionsOfUser, findSession, listSessions, presentSession } from '../../services/sessions.ts';
import { completeSignIn, enrolDuringSignIn, passSecondFactor, signInWithPassword } from '../../services/sign-in/index.ts';
import { getTenant } from '../../services/tenants.ts';
import { getUserProfile, presentUser } from '../../services/users.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';
import { accountRoutes } from './account-routes.ts';
import { assertRecentAuthentication } from '../../services/account-center.ts';
import { enrolment, mfaChallenge, session, signedIn, tokenPair, user } from './shapes.ts';

export const AUTH_PREFIX = '/api/v1/auth';

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
const backupCodes = z.array(z.string()).describe('Ten single-use codes, shown once');

export function authRoutes(app: AppContext, oidc: OidcRuntime, mailer: Mailer): RouteSpec[] {
  const deps = sessionDeps(app, oidc.provider);
  /** The last step of every sign-in (services/sign-in): a session within the tenant's limit, then tokens minted in process. */
  const completeSignInWithTokens = async (ctx: Context, tenantId: string, userId: string, amr: string[]) => {
    const { tokens } = await completeSignIn(
      deps,
      { tenantId, userId, clientId: apiClientId(tenantId), amr, ip: ctx.ip, userAgent: ctx.get('user-agent') || null },
      auditMetaOf(ctx),
      (session) => mintSessionTokens(app, oidc.provider(), { tenantId, userId, sessionId: session.id, amr }),
    );
    return { ...tokenData(tokens as IssuedTokens), user: presentUser(await getUserProfile(app, tenantId, userId)) };
  };
  const auth = (ctx: Context): AuthState => ctx.state.auth as AuthState;

  return [
    defineRoute({
      method: 'post',
      path: '/login',
      name: 'login',
      summary: 'Sign in with a username or email and a password',
      description:
        'Answers tokens, or — when the user has MFA or the tenant requires it — 401 with the guide\'s "MFA Required" body ' +
        'and an `mfaToken` for `/mfa/verify` (or `/mfa/enroll` when `mfaEnrollmentRequired`).',
      auth: 'none',
      body: loginSchema,
      response: signedIn,
      otherResponses: [{ status: 401, description: 'MFA verification required (guide: "MFA Required Error")', body: mfaChallenge }],
      errors: ['INVALID_CREDENTIALS', 'SESSION_LIMIT_EXCEEDED'],
      example: { usernameOrEmail: '{{usernameOrEmail}}', password: '{{password}}' },
      captures: { accessToken: 'data.accessToken', refreshToken: 'data.refreshToken', mfaToken: 'mfaToken' },
      handler: async (ctx, { body }) => {
        const tenantId: string | undefined = ctx.state.tenantId;
        const outcome = await signInWithPassword(
          deps,
          { tenantId, login: body.usernameOrEmail, password: body.password, clientId: tenantId ? apiClientId(tenantId) : '' },
          auditMetaOf(ctx),
        );
        if (outcome.next === 'session') return completeSignInWithTokens(ctx, outcome.tenantId, outcome.userId, ['pwd']);
        // Guide, "MFA Required Error": this exact body, and no session until the second factor.
        ctx.status = 401;
        ctx.body = {
          success: false,
          mfaRequired: true,
          mfaToken: outcome.challenge,
          message: 'MFA verification required',
          ...(outcome.requirement === 'enrol' && { mfaEnrollmentRequired: true }),
        } satisfies z.input<typeof mfaChallenge>;
        return undefined;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/mfa/verify',
      name: 'verifyMfa',
      summary: 'Complete a sign-in with a TOTP code or a backup code',
      description:
        'The mfaToken is single-use, lives 5 minutes and dies after 5 wrong codes; a TOTP code cannot be replayed. ' +
        'During enrolment the first code activates MFA and the answer adds `backupCodes`.',
      auth: 'none',
      body: mfaVerifySchema,
      response: signedIn.extend({ backupCodes: backupCodes.optional() }),
      errors: ['INVALID_MFA_TOKEN', 'INVALID_MFA_CODE', 'SESSION_LIMIT_EXCEEDED'],
      example: { mfaToken: '{{mfaToken}}', code: '{{mfaCode}}' },
      captures: { accessToken: 'data.accessToken', refreshToken: 'data.refreshToken' },
      handler: async (ctx, { body }) => {
        const passed = await passSecondFactor(deps, body.mfaToken, body.code, auditMetaOf(ctx));
        const data = await completeSignInWithTokens(ctx, passed.tenantId, passed.userId, ['pwd', 'otp']);
        return { ...data, ...(passed.backupCodes && { backupCodes: passed.backupCodes }) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/mfa/enroll',
      name: 'enrollMfaDuringSignIn',
      summary: 'Enrol TOTP during sign-in, when the tenant requires MFA and the user has none yet',
      auth: 'none',
      body: mfaTokenSchema,
      response: enrolment,
      errors: ['INVALID_MFA_TOKEN', 'DUPLICATE_RESOURCE'],
      example: { mfaToken: '{{mfaToken}}' },
      handler: async (ctx, { body }) => enrolDuringSignIn(deps, body.mfaToken, auditMetaOf(ctx)),
    }),
    defineRoute({
      method: 'get',
      path: '/mfa',
      name: 'getMfaStatus',
      summary: "The signed-in user's MFA status",
      auth: 'user',
      response: z.object({ enabled: z.boolean(), pendingEnrolment: z.boolean(), backupCodesRemaining: z.number().int() }),
      handler: async (ctx) => mfaStatus(app, auth(ctx).tenantId, auth(ctx).userId),
    }),
    defineRoute({
      method: 'post',
      path: '/mfa/totp/enroll',
      name: 'enrollTotp',
      summary: 'Start TOTP enrolment: a secret, its otpauth URI and a QR code',
      auth: 'user',
      response: enrolment,
      errors: ['DUPLICATE_RESOURCE'],
      handler: async (ctx) => beginEnrolment(app, auth(ctx).tenantId, auth(ctx).userId, auditMetaOf(ctx)),
    }),
    defineRoute({
      method: 'post',
      path: '/mfa/totp/activate',
      name: 'activateTotp',
      summary: 'Activate TOTP with a first code; answers the backup codes once',
      auth: 'user',
      body: codeSchema,
      response: z.object({ backupCodes }),
      errors: ['INVALID_MFA_CODE'],
      example: { code: '{{mfaCode}}' },
      handler: async (ctx, { body }) => ({
        backupCodes: await activateEnrolment(app, auth(ctx).tenantId, auth(ctx).userId, body.code, auditMetaOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/mfa/backup-codes',
      name: 'regenerateBackupCodes',
      summary: 'Replace the backup codes (needs a current TOTP code)',
      auth: 'user',
      body: codeSchema,
      response: z.object({ backupCodes }),
      errors: ['INVALID_MFA_CODE'],
      example: { code: '{{mfaCode}}' },
      handler: async (ctx, { body }) => ({
        backupCodes: await regenerateBackupCodes(app, auth(ctx).tenantId, auth(ctx).userId, body.code, auditMetaOf(ctx)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/mfa/disable',
      name: 'disableMfa',
      summary: 'Disable MFA with a code or the password',
      auth: 'user',
      body: disableSchema,
      response: z.object({ enabled: z.literal(false), requiredByTenant: z.boolean() }),
      description: 'Needs a sign-in or re-authentication of this session from the last five minutes (`/reauthenticate`).',
      errors: ['REAUTHENTICATION_REQUIRED', 'INVALID_MFA_CODE', 'INVALID_CREDENTIALS'],
      example: { password: 'your password' },
      handler: async (ctx, { body }) => {
        await assertRecentAuthentication(app, auth(ctx));
        await disableMfa(app, auth(ctx).tenantId, auth(ctx).userId, body, auditMetaOf(ctx));
        const tenant = await getTenant(app, auth(ctx).tenantId);
        return { enabled: false, requiredByTenant: tenant.mfaPolicy === 'required' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/refresh',
      name: 'refresh',
      summary: 'Exchange a refresh token for a new pair (the old refresh token is spent)',
      description: 'A refresh token used twice revokes the whole grant (docs/security.md).',
      auth: 'none',
      body: refreshSchema,
      response: tokenPair,
      errors: ['INVALID_TOKEN', 'TOKEN_EXPIRED', 'SESSION_NOT_FOUND', 'TENANT_ACCESS_DENIED'],
      example: { refreshToken: '{{refreshToken}}' },
      captures: { accessToken: 'data.accessToken', refreshToken: 'data.refreshToken' },
      handler: async (ctx, { body }) =>
        tokenData(
          await refreshSessionTokens(app, oidc.provider(), {
            refreshToken: body.refreshToken,
            expectedTenantId: namedTenantOf(ctx),
            origin: auditMetaOf(ctx),
          }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/logout',
      name: 'logout',
      summary: 'End the current session and revoke its tokens',
      auth: 'user',
      endsSession: true,
      response: z.object({ sessionId: z.string() }),
      handler: async (ctx) => {
        await endSession(deps, auth(ctx).tenantId, auth(ctx).sessionId, 'logout', auditMetaOf(ctx));
        return { sessionId: auth(ctx).sessionId };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/me',
      name: 'me',
      summary: 'The signed-in user, the session and the granted scope',
      auth: 'user',
      response: z.object({ user, sessionId: z.string(), scope: z.string() }),
      handler: async (ctx) => {
        const profile = await getUserProfile(app, auth(ctx).tenantId, auth(ctx).userId);
        return { user: presentUser(profile), sessionId: auth(ctx).sessionId, scope: auth(ctx).claims.scope ?? '' };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/sessions',
      name: 'listSessions',
      summary: "The signed-in user's live sessions",
      auth: 'user',
      response: z.object({ sessions: z.array(session) }),
      handler: async (ctx) => {
        const sessions = await listSessions(app, auth(ctx).tenantId, auth(ctx).userId);
        return { sessions: sessions.map((s) => presentSession(s, auth(ctx).sessionId)) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/sessions/:id',
      name: 'endSession',
      summary: 'End one of your sessions',
      auth: 'user',
      params: z.object({ id: z.string().min(1).max(200) }),
      response: z.object({ sessionId: z.string() }),
      errors: ['SESSION_NOT_FOUND'],
      errorStatus: { SESSION_NOT_FOUND: 404 },
      handler: async (ctx, { params }) => {
        const found = await findSession(app, auth(ctx).tenantId, params.id);
        // Another user's session id is answered exactly like an unknown one.
        if (!found || found.userId !== auth(ctx).userId) throw new AppError('SESSION_NOT_FOUND', { status: 404 });
        await endSession(deps, auth(ctx).tenantId, found.id, 'ended_by_user', auditMetaOf(ctx));
        return { sessionId: found.id };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/sessions',
      name: 'endOtherSessions',
      summary: 'End all your sessions but the current one',
      auth: 'user',
      response: z.object({ ended: z.number().int() }),
      handler: async (ctx) => {
        const { tenantId, userId, sessionId } = auth(ctx);
        return { ended: await endSessionsOfUser(deps, tenantId, userId, 'ended_by_user', auditMetaOf(ctx), sessionId) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/register',
      name: 'register',
      summary: 'Create an account; a verification token is mailed',
      description:
        'Answers the same whether or not the address already has an account, so it cannot be used to find out who does: ' +
        'the owner of an existing account is told by mail instead.',
      auth: 'none',
      body: registrationSchema,
      status: 202,
      response: z.object({ message: z.string(), emailVerificationRequired: z.literal(true) }),
      errors: ['DUPLICATE_RESOURCE', 'TENANT_ACCESS_DENIED'],
      example: { email: 'new.user@example.com', password: 'a long passphrase' },
      handler: async (ctx, { body }) => {
        await registerUser(app, mailer, ctx.state.tenantId, body, auditMetaOf(ctx));
        return { message: REGISTRATION_ACCEPTED, emailVerificationRequired: true };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/verify-email',
      name: 'verifyEmail',
      summary: 'Confirm an email address with the mailed token',
      auth: 'none',
      body: verifyEmailSchema,
      response: z.object({ emailVerified: z.literal(true) }),
      errors: ['INVALID_TOKEN', 'TENANT_ACCESS_DENIED'],
      example: { token: 'the token from the mail' },
      handler: async (ctx, { body }) => {
        await verifyEmail(app, ctx.state.tenantId, body, auditMetaOf(ctx));
        return { emailVerified: true };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/forgot',
      name: 'forgotPassword',
      summary: 'Mail a password-reset token (answers the same whether or not the account exists)',
      auth: 'none',
      body: forgotPasswordSchema,
      status: 202,
      response: z.object({ message: z.string() }),
      errors: ['TENANT_ACCESS_DENIED'],
      example: { email: 'user@example.com' },
      handler: async (ctx, { body }) => {
        await requestPasswordReset(app, mailer, ctx.state.tenantId, body, auditMetaOf(ctx));
        return { message: 'If an account with that email exists, a reset token has been sent to it' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/reset',
      name: 'resetPassword',
      summary: 'Set a new password with the mailed token; ends every session of the account',
      auth: 'none',
      body: resetPasswordSchema,
      response: z.object({ passwordReset: z.literal(true), sessionsEnded: z.number().int() }),
      errors: ['INVALID_TOKEN', 'TENANT_ACCESS_DENIED'],
      example: { token: 'the token from the mail', password: 'a new long passphrase' },
      handler: async (ctx, { body }) => {
        const meta = auditMetaOf(ctx);
        const { tenantId, userId } = await resetPassword(app, ctx.state.tenantId, body, meta);
        const ended = await endSessionsOfUser(deps, tenantId, userId, 'password_reset', meta);
        return { passwordReset: true, sessionsEnded: ended };
      },
    }),
    ...accountRoutes(deps, mailer),
  ];
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
