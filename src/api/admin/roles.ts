// Admin routes for roles and permissions (docs/security.md): the permission strings, and a tenant's roles.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import { grantorOf } from './grantor.ts';
import { PERMISSIONS } from '../../services/permissions.ts';
import {
  createRole,
  deleteRole,
  listRoles,
  newRoleSchema,
  presentRole,
  roleChangesSchema,
  roleNameSchema,
  updateRole,
} from '../../services/roles.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';

const role = z.object({ name: z.string(), description: z.string(), permissions: z.array(z.enum(PERMISSIONS)), builtIn: z.boolean() });
const roleParams = z.object({ name: roleNameSchema });
const admin = (ctx: Context) => ctx.state.admin as AdminState;

export function roleRoutes(app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/permissions',
      name: 'listPermissions',
      summary: 'Every permission string a role can hold',
      auth: 'admin',
      permission: 'roles:read',
      response: z.object({ permissions: z.array(z.enum(PERMISSIONS)) }),
      handler: async () => ({ permissions: [...PERMISSIONS] }),
    }),
    defineRoute({
      method: 'get',
      path: '/roles',
      name: 'listRoles',
      summary: "The tenant's roles: built-in admin and member, and custom roles",
      auth: 'admin',
      permission: 'roles:read',
      response: z.object({ roles: z.array(role) }),
      handler: async (ctx) => ({ roles: (await listRoles(app, admin(ctx).tenantId)).map(presentRole) }),
    }),
    defineRoute({
      method: 'post',
      path: '/roles',
      name: 'createRole',
      summary: 'Create a custom role',
      auth: 'admin',
      permission: 'roles:write',
      body: newRoleSchema,
      status: 201,
      response: z.object({ role }),
      errors: ['DUPLICATE_RESOURCE', 'INSUFFICIENT_PERMISSIONS'],
      example: { name: 'support', description: 'Reads users and ends their sessions', permissions: ['users:read', 'sessions:write'] },
      captures: { name: 'data.role.name' },
      handler: async (ctx, { body }) => ({
        role: presentRole(await createRole(app, admin(ctx).tenantId, body, admin(ctx).meta, grantorOf(ctx))),
      }),
    }),
    defineRoute({
      method: 'patch',
      path: '/roles/:name',
      name: 'updateRole',
      summary: "Change a custom role's description or permissions",
      auth: 'admin',
      permission: 'roles:write',
      params: roleParams,
      body: roleChangesSchema,
      response: z.object({ role }),
      errors: ['NOT_FOUND'],
      example: { permissions: ['users:read'] },
      handler: async (ctx, { params, body }) => ({
        role: presentRole(await updateRole(app, admin(ctx).tenantId, params.name, body, admin(ctx).meta, grantorOf(ctx))),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/roles/:name',
      name: 'deleteRole',
      summary: 'Delete a custom role',
      auth: 'admin',
      permission: 'roles:write',
      params: roleParams,
      response: z.object({ name: z.string() }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        await deleteRole(app, admin(ctx).tenantId, params.name, admin(ctx).meta, grantorOf(ctx));
        return { name: params.name };
      },
    }),
  ];
}
