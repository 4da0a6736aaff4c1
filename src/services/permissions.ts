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
 * Permissions that act across tenants: they exist only in roles and clients of the platform tenant
 * (docs/security.md, "Permissions and escalation"); the admin guard ignores them anywhere else.
 */
export const PLATFORM_PERMISSIONS: readonly Permission[] = ['tenants:read', 'tenants:write', 'ip-blocks:read', 'ip-blocks:write'];

export const isPlatformPermission = (p: Permission) => PLATFORM_PERMISSIONS.includes(p);

/** The permissions a role or client of this tenant can hold. */
export function permissionsOfTenant(tenantId: string): Permission[] {
  return tenantId === PLATFORM_TENANT_ID ? [...PERMISSIONS] : PERMISSIONS.filter((p) => !isPlatformPermission(p));
}

/** The built-in role every tenant starts with whose holders the tenant cannot lose all of. */
export const ADMIN_ROLE = 'admin';

/** The built-in `admin` and `member` roles of a tenant: its admin holds every permission the tenant can hold. */
export function builtInRolesOf(tenantId: string) {
  return [
    {
      name: ADMIN_ROLE,
      description: 'Manages the tenant: users, roles, clients, sessions, audit log',
      permissions: permissionsOfTenant(tenantId),
    },
    { name: 'member', description: 'Signs in; no administrative rights', permissions: [] as Permission[] },
  ];
}

export const isPermission = (value: string): value is Permission => (PERMISSIONS as readonly string[]).includes(value);

/**
 * Who grants permissions through the admin API: the permissions it holds in the target tenant, and the user
 * behind it (none for a client token). The CLI passes no grantor: whoever runs it owns the database anyway.
 */
export interface Grantor {
  permissions: ReadonlySet<Permission>;
  userId?: string | undefined;
}

/** The permissions among `asked` the grantor does not hold (none without a grantor). */
export function permissionsNotHeld(grantor: Grantor | undefined, asked: Iterable<string>): string[] {
  if (!grantor) return [];
  return [...new Set(asked)].filter((p) => !isPermission(p) || !grantor.permissions.has(p)).sort();
}

/** The admin permissions a client-credentials token carries: the permission strings among its scopes. */
export function permissionsOfScope(scope: string | undefined): Permission[] {
  return (scope ?? '').split(' ').filter(isPermission);
}
