// The admin API's guard (docs/api.md): a live bearer token — an admin user's from a first-party app, or a client's
// from client_credentials with permission scopes — holding the route's permission in the target tenant.
// Guide, "Authorization Issues": TENANT_ACCESS_DENIED when the target is not the token's tenant (platform
// operators excepted), then INSUFFICIENT_PERMISSIONS when a permission is missing.
import type { Middleware } from 'koa';
import type { ServiceDeps } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from '../services/access-tokens.ts';
import type { AuditMeta } from '../services/audit.ts';
import { isPermission, permissionsOfScope, PLATFORM_PERMISSIONS, PLATFORM_TENANT_ID, type Permission } from '../services/permissions.ts';
import { findClient, type ClientRecord } from '../services/clients.ts';
import { permissionsOfUser } from '../services/roles.ts';
import { verifyBearer } from './koa-bearer-auth.ts';
import { auditMetaOf } from './audit-meta.ts';
import { namedTenantOf } from './koa-tenant.ts';

export interface AdminState {
  /** The tenant the request acts on: `:tenantId` in the path, else X-Tenant-ID / subdomain, else the token's. */
  tenantId: string;
  /** The token's own tenant. */
  actorTenantId: string;
  actor: { type: 'user' | 'client'; id: string };
  permissions: ReadonlySet<Permission>;
  platformOperator: boolean;
  meta: AuditMeta;
}

/** What a route asks of the admin token (a route's declaration, api/route-spec.ts, carries these fields). */
export interface AdminRequirement {
  permission?: Permission | undefined;
  platformOnly?: boolean | undefined;
}

export function koaRequireAdmin(deps: ServiceDeps, verifier: () => AccessTokenVerifier, spec: AdminRequirement): Middleware {
  return async (ctx, next) => {
    const claims = await verifyBearer(ctx, verifier(), deps.config);
    const actorTenantId = claims.tenant_id;
    const platformOperator = actorTenantId === PLATFORM_TENANT_ID;

    const named = namedTenantOf(ctx);
    if (named === '') throw new AppError('TENANT_ACCESS_DENIED', { detail: 'malformed tenant name' });
    const tenantId: string = ctx.params?.tenantId ?? named ?? actorTenantId;
    if (tenantId !== actorTenantId && !platformOperator) {
      throw new AppError('TENANT_ACCESS_DENIED', { detail: `token of ${actorTenantId}, request for ${tenantId}` });
    }

    const isUser = claims.sid !== undefined;
    const client = await findClient(deps, actorTenantId, claims.client_id);
    const held = isUser ? await permissionsOfUserToken(deps, actorTenantId, claims, client) : permissionsOfClientToken(claims, client);
    const permissions = new Set(platformOperator ? held : held.filter((p) => !PLATFORM_PERMISSIONS.includes(p)));
    if ((spec.platformOnly && !platformOperator) || (spec.permission && !permissions.has(spec.permission))) {
      throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: `needs ${spec.permission ?? 'a platform operator'}` });
    }

    const actor = { type: isUser ? ('user' as const) : ('client' as const), id: claims.sub };
    const meta: AuditMeta = { ...auditMetaOf(ctx), actorId: isUser ? claims.sub : `client:${claims.sub}` };
    const admin: AdminState = { tenantId, actorTenantId, actor, permissions, platformOperator, meta };
    ctx.state.admin = admin;
    await next();
  };
}

/**
 * A user token carries the user's role permissions only when it was issued to a first-party client (the
 * platform's own apps, the tenant's JSON API client): a third-party app an admin signed in to acts for the
 * person, not as the tenant's administrator.
 */
async function permissionsOfUserToken(
  deps: ServiceDeps,
  tenantId: string,
  claims: AccessTokenClaims,
  client: ClientRecord | undefined,
): Promise<Permission[]> {
  if (!client?.firstParty) return [];
  return (await permissionsOfUser(deps, tenantId, claims.sub)).filter(isPermission);
}

/**
 * A client token's permissions are the permission scopes it carries that its client still has: taking a scope
 * away from a client (PATCH /clients/:id) takes effect at once, not when its tokens expire.
 */
function permissionsOfClientToken(claims: AccessTokenClaims, client: ClientRecord | undefined): Permission[] {
  const current = new Set(permissionsOfScope(typeof client?.metadata.scope === 'string' ? client.metadata.scope : undefined));
  return permissionsOfScope(claims.scope).filter((p) => current.has(p));
}
