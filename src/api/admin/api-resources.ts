// Admin routes for a tenant's API resources (RFC 8707 resource servers) and for which of their scopes each client may
// ask for. Registering an API and granting its scopes to apps is app configuration, like clients: clients:read and
// clients:write guard it, and resource scopes never become admin permissions, so nothing here can escalate.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import {
  apiResourceChangesSchema,
  clientResourceScopesSchema,
  createApiResource,
  deleteApiResource,
  getApiResource,
  listApiResources,
  listClientResourceScopes,
  newApiResourceSchema,
  presentApiResource,
  RESOURCE_SIGNING_ALGS,
  setClientResourceScopes,
  updateApiResource,
} from '../../services/api-resources.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';

const resourceParams = z.object({ resourceId: z.string().min(1).max(100) });
const clientParams = z.object({ clientId: z.string().min(1).max(200) });

const apiResource = z.object({
  id: z.string(),
  tenantId: z.string().describe('`platform` for an API every tenant’s clients may be granted'),
  identifier: z.string().describe('The `aud` of its access tokens; the `resource` parameter that asks for them'),
  name: z.string(),
  scopes: z.array(z.object({ name: z.string(), description: z.string() })),
  accessTokenTtl: z.number().int().describe('Seconds'),
  signingAlg: z.enum(RESOURCE_SIGNING_ALGS),
  allowRefreshTokens: z.boolean(),
  consentRequired: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const clientResourceScopes = z.object({
  resourceId: z.string(),
  identifier: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
});

const admin = (ctx: Context): AdminState => ctx.state.admin as AdminState;

export function apiResourceRoutes(app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api-resources',
      name: 'listApiResources',
      summary: "List the tenant's API resources",
      description: 'By identifier. The platform tenant’s resources are the ones every tenant’s clients may be granted.',
      auth: 'admin',
      permission: 'clients:read',
      response: z.object({ apiResources: z.array(apiResource) }),
      handler: async (ctx) => ({ apiResources: (await listApiResources(app, admin(ctx).tenantId)).map(presentApiResource) }),
    }),
    defineRoute({
      method: 'post',
      path: '/api-resources',
      name: 'createApiResource',
      summary: 'Register an API resource (a resource server and its scopes)',
      description:
        'The identifier is an absolute URI without a fragment, unique across all tenants (tokens of every tenant share one issuer); access tokens for it carry it as ' +
        '`aud`. Scope descriptions are what the consent page shows. `accessTokenTtl` defaults to ACCESS_TOKEN_TTL and ' +
        '`signingAlg` to ACCESS_TOKEN_ALG.',
      auth: 'admin',
      permission: 'clients:write',
      body: newApiResourceSchema,
      status: 201,
      response: z.object({ apiResource }),
      errors: ['DUPLICATE_RESOURCE'],
      example: {
        identifier: 'https://crm.example/api',
        name: 'CRM API',
        scopes: [
          { name: 'contacts:read', description: 'Read your contacts' },
          { name: 'contacts:write', description: 'Add and change your contacts' },
        ],
        accessTokenTtl: 900,
        signingAlg: 'ES256',
        allowRefreshTokens: true,
        consentRequired: true,
      },
      captures: { resourceId: 'data.apiResource.id' },
      handler: async (ctx, { body }) => {
        const { tenantId, meta } = admin(ctx);
        return { apiResource: presentApiResource(await createApiResource(app, tenantId, body, meta)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api-resources/:resourceId',
      name: 'getApiResource',
      summary: 'An API resource with its scopes',
      auth: 'admin',
      permission: 'clients:read',
      params: resourceParams,
      response: z.object({ apiResource }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => ({
        apiResource: presentApiResource(await getApiResource(app, admin(ctx).tenantId, params.resourceId)),
      }),
    }),
    defineRoute({
      method: 'patch',
      path: '/api-resources/:resourceId',
      name: 'updateApiResource',
      summary: "Change an API resource's name, scopes, token lifetime, algorithm, refresh or consent setting",
      description:
        'The identifier is fixed. `scopes` replaces the whole list: a scope left out is taken from every client granted ' +
        'it (tokens already issued live out their lifetime).',
      auth: 'admin',
      permission: 'clients:write',
      params: resourceParams,
      body: apiResourceChangesSchema,
      response: z.object({ apiResource }),
      errors: ['NOT_FOUND'],
      example: { accessTokenTtl: 600 },
      handler: async (ctx, { params, body }) => {
        const { tenantId, meta } = admin(ctx);
        return { apiResource: presentApiResource(await updateApiResource(app, tenantId, params.resourceId, body, meta)) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api-resources/:resourceId',
      name: 'deleteApiResource',
      summary: 'Delete an API resource with its client grants and consents',
      description: 'No new token names it; tokens already issued live out their lifetime.',
      auth: 'admin',
      permission: 'clients:write',
      params: resourceParams,
      response: z.object({ resourceId: z.string() }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { tenantId, meta } = admin(ctx);
        await deleteApiResource(app, tenantId, params.resourceId, meta);
        return { resourceId: params.resourceId };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/clients/:clientId/resource-scopes',
      name: 'listClientResourceScopes',
      summary: 'The API resource scopes a client may ask for',
      auth: 'admin',
      permission: 'clients:read',
      params: clientParams,
      response: z.object({ resources: z.array(clientResourceScopes) }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => ({ resources: await listClientResourceScopes(app, admin(ctx).tenantId, params.clientId) }),
    }),
    defineRoute({
      method: 'put',
      path: '/clients/:clientId/resource-scopes/:resourceId',
      name: 'setClientResourceScopes',
      summary: 'Set which scopes of an API resource a client may ask for',
      description:
        'The resource is one of the tenant’s or a platform one. Each scope must be one the resource defines; an empty ' +
        'list takes them all away. A client never gets a resource scope not listed here.',
      auth: 'admin',
      permission: 'clients:write',
      params: clientParams.extend(resourceParams.shape),
      body: clientResourceScopesSchema,
      response: z.object({ resourceId: z.string(), scopes: z.array(z.string()) }),
      errors: ['NOT_FOUND'],
      example: { scopes: ['contacts:read'] },
      handler: async (ctx, { params, body }) => {
        const { tenantId, meta } = admin(ctx);
        const scopes = await setClientResourceScopes(app, tenantId, params.clientId, params.resourceId, body.scopes, meta);
        return { resourceId: params.resourceId, scopes };
      },
    }),
  ];
}
