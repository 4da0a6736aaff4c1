// The account center's JSON routes under /api/v1/auth (docs/api.md, "Account center"): re-authentication, password
// and email change, the verification mail again, connected apps and security activity. Each acts on the caller's own
// account (user routes: a first-party app's token, its tenant only) and calls one service.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { auditMetaOf } from '../../http/audit-meta.ts';
import type { AuthState } from '../../http/koa-bearer-auth.ts';
import {
  changeEmailSchema,
  changePassword,
  changePasswordSchema,
  EMAIL_CHANGE_REQUESTED,
  listConnectedApps,
  reauthenticate,
  reauthenticateSchema,
  requestEmailChange,
  resendVerification,
  revokeConnectedApp,
  securityActivity,
  type Caller,
} from '../../services/account-center.ts';
import { mailVerificationLink } from '../../services/account-recovery.ts';
import type { Mailer } from '../../services/mail.ts';
import type { SessionDeps } from '../../services/sessions.ts';
import { getTenant } from '../../services/tenants.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';
import { device } from './shapes.ts';

const caller = (ctx: Context): Caller => {
  const { tenantId, userId, sessionId } = ctx.state.auth as AuthState;
  return { tenantId, userId, sessionId };
};

const connectedApp = z.object({
  clientId: z.string(),
  name: z.string(),
  scope: z.array(z.string()),
  apiScopes: z
    .array(
      z.object({
        resource: z.string().describe("The API's identifier (the access tokens' `aud`)"),
        resourceName: z.string(),
        scope: z.string(),
        description: z.string().nullable().describe('The words the consent page showed; null once the API no longer defines the scope'),
      }),
    )
    .describe('What the app may do on which API (API resources)'),
  updatedAt: z.iso.datetime().describe('When the person last allowed the app something'),
});

const activityEvent = z.object({
  id: z.string(),
  type: z.string().describe('signin.succeeded, signin.failed, mfa.verified, session.ended, password.changed, …'),
  outcome: z.enum(['success', 'failure']),
  clientId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  device,
  createdAt: z.iso.datetime(),
});

export function accountRoutes(app: AppContext & SessionDeps, mailer: Mailer): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/reauthenticate',
      name: 'reauthenticate',
      summary: 'Prove it is you again (password, plus a code when MFA is on) before a sensitive change',
      description:
        'Changing the email or the password and turning MFA off need a sign-in of this session from the last five minutes; ' +
        'otherwise they answer 403 REAUTHENTICATION_REQUIRED. This opens that window again for the calling session only. ' +
        'A wrong password counts towards the account lockout like a wrong sign-in.',
      auth: 'user',
      body: reauthenticateSchema,
      response: z.object({ validUntil: z.iso.datetime() }),
      errors: ['INVALID_CREDENTIALS', 'INVALID_MFA_CODE'],
      example: { password: '{{password}}', code: '{{mfaCode}}' },
      handler: async (ctx, { body }) => {
        const { validUntil } = await reauthenticate(app, caller(ctx), body, auditMetaOf(ctx));
        return { validUntil: validUntil.toISOString() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/change',
      name: 'changePassword',
      summary: 'Change your password (asks the current one); optionally end every other session',
      auth: 'user',
      body: changePasswordSchema,
      response: z.object({ passwordChanged: z.literal(true), sessionsEnded: z.number().int() }),
      errors: ['REAUTHENTICATION_REQUIRED', 'INVALID_CREDENTIALS'],
      example: { currentPassword: '{{password}}', newPassword: 'a new long passphrase', endOtherSessions: true },
      handler: async (ctx, { body }) => {
        const { sessionsEnded } = await changePassword(app, caller(ctx), body, auditMetaOf(ctx));
        return { passwordChanged: true, sessionsEnded };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/email/change',
      name: 'changeEmail',
      summary: 'Change your email: the new address gets a link that confirms it',
      description:
        'The email stays as it is until the link (single-use, 24 hours) is opened. The answer is the same when the new ' +
        'address already has an account (that account is told by mail).',
      auth: 'user',
      body: changeEmailSchema,
      status: 202,
      response: z.object({ message: z.string() }),
      errors: ['REAUTHENTICATION_REQUIRED'],
      example: { email: 'new.address@example.com' },
      handler: async (ctx, { body }) => {
        await requestEmailChange(app, mailer, caller(ctx), body, auditMetaOf(ctx));
        return { message: EMAIL_CHANGE_REQUESTED };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/verify-email/resend',
      name: 'resendVerificationEmail',
      summary: 'Mail the verification link again (at most once a minute)',
      auth: 'user',
      status: 202,
      response: z.object({ sent: z.boolean().describe('false when the address is already verified') }),
      handler: async (ctx) => {
        const me = caller(ctx);
        const tenant = await getTenant(app, me.tenantId, 'cache');
        const sent = await resendVerification(app, me, (user) => mailVerificationLink(app, mailer, tenant, user), auditMetaOf(ctx));
        return { sent };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/apps',
      name: 'listConnectedApps',
      summary: 'The third-party apps you have allowed access to, with the scopes and when',
      auth: 'user',
      response: z.object({ apps: z.array(connectedApp) }),
      handler: async (ctx) => {
        const apps = await listConnectedApps(app, caller(ctx));
        return { apps: apps.map((a) => ({ ...a, updatedAt: a.updatedAt.toISOString() })) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/apps/:clientId',
      name: 'revokeConnectedApp',
      summary: 'Disconnect a third-party app: its consent, grants and refresh tokens end at once',
      auth: 'user',
      params: z.object({ clientId: z.string().min(1).max(200) }),
      response: z.object({ clientId: z.string(), grantsRevoked: z.number().int() }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { grantsRevoked } = await revokeConnectedApp(app, caller(ctx), params.clientId, auditMetaOf(ctx));
        return { clientId: params.clientId, grantsRevoked };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/activity',
      name: 'securityActivity',
      summary: 'Your recent sign-ins, failures, MFA, session, password and email events, newest first',
      auth: 'user',
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) }),
      response: z.object({ events: z.array(activityEvent) }),
      handler: async (ctx, { query }) => {
        const events = await securityActivity(app, caller(ctx), query.limit);
        return { events: events.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })) };
      },
    }),
  ];
}
