// Permission strings, the built-in roles every tenant starts with (docs/security.md), and what a token may do.

/** Permissions a role of any tenant can hold; an admin token needs the route's permission in the target tenant. */
export const PERMISSIONS = [
  'users:read',
  'users:write',
  'roles:read',
  'roles:write',
  'clients:read',
  'clients:write',
  'sessions:read',
  'sessions:write',
  'audit:read',
  'outbox:read',
  'tenants:read',
  'tenants:write',
  'ip-blocks:read',
  'ip-blocks:write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** The tenant whose operators manage every tenant (docs/security.md); nobody else crosses a tenant boundary. */
export const PLATFORM_TENANT_ID = 'platform';

/**
 * Permissions that act across tenants. Held through a role of the platform tenant they work; held in any other
 * tenant they grant nothing (every tenant's built-in admin role lists them, harmlessly).
 */
export const PLATFORM_PERMISSIONS: readonly Permission[] = ['tenants:read', 'tenants:write', 'ip-blocks:read', 'ip-blocks:write'];

export const BUILT_IN_ROLES = [
  { name: 'admin', description: 'Manages the tenant: users, roles, clients, sessions, audit log', permissions: [...PERMISSIONS] },
  { name: 'member', description: 'Signs in; no administrative rights', permissions: [] as string[] },
] as const;

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/** The admin permissions a client-credentials token carries: the permission strings among its scopes. */
export function permissionsOfScope(scope: string | undefined): Permission[] {
  return (scope ?? '').split(' ').filter(isPermission);
}
