// Admin routes for a tenant's OAuth clients — register, list, read, change, rotate the secret, delete — and the
// initial access tokens that let automation register clients at /oauth2/register (issue 7). Every change is one
// service call, audited there.
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import { deleteClientAndRevoke } from '../../oidc/grants.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import { createInitialAccessToken, INITIAL_ACCESS_TOKEN_TTL } from '../../oidc/registration.ts';
import {
  AUTHORIZATION_SIGNING_ALGS,
  clientChangesSchema,
  clientJwksSchema,
  CONFIDENTIAL_AUTH_METHODS,
  createClient,
  getClient,
  GRANT_TYPES,
  ID_TOKEN_SIGNING_ALGS,
  listClients,
  newClientBodySchema,
  presentClient,
  rotateClientSecret,
  updateClient,
} from '../../services/clients.ts';
import { defineRoute, pageInfo, pageQuery, type RouteSpec } from '../route-spec.ts';

const clientParams = z.object({ clientId: z.string().min(1).max(200) });

const adminClient = z.object({
  clientId: z.string(),
  tenantId: z.string(),
  name: z.string(),
  public: z.boolean(),
  firstParty: z.boolean(),
  builtIn: z.boolean().describe("The tenant's JSON API client: read-only here"),
  redirectUris: z.array(z.url()),
  postLogoutRedirectUris: z.array(z.url()),
  grantTypes: z.array(z.enum(GRANT_TYPES)),
  scope: z.string(),
  idTokenSigningAlg: z.enum(ID_TOKEN_SIGNING_ALGS).describe('How its ID tokens are signed; ES256 unless RS256 or EdDSA is asked for'),
  authMethod: z
    .enum(['none', ...CONFIDENTIAL_AUTH_METHODS])
    .describe('How it authenticates at the token endpoint: `none` for a public client; fixed at registration'),
  jwks: clientJwksSchema.nullable().describe('Its public keys (private_key_jwt, signed request objects)'),
  jwksUri: z.url().nullable().describe('Where it publishes its public keys, instead of `jwks`'),
  dpopBoundAccessTokens: z.boolean().describe('Its access tokens must be DPoP-bound (RFC 9449)'),
  requireSignedRequestObject: z.boolean().describe('Authorization requests must come as a signed request object (RFC 9101)'),
  authorizationSignedResponseAlg: z.enum(AUTHORIZATION_SIGNING_ALGS).describe('How JARM responses (response_mode=jwt) are signed'),
  backchannelLogoutUri: z.url().nullable().describe('Where logout tokens are POSTed when a session it took part in ends'),
  backchannelLogoutSessionRequired: z.boolean().describe('Its ID tokens and logout tokens carry `sid`'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const clientSecret = z.string().describe('Shown once: only its keyed hash is stored');

const admin = (ctx: Context): AdminState => ctx.state.admin as AdminState;

export function clientRoutes(app: AppContext, oidc: OidcRuntime): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/clients',
      name: 'listClients',
      summary: "List the tenant's OAuth clients",
      description: 'Oldest first, cursor-paginated.',
      auth: 'admin',
      permission: 'clients:read',
      query: pageQuery,
      response: pageInfo.extend({ clients: z.array(adminClient) }),
      handler: async (ctx, { query }) => {
        const page = await listClients(app, admin(ctx).tenantId, query);
        return { clients: page.items, nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/clients',
      name: 'createClient',
      summary: 'Register an OAuth client',
      description:
        'Redirect URIs must be absolute, without a fragment, and https except for loopback. A confidential client gets ' +
        '`clientSecret` in this response only. Permission strings in `scope` (e.g. `clients:write`) let the client act ' +
        'as an admin through client_credentials; the caller must hold each of them.',
      auth: 'admin',
      permission: 'clients:write',
      body: newClientBodySchema,
      status: 201,
      response: z.object({ client: adminClient, clientSecret: clientSecret.optional() }),
      errors: ['DUPLICATE_RESOURCE'],
      example: {
        name: 'Acme CRM',
        redirectUris: ['https://crm.acme.example/callback'],
        grantTypes: ['authorization_code', 'refresh_token'],
        scope: 'openid profile email offline_access',
      },
      handler: async (ctx, { body }) => {
        const { tenantId, meta, permissions } = admin(ctx);
        const created = await createClient(app, { ...body, tenantId }, meta, { permissions });
        return { client: presentClient(created.client), ...(created.clientSecret && { clientSecret: created.clientSecret }) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/clients/:clientId',
      name: 'getClient',
      summary: "A client's settings (never its secret)",
      auth: 'admin',
      permission: 'clients:read',
      params: clientParams,
      response: z.object({ client: adminClient }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => ({ client: presentClient(await getClient(app, admin(ctx).tenantId, params.clientId)) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/clients/:clientId',
      name: 'updateClient',
      summary: "Change a client's name, redirect URIs, grant types, scope or first-party flag",
      description: "The same rules as registration apply to the result. The tenant's JSON API client cannot be changed.",
      auth: 'admin',
      permission: 'clients:write',
      params: clientParams,
      body: clientChangesSchema,
      response: z.object({ client: adminClient }),
      errors: ['NOT_FOUND', 'DUPLICATE_RESOURCE'],
      example: { redirectUris: ['https://crm.acme.example/callback', 'http://127.0.0.1:8080/callback'] },
      handler: async (ctx, { params, body }) => {
        const { tenantId, meta, permissions } = admin(ctx);
        return { client: presentClient(await updateClient(app, tenantId, params.clientId, body, meta, { permissions })) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/clients/:clientId/secret',
      name: 'rotateClientSecret',
      summary: "Replace a confidential client's secret",
      description: 'The new secret is shown in this response only; the old one stops working at once.',
      auth: 'admin',
      permission: 'clients:write',
      params: clientParams,
      response: z.object({ client: adminClient, clientSecret }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { tenantId, meta, permissions } = admin(ctx);
        const rotated = await rotateClientSecret(app, tenantId, params.clientId, meta, { permissions });
        return { client: presentClient(rotated.client), clientSecret: rotated.clientSecret };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/clients/:clientId',
      name: 'deleteClient',
      summary: 'Delete a client and revoke everything issued to it',
      description:
        "Its refresh tokens, codes and grants are revoked, and its access tokens stop verifying. The tenant's JSON API client cannot be deleted.",
      auth: 'admin',
      permission: 'clients:write',
      params: clientParams,
      response: z.object({ clientId: z.string() }),
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        const { tenantId, meta } = admin(ctx);
        await deleteClientAndRevoke(app, oidc.provider(), tenantId, params.clientId, meta);
        return { clientId: params.clientId };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/initial-access-tokens',
      name: 'createInitialAccessToken',
      summary: 'Issue an initial access token for dynamic client registration',
      description:
        'Send it as `Authorization: Bearer …` to `POST /oauth2/register` (RFC 7591). Every client registered with it ' +
        'belongs to this tenant, whatever the registration body says; it may be used until it expires. Shown once.',
      auth: 'admin',
      permission: 'clients:write',
      body: z.object({
        expiresIn: z
          .number()
          .int()
          .min(60)
          .max(INITIAL_ACCESS_TOKEN_TTL.max)
          .default(INITIAL_ACCESS_TOKEN_TTL.default)
          .describe('Seconds (default one day, at most 30 days)'),
      }),
      status: 201,
      response: z.object({ initialAccessToken: z.string(), expiresAt: z.iso.datetime() }),
      example: { expiresIn: 3600 },
      handler: async (ctx, { body }) => {
        const { tenantId, meta } = admin(ctx);
        const { token, expiresAt } = await createInitialAccessToken(app, oidc.provider(), tenantId, body.expiresIn, meta);
        return { initialAccessToken: token, expiresAt };
      },
    }),
  ];
}
