// Admin routes for a tenant's users: create, list and search, status, changes, disable/enable, unlock, MFA
// reset, roles, and their sessions (issue 7). Every change is audited by the service it calls; the services refuse
// escalation and the removal of a tenant's last admin (docs/security.md, "Permissions and escalation").
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import type { AuditMeta } from '../../services/audit.ts';
import type { Grantor } from '../../services/permissions.ts';
import { endSessionAndRevoke, endSessionsOfUser } from '../../oidc/grants.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import { resetMfa } from '../../services/mfa.ts';
import { findSession, listSessions, presentSession } from '../../services/sessions.ts';
import {
  assertMayManageUser,
  createUser,
  getUserStatus,
  listUsers,
  passwordSchema,
  setUserRoles,
  setUserStatus,
  unlockUser,
  updateUser,
  userChangesSchema,
  usernameSchema,
} from '../../services/users.ts';
import { session, user } from '../auth/shapes.ts';
import { defineRoute, pageInfo, pageQuery, type RouteSpec } from '../route-spec.ts';
import { grantorOf } from './grantor.ts';

const userParams = z.object({ userId: z.uuid() });
const sessionParams = z.object({ userId: z.uuid(), sessionId: z.string().min(1).max(200) });

/** What an admin sees of a user: the profile plus lockout and MFA state. */
const adminUser = user.extend({
  locked: z.boolean(),
  lockedUntil: z.iso.datetime().nullable(),
  failedLoginCount: z.number().int(),
  mfaEnabled: z.boolean(),
});

const admin = (ctx: Context): AdminState => ctx.state.admin as AdminState;

export function userRoutes(app: AppContext, oidc: OidcRuntime): RouteSpec[] {
  /** A users:write action on one user that answers with the user's status afterwards. */
  const userAction = (action: {
    method: 'post' | 'delete';
    path: string;
    name: string;
    summary: string;
    description?: string;
    act(tenantId: string, userId: string, meta: AuditMeta, grantor: Grantor): Promise<unknown>;
  }) =>
    defineRoute({
      method: action.method,
      path: action.path,
      name: action.name,
      summary: action.summary,
      ...(action.description && { description: action.description }),
      auth: 'admin',
      permission: 'users:write',
      params: userParams,
      response: z.object({ user: adminUser }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { tenantId, meta } = admin(ctx);
        await assertMayManageUser(app, tenantId, params.userId, grantorOf(ctx));
        await action.act(tenantId, params.userId, meta, grantorOf(ctx));
        return { user: await getUserStatus(app, tenantId, params.userId) };
      },
    });

  return [
    defineRoute({
      method: 'get',
      path: '/users',
      name: 'listUsers',
      summary: 'List and search users',
      description: 'Newest-last, cursor-paginated. `search` matches a substring of the email or username, case-insensitively.',
      auth: 'admin',
      permission: 'users:read',
      query: pageQuery.extend({ search: z.string().trim().min(1).max(254).optional(), status: z.enum(['active', 'disabled']).optional() }),
      response: pageInfo.extend({ users: z.array(adminUser) }),
      handler: async (ctx, { query }) => {
        const page = await listUsers(app, admin(ctx).tenantId, query);
        return { users: page.items, nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      name: 'createUser',
      summary: 'Create a user',
      auth: 'admin',
      permission: 'users:write',
      body: z.object({
        email: z.email().max(254),
        password: passwordSchema,
        username: usernameSchema.optional(),
        emailVerified: z.boolean().default(true),
        roles: z.array(z.string().min(1).max(100)).max(50).default(['member']),
      }),
      status: 201,
      response: z.object({ user: adminUser }),
      errors: ['DUPLICATE_RESOURCE', 'NOT_FOUND'],
      example: { email: 'teammate@example.com', password: 'a long passphrase', roles: ['member'] },
      captures: { userId: 'data.user.id' },
      handler: async (ctx, { body }) => {
        const { tenantId, meta } = admin(ctx);
        const user = await createUser(app, { ...body, tenantId }, meta, grantorOf(ctx));
        return { user: await getUserStatus(app, tenantId, user.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/:userId',
      name: 'getUser',
      summary: "A user's profile and status: locked, email verified, MFA, disabled, last login",
      auth: 'admin',
      permission: 'users:read',
      params: userParams,
      response: z.object({ user: adminUser }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => ({ user: await getUserStatus(app, admin(ctx).tenantId, params.userId) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:userId',
      name: 'updateUser',
      summary: "Change a user's email, username or email-verified flag",
      auth: 'admin',
      permission: 'users:write',
      params: userParams,
      body: userChangesSchema,
      response: z.object({ user: adminUser }),
      errors: ['NOT_FOUND', 'DUPLICATE_RESOURCE'],
      example: { emailVerified: true },
      handler: async (ctx, { params, body }) => {
        const { tenantId, meta } = admin(ctx);
        return { user: await updateUser(app, tenantId, params.userId, body, meta, grantorOf(ctx)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/users/:userId/disable',
      name: 'disableUser',
      summary: 'Disable a user and end all their sessions',
      description: 'A disabled user cannot sign in or refresh; their access tokens stop working at once.',
      auth: 'admin',
      permission: 'users:write',
      params: userParams,
      response: z.object({ user: adminUser, sessionsEnded: z.number().int() }),
      errors: ['NOT_FOUND', 'LAST_ADMIN'],
      handler: async (ctx, { params }) => {
        const { tenantId, meta } = admin(ctx);
        await setUserStatus(app, tenantId, params.userId, 'disabled', meta, grantorOf(ctx));
        const sessionsEnded = await endSessionsOfUser(app, oidc.provider(), tenantId, params.userId, 'user_disabled', meta);
        return { user: await getUserStatus(app, tenantId, params.userId), sessionsEnded };
      },
    }),
    userAction({
      method: 'post',
      path: '/users/:userId/enable',
      name: 'enableUser',
      summary: 'Enable a disabled user',
      act: (tenantId, userId, meta, grantor) => setUserStatus(app, tenantId, userId, 'active', meta, grantor),
    }),
    userAction({
      method: 'post',
      path: '/users/:userId/unlock',
      name: 'unlockUser',
      summary: 'Lift a lockout and clear the failure count',
      act: (tenantId, userId, meta) => unlockUser(app, tenantId, userId, meta),
    }),
    userAction({
      method: 'delete',
      path: '/users/:userId/mfa',
      name: 'resetUserMfa',
      summary: "Reset a user's MFA (a lost device)",
      description: 'The next sign-in asks for no code, or for enrolment when the tenant requires MFA.',
      act: (tenantId, userId, meta) => resetMfa(app, tenantId, userId, meta),
    }),
    defineRoute({
      method: 'put',
      path: '/users/:userId/roles',
      name: 'setUserRoles',
      summary: "Replace a user's roles",
      description:
        'The caller must hold every permission of the roles the user has and gets, and cannot change their own roles. ' +
        "Removing `admin` from the tenant's last active admin answers 409 `LAST_ADMIN`.",
      auth: 'admin',
      permission: 'users:write',
      params: userParams,
      body: z.object({ roles: z.array(z.string().min(1).max(100)).max(50) }),
      response: z.object({ user: adminUser }),
      errors: ['NOT_FOUND', 'LAST_ADMIN'],
      example: { roles: ['member'] },
      handler: async (ctx, { params, body }) => {
        const { tenantId, meta } = admin(ctx);
        return { user: await setUserRoles(app, tenantId, params.userId, body.roles, meta, grantorOf(ctx)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/:userId/sessions',
      name: 'listUserSessions',
      summary: "A user's live sessions",
      auth: 'admin',
      permission: 'sessions:read',
      params: userParams,
      response: z.object({ sessions: z.array(session) }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { tenantId } = admin(ctx);
        await getUserStatus(app, tenantId, params.userId);
        return { sessions: (await listSessions(app, tenantId, params.userId)).map((s) => presentSession(s, null)) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/users/:userId/sessions',
      name: 'endUserSessions',
      summary: "End all of a user's sessions",
      auth: 'admin',
      permission: 'sessions:write',
      params: userParams,
      response: z.object({ ended: z.number().int() }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { tenantId, meta } = admin(ctx);
        await getUserStatus(app, tenantId, params.userId);
        return { ended: await endSessionsOfUser(app, oidc.provider(), tenantId, params.userId, 'ended_by_admin', meta) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/users/:userId/sessions/:sessionId',
      name: 'endUserSession',
      summary: 'End one session of a user',
      auth: 'admin',
      permission: 'sessions:write',
      params: sessionParams,
      response: z.object({ sessionId: z.string() }),
      errors: ['SESSION_NOT_FOUND'],
      errorStatus: { SESSION_NOT_FOUND: 404 },
      handler: async (ctx, { params }) => {
        const { tenantId, meta } = admin(ctx);
        const found = await findSession(app, tenantId, params.sessionId);
        if (!found || found.userId !== params.userId) throw new AppError('SESSION_NOT_FOUND', { status: 404 });
        await endSessionAndRevoke(app, oidc.provider(), tenantId, found.id, 'ended_by_admin', meta);
        return { sessionId: found.id };
      },
    }),
  ];
}
