// Permission strings and the built-in roles every tenant starts with (SPEC §3).

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
  'ip-blocks:read',
  'ip-blocks:write',
  'outbox:read',
  'tenant:read',
  'tenant:write',
] as const;

export const BUILT_IN_ROLES = [
  { name: 'admin', description: 'Manages the tenant: users, roles, clients, sessions, audit log', permissions: [...PERMISSIONS] },
  { name: 'member', description: 'Signs in; no administrative rights', permissions: [] as string[] },
] as const;
