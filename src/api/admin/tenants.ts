// Admin routes for tenants (docs/security.md): platform operators only — create, list, read, change settings,
// suspend, activate.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import {
  createTenant,
  getTenant,
  listAllTenants,
  newTenantSchema,
  presentTenant,
  setTenantStatus,
  tenantSettingsSchema,
  updateTenant,
} from '../../services/tenants.ts';
import { createUser, passwordSchema } from '../../services/users.ts';
import { grantorOf } from './grantor.ts';
import { defineRoute, pageInfo, pageQuery, type RouteSpec } from '../route-spec.ts';

const tenantParams = z.object({ tenantId: z.string().min(1).max(63) });

const tenant = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  sessionLimit: z.number().int(),
  sessionStrategy: z.enum(['reject', 'evict_oldest']),
  mfaPolicy: z.enum(['off', 'optional', 'required']),
  lockoutMaxFailures: z.number().int(),
  lockoutDurationSeconds: z.number().int(),
  rateLimits: z.record(z.string(), z.object({ points: z.number().int(), duration: z.number().int() })),
  selfRegistration: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const meta = (ctx: Context) => (ctx.state.admin as AdminState).meta;

export function tenantRoutes(app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/tenants',
      name: 'listTenants',
      summary: 'List tenants',
      auth: 'admin',
      permission: 'tenants:read',
      platformOnly: true,
      query: pageQuery,
      response: pageInfo.extend({ tenants: z.array(tenant) }),
      handler: async (_ctx, { query }) => {
        const page = await listAllTenants(app, query);
        return { tenants: page.items.map(presentTenant), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tenants',
      name: 'createTenant',
      summary: 'Create a tenant, optionally with its first admin',
      auth: 'admin',
      permission: 'tenants:write',
      platformOnly: true,
      body: newTenantSchema.extend({ admin: z.object({ email: z.email().max(254), password: passwordSchema }).optional() }),
      status: 201,
      response: z.object({ tenant, adminUserId: z.uuid().optional() }),
      errors: ['DUPLICATE_RESOURCE'],
      example: {
        id: 'acme',
        name: 'Acme Inc.',
        mfaPolicy: 'optional',
        admin: { email: 'admin@acme.example', password: 'a long passphrase' },
      },
      handler: async (ctx, { body }) => {
        const { admin, ...settings } = body;
        const created = await createTenant(app, settings, meta(ctx));
        const adminUser = admin && (await createUser(app, { tenantId: created.id, ...admin, roles: ['admin'] }, meta(ctx), grantorOf(ctx)));
        return { tenant: presentTenant(created), ...(adminUser && { adminUserId: adminUser.id }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:tenantId',
      name: 'getTenant',
      summary: 'A tenant and its settings',
      auth: 'admin',
      permission: 'tenants:read',
      platformOnly: true,
      params: tenantParams,
      response: z.object({ tenant }),
      errors: ['NOT_FOUND'],
      handler: async (_ctx, { params }) => ({ tenant: presentTenant(await getTenant(app, params.tenantId)) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/tenants/:tenantId',
      name: 'updateTenant',
      summary: 'Change a tenant’s settings: name, session limit and strategy, MFA policy, lockout, rate limits',
      auth: 'admin',
      permission: 'tenants:write',
      platformOnly: true,
      params: tenantParams,
      body: tenantSettingsSchema,
      response: z.object({ tenant }),
      errors: ['NOT_FOUND'],
      example: { sessionLimit: 10, sessionStrategy: 'evict_oldest', lockoutMaxFailures: 5, lockoutDurationSeconds: 900 },
      handler: async (ctx, { params, body }) => ({ tenant: presentTenant(await updateTenant(app, params.tenantId, body, meta(ctx))) }),
    }),
    ...(['suspend', 'activate'] as const).map((action) =>
      defineRoute({
        method: 'post',
        path: `/tenants/:tenantId/${action}`,
        name: `${action}Tenant`,
        summary:
          action === 'suspend'
            ? 'Suspend a tenant: its users cannot sign in, its clients and tokens stop working'
            : 'Activate a suspended tenant',
        auth: 'admin',
        permission: 'tenants:write',
        platformOnly: true,
        params: tenantParams,
        response: z.object({ tenant }),
        errors: ['NOT_FOUND'],
        handler: async (ctx, { params }) => {
          const status = action === 'suspend' ? 'suspended' : 'active';
          return { tenant: presentTenant(await setTenantStatus(app, params.tenantId, status, meta(ctx))) };
        },
      }),
    ),
  ];
}
