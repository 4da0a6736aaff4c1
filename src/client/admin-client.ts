// AdminClient: the admin API (/api/v1/admin, docs/api.md) for a signed-in tenant admin or platform operator. It rides
// on an AuthClient, so it shares its tokens, its one-refresh-on-TOKEN_EXPIRED and its backoff on 429. Each method is
// one operation of the OpenAPI document (operations.ts); answers are the envelope's `data`.
import type { AuthClient } from './auth-client.ts';
import { ADMIN_OPERATIONS, ADMIN_PREFIX, fillPath, type AdminOperationId } from './operations.ts';
import type {
  AdminApiResource,
  AdminClientRecord,
  AdminRole,
  AdminTenant,
  AdminUser,
  ApiResourceInput,
  AuditEvent,
  ClientInput,
  OutboxMessage,
  Page,
  Session,
  TenantSettings,
} from './types.ts';

type Query = Record<string, string | number | undefined>;
type PageQuery = { limit?: number; cursor?: string };

export class AdminClient {
  readonly #auth: AuthClient;

  /** `new AdminClient(auth)` after `auth.login(…)` as a user whose roles carry admin permissions. */
  constructor(auth: AuthClient) {
    this.#auth = auth;
  }

  #op<T>(id: AdminOperationId, options: { params?: Record<string, string>; body?: unknown; query?: Query } = {}): Promise<T> {
    const { method, path } = ADMIN_OPERATIONS[id];
    return this.#auth.request<T>(method, `${ADMIN_PREFIX}${fillPath(path, options.params)}`, {
      ...(options.body !== undefined && { body: options.body }),
      ...(options.query && { query: options.query }),
    });
  }

  // Tenants (platform operators only)
  listTenants(query: PageQuery = {}): Promise<Page<'tenants', AdminTenant>> {
    return this.#op('listTenants', { query });
  }
  createTenant(input: TenantSettings & { id: string; name: string }): Promise<{ tenant: AdminTenant }> {
    return this.#op('createTenant', { body: input });
  }
  getTenant(tenantId: string): Promise<{ tenant: AdminTenant }> {
    return this.#op('getTenant', { params: { tenantId } });
  }
  updateTenant(tenantId: string, changes: TenantSettings): Promise<{ tenant: AdminTenant }> {
    return this.#op('updateTenant', { params: { tenantId }, body: changes });
  }
  suspendTenant(tenantId: string): Promise<{ tenant: AdminTenant }> {
    return this.#op('suspendTenant', { params: { tenantId } });
  }
  activateTenant(tenantId: string): Promise<{ tenant: AdminTenant }> {
    return this.#op('activateTenant', { params: { tenantId } });
  }

  // Users
  listUsers(query: PageQuery & { search?: string; status?: 'active' | 'disabled' } = {}): Promise<Page<'users', AdminUser>> {
    return this.#op('listUsers', { query });
  }
  createUser(input: { email: string; password: string; username?: string; emailVerified?: boolean; roles?: string[] }): Promise<{
    user: AdminUser;
  }> {
    return this.#op('createUser', { body: input });
  }
  getUser(userId: string): Promise<{ user: AdminUser }> {
    return this.#op('getUser', { params: { userId } });
  }
  updateUser(userId: string, changes: { email?: string; username?: string | null; emailVerified?: boolean }): Promise<{ user: AdminUser }> {
    return this.#op('updateUser', { params: { userId }, body: changes });
  }
  disableUser(userId: string): Promise<{ user: AdminUser; sessionsEnded: number }> {
    return this.#op('disableUser', { params: { userId } });
  }
  enableUser(userId: string): Promise<{ user: AdminUser }> {
    return this.#op('enableUser', { params: { userId } });
  }
  unlockUser(userId: string): Promise<{ user: AdminUser }> {
    return this.#op('unlockUser', { params: { userId } });
  }
  resetUserMfa(userId: string): Promise<{ user: AdminUser }> {
    return this.#op('resetUserMfa', { params: { userId } });
  }
  setUserRoles(userId: string, roles: string[]): Promise<{ user: AdminUser }> {
    return this.#op('setUserRoles', { params: { userId }, body: { roles } });
  }
  listUserSessions(userId: string): Promise<{ sessions: Session[] }> {
    return this.#op('listUserSessions', { params: { userId } });
  }
  endUserSessions(userId: string): Promise<{ ended: number }> {
    return this.#op('endUserSessions', { params: { userId } });
  }
  endUserSession(userId: string, sessionId: string): Promise<{ sessionId: string }> {
    return this.#op('endUserSession', { params: { userId, sessionId } });
  }

  /** What the caller may do in the target tenant (a member gets an empty list). */
  myPermissions(): Promise<{
    tenantId: string;
    actorTenantId: string;
    actor: { type: 'user' | 'client'; id: string };
    platformOperator: boolean;
    permissions: string[];
  }> {
    return this.#op('getMyPermissions');
  }

  // Roles
  listPermissions(): Promise<{ permissions: string[] }> {
    return this.#op('listPermissions');
  }
  listRoles(): Promise<{ roles: AdminRole[] }> {
    return this.#op('listRoles');
  }
  createRole(input: { name: string; description?: string; permissions?: string[] }): Promise<{ role: AdminRole }> {
    return this.#op('createRole', { body: input });
  }
  updateRole(name: string, changes: { description?: string; permissions?: string[] }): Promise<{ role: AdminRole }> {
    return this.#op('updateRole', { params: { name }, body: changes });
  }
  deleteRole(name: string): Promise<{ name: string }> {
    return this.#op('deleteRole', { params: { name } });
  }

  // Clients
  listClients(query: PageQuery = {}): Promise<Page<'clients', AdminClientRecord>> {
    return this.#op('listClients', { query });
  }
  /** `clientSecret` is in the answer once, for a confidential client. */
  createClient(input: ClientInput & { name: string; public?: boolean }): Promise<{ client: AdminClientRecord; clientSecret?: string }> {
    return this.#op('createClient', { body: input });
  }
  getClient(clientId: string): Promise<{ client: AdminClientRecord }> {
    return this.#op('getClient', { params: { clientId } });
  }
  updateClient(clientId: string, changes: ClientInput): Promise<{ client: AdminClientRecord }> {
    return this.#op('updateClient', { params: { clientId }, body: changes });
  }
  rotateClientSecret(clientId: string): Promise<{ client: AdminClientRecord; clientSecret: string }> {
    return this.#op('rotateClientSecret', { params: { clientId } });
  }
  deleteClient(clientId: string): Promise<{ clientId: string }> {
    return this.#op('deleteClient', { params: { clientId } });
  }
  /** A token for RFC 7591 dynamic registration at /oauth2/register. */
  createInitialAccessToken(input: { expiresIn?: number } = {}): Promise<{ initialAccessToken: string; expiresAt: string }> {
    return this.#op('createInitialAccessToken', { body: input });
  }

  // API resources and the scopes clients may ask for on them
  listApiResources(): Promise<{ apiResources: AdminApiResource[] }> {
    return this.#op('listApiResources');
  }
  createApiResource(input: ApiResourceInput & { identifier: string; name: string }): Promise<{ apiResource: AdminApiResource }> {
    return this.#op('createApiResource', { body: input });
  }
  getApiResource(resourceId: string): Promise<{ apiResource: AdminApiResource }> {
    return this.#op('getApiResource', { params: { resourceId } });
  }
  updateApiResource(resourceId: string, changes: ApiResourceInput): Promise<{ apiResource: AdminApiResource }> {
    return this.#op('updateApiResource', { params: { resourceId }, body: changes });
  }
  deleteApiResource(resourceId: string): Promise<{ resourceId: string }> {
    return this.#op('deleteApiResource', { params: { resourceId } });
  }
  listClientResourceScopes(
    clientId: string,
  ): Promise<{ resources: Array<{ resourceId: string; identifier: string; name: string; scopes: string[] }> }> {
    return this.#op('listClientResourceScopes', { params: { clientId } });
  }
  /** Replaces the scopes of one API resource the client may ask for; `[]` takes them all away. */
  setClientResourceScopes(clientId: string, resourceId: string, scopes: string[]): Promise<{ resourceId: string; scopes: string[] }> {
    return this.#op('setClientResourceScopes', { params: { clientId, resourceId }, body: { scopes } });
  }

  // Audit log, IP blocks, mail outbox
  listAuditEvents(
    query: PageQuery & { type?: string; userId?: string; clientId?: string; from?: string; to?: string } = {},
  ): Promise<Page<'events', AuditEvent>> {
    return this.#op('listAuditEvents', { query });
  }
  listIpBlocks(): Promise<{ ipBlocks: Array<{ id: string; ip: string; reason: string; createdAt: string; expiresAt: string }> }> {
    return this.#op('listIpBlocks');
  }
  liftIpBlock(ip: string): Promise<{ ip: string; lifted: number }> {
    return this.#op('liftIpBlock', { params: { ip } });
  }
  listOutbox(query: { to?: string; limit?: number } = {}): Promise<{ messages: OutboxMessage[] }> {
    return this.#op('listOutbox', { query });
  }
}
