// Every endpoint the SDK calls, by the OpenAPI operationId the server publishes at /docs/openapi.json, with its method
// and path (OpenAPI style, `{param}`). test/client/sdk-openapi.test.ts compares both tables with the served document
// in both directions, so the SDK cannot miss an endpoint or call one that is gone.

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
}

export const AUTH_PREFIX = '/api/v1/auth';
export const ADMIN_PREFIX = '/api/v1/admin';

export const AUTH_OPERATIONS = {
  login: { method: 'POST', path: '/login' },
  verifyMfa: { method: 'POST', path: '/mfa/verify' },
  enrollMfaDuringSignIn: { method: 'POST', path: '/mfa/enroll' },
  getMfaStatus: { method: 'GET', path: '/mfa' },
  enrollTotp: { method: 'POST', path: '/mfa/totp/enroll' },
  activateTotp: { method: 'POST', path: '/mfa/totp/activate' },
  regenerateBackupCodes: { method: 'POST', path: '/mfa/backup-codes' },
  disableMfa: { method: 'POST', path: '/mfa/disable' },
  refresh: { method: 'POST', path: '/refresh' },
  logout: { method: 'POST', path: '/logout' },
  me: { method: 'GET', path: '/me' },
  listSessions: { method: 'GET', path: '/sessions' },
  endSession: { method: 'DELETE', path: '/sessions/{id}' },
  endOtherSessions: { method: 'DELETE', path: '/sessions' },
  register: { method: 'POST', path: '/register' },
  verifyEmail: { method: 'POST', path: '/verify-email' },
  forgotPassword: { method: 'POST', path: '/password/forgot' },
  resetPassword: { method: 'POST', path: '/password/reset' },
  reauthenticate: { method: 'POST', path: '/reauthenticate' },
  changePassword: { method: 'POST', path: '/password/change' },
  changeEmail: { method: 'POST', path: '/email/change' },
  resendVerificationEmail: { method: 'POST', path: '/verify-email/resend' },
  listConnectedApps: { method: 'GET', path: '/apps' },
  revokeConnectedApp: { method: 'DELETE', path: '/apps/{clientId}' },
  securityActivity: { method: 'GET', path: '/activity' },
} as const satisfies Record<string, Operation>;

export const ADMIN_OPERATIONS = {
  listTenants: { method: 'GET', path: '/tenants' },
  createTenant: { method: 'POST', path: '/tenants' },
  getTenant: { method: 'GET', path: '/tenants/{tenantId}' },
  updateTenant: { method: 'PATCH', path: '/tenants/{tenantId}' },
  suspendTenant: { method: 'POST', path: '/tenants/{tenantId}/suspend' },
  activateTenant: { method: 'POST', path: '/tenants/{tenantId}/activate' },
  listUsers: { method: 'GET', path: '/users' },
  createUser: { method: 'POST', path: '/users' },
  getUser: { method: 'GET', path: '/users/{userId}' },
  updateUser: { method: 'PATCH', path: '/users/{userId}' },
  disableUser: { method: 'POST', path: '/users/{userId}/disable' },
  enableUser: { method: 'POST', path: '/users/{userId}/enable' },
  unlockUser: { method: 'POST', path: '/users/{userId}/unlock' },
  resetUserMfa: { method: 'DELETE', path: '/users/{userId}/mfa' },
  setUserRoles: { method: 'PUT', path: '/users/{userId}/roles' },
  listUserSessions: { method: 'GET', path: '/users/{userId}/sessions' },
  endUserSessions: { method: 'DELETE', path: '/users/{userId}/sessions' },
  endUserSession: { method: 'DELETE', path: '/users/{userId}/sessions/{sessionId}' },
  getMyPermissions: { method: 'GET', path: '/me/permissions' },
  listPermissions: { method: 'GET', path: '/permissions' },
  listRoles: { method: 'GET', path: '/roles' },
  createRole: { method: 'POST', path: '/roles' },
  updateRole: { method: 'PATCH', path: '/roles/{name}' },
  deleteRole: { method: 'DELETE', path: '/roles/{name}' },
  listClients: { method: 'GET', path: '/clients' },
  createClient: { method: 'POST', path: '/clients' },
  getClient: { method: 'GET', path: '/clients/{clientId}' },
  updateClient: { method: 'PATCH', path: '/clients/{clientId}' },
  rotateClientSecret: { method: 'POST', path: '/clients/{clientId}/secret' },
  deleteClient: { method: 'DELETE', path: '/clients/{clientId}' },
  createInitialAccessToken: { method: 'POST', path: '/initial-access-tokens' },
  listApiResources: { method: 'GET', path: '/api-resources' },
  createApiResource: { method: 'POST', path: '/api-resources' },
  getApiResource: { method: 'GET', path: '/api-resources/{resourceId}' },
  updateApiResource: { method: 'PATCH', path: '/api-resources/{resourceId}' },
  deleteApiResource: { method: 'DELETE', path: '/api-resources/{resourceId}' },
  listClientResourceScopes: { method: 'GET', path: '/clients/{clientId}/resource-scopes' },
  setClientResourceScopes: { method: 'PUT', path: '/clients/{clientId}/resource-scopes/{resourceId}' },
  listAuditEvents: { method: 'GET', path: '/audit-events' },
  listIpBlocks: { method: 'GET', path: '/ip-blocks' },
  liftIpBlock: { method: 'DELETE', path: '/ip-blocks/{ip}' },
  listOutbox: { method: 'GET', path: '/outbox' },
} as const satisfies Record<string, Operation>;

export type AuthOperationId = keyof typeof AUTH_OPERATIONS;
export type AdminOperationId = keyof typeof ADMIN_OPERATIONS;

/** `/users/{userId}` with `{ userId: 'a b' }` → `/users/a%20b`. */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
