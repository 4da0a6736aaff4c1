// OAuth clients: registration (admin API, CLI, /oauth2/register) with validated redirect URIs and scopes, changes,
// secret rotation, deletion. The secret is generated (256 bits), shown once and stored only as HMAC-SHA-256 under
// a server-side key (docs/security.md). Every change is one function here, audited in the same transaction.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { ServiceDeps } from '../context.ts';
import {
  deleteClientById,
  findClientById,
  findClientsPage,
  insertClient,
  updateClientById,
  type ClientRecord,
} from '../db/queries/clients.ts';
import { findLiveGrantIdsOfClient } from '../db/queries/oidc-payloads.ts';
import { findLiveSessionGrantIdsOfClient } from '../db/queries/sessions.ts';
import { AppError } from '../errors/app-error.ts';
import { parseOrThrow } from '../errors/validation.ts';
import { apiClientId } from './api-client.ts';
import { isConsoleClientId } from './console-client.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { decodeCursor, toPage, type Page } from './pagination.ts';
import { permissionsOfScope, PERMISSIONS, PLATFORM_PERMISSIONS, PLATFORM_TENANT_ID, type Permission } from './permissions.ts';
import { deriveKey } from './secrets.ts';
import { getTenant } from './tenants.ts';
import { SIGNING_ALGS } from './signing-keys.ts';

/** The device authorization grant (RFC 8628 §3.4), for input-constrained devices; allowed per client like the others. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT_TYPE] as const;

/**
 * How a client's ID tokens are signed (`id_token_signed_response_alg`). ES256 is the default for clients made here:
 * an RS256 signature costs as much CPU as the rest of a refresh. RS256 stays for relying parties that need it, and
 * is what a client registered before ES256 became the default (or at /oauth2/register without asking) gets; EdDSA
 * (Ed25519) is offered too. Each is an algorithm every key generation holds a key for (signing-keys.ts).
 */
export const ID_TOKEN_SIGNING_ALGS = SIGNING_ALGS;

/**
 * How a confidential client authenticates at the token, PAR, introspection and revocation endpoints; a public client
 * uses `none`. private_key_jwt (RFC 7523, OIDC Core §9) needs the client's public keys, inline or at a URL, and no
 * secret. client_secret_jwt is not offered: secrets are stored hashed.
 */
export const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** How JARM responses (`response_mode=jwt`) are signed: RS256 is the JARM default; every key generation signs all three. */
export const AUTHORIZATION_SIGNING_ALGS = SIGNING_ALGS;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Absolute, no fragment, https except for loopback (RFC 6749 §3.1.2, RFC 8252 §7.3). */
export const redirectUriSchema = z.string().refine(
  (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.hash || value.includes('#')) return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  },
  { params: { constraint: 'URL_FORMAT' } },
);

/** The OpenID Connect scopes a client can be allowed (docs/security.md); permission strings are the other kind. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** What a client may ask for when its registration names no scope. */
export const DEFAULT_CLIENT_SCOPE = OIDC_SCOPES.join(' ');

const KNOWN_SCOPES: ReadonlySet<string> = new Set<string>([...OIDC_SCOPES, ...PERMISSIONS]);

/**
 * Space-separated scope tokens (RFC 6749 §3.3), each an OpenID Connect scope or a permission string; permissions
 * only reach client_credentials tokens (the admin API reads them as the client's permissions).
 */
export const clientScopeSchema = z
  .string()
  .refine((value) => /^[^ ]+( [^ ]+)*$/.test(value) && value.split(' ').every((token) => KNOWN_SCOPES.has(token)), {
    params: { constraint: 'SCOPE' },
  });

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** A client's public signing keys (RFC 7517): asymmetric, no private members, each with a kid. */
export const clientJwksSchema = z
  .object({
    keys: z
      .array(
        z
          .object({ kty: z.enum(['RSA', 'EC', 'OKP']), kid: z.string().min(1).max(200) })
          .catchall(z.unknown())
          .refine((jwk) => PRIVATE_JWK_MEMBERS.every((member) => !(member in jwk)), { params: { constraint: 'PUBLIC_KEYS_ONLY' } }),
      )
      .min(1)
      .max(10),
  })
  .strict();

/**
 * Where the client publishes its keys: an https URL without a fragment. The server itself fetches it, so unlike a
 * redirect URI it may not be plain http, not even on loopback (that would let a client make the server call itself).
 */
export const jwksUriSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && !url.hash && !value.includes('#') && !url.username && !url.password;
    } catch {
      return false;
    }
  },
  { params: { constraint: 'URL_FORMAT' } },
);

const clientFields = z.object({
  name: z.string().trim().min(1).max(200),
  redirectUris: z.array(redirectUriSchema).max(50).default([]),
  postLogoutRedirectUris: z.array(redirectUriSchema).max(50).default([]),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).default(['authorization_code', 'refresh_token']),
  scope: clientScopeSchema.default(DEFAULT_CLIENT_SCOPE),
  public: z.boolean().default(false),
  firstParty: z.boolean().default(false),
  idTokenSigningAlg: z.enum(ID_TOKEN_SIGNING_ALGS).default('ES256'),
  authMethod: z.enum(CONFIDENTIAL_AUTH_METHODS).default('client_secret_basic'),
  jwks: clientJwksSchema.nullable().default(null),
  jwksUri: jwksUriSchema.nullable().default(null),
  dpopBoundAccessTokens: z.boolean().default(false),
  requireSignedRequestObject: z.boolean().default(false),
  authorizationSignedResponseAlg: z.enum(AUTHORIZATION_SIGNING_ALGS).default('RS256'),
  // OpenID Connect Back-Channel Logout 1.0 §2.2: where logout tokens are POSTed, and whether they must carry `sid`.
  backchannelLogoutUri: redirectUriSchema.nullable().default(null),
  backchannelLogoutSessionRequired: z.boolean().default(false),
});

type ClientShape = {
  redirectUris: string[];
  grantTypes: string[];
  public: boolean;
  authMethod: string;
  jwks: unknown;
  jwksUri: string | null;
  requireSignedRequestObject: boolean;
};

/** Rules across fields, checked on registration and again on the result of every change. */
function withClientRules<S extends z.ZodType<ClientShape>>(schema: S) {
  return (
    schema
      .refine((c) => !c.grantTypes.includes('authorization_code') || c.redirectUris.length > 0, {
        path: ['redirectUris'],
        params: { constraint: 'MIN_ITEMS' },
      })
      .refine((c) => !(c.public && c.grantTypes.includes('client_credentials')), {
        path: ['grantTypes'],
        params: { constraint: 'PUBLIC_CLIENT_CREDENTIALS' },
      })
      .refine((c) => !(c.public && c.authMethod === 'private_key_jwt'), { path: ['authMethod'], params: { constraint: 'PUBLIC_CLIENT' } })
      .refine((c) => c.jwks === null || c.jwksUri === null, { path: ['jwksUri'], params: { constraint: 'JWKS_OR_JWKS_URI' } })
      .refine((c) => c.public || c.authMethod !== 'private_key_jwt' || c.jwks !== null || c.jwksUri !== null, {
        path: ['jwks'],
        params: { constraint: 'REQUIRED' },
      })
      // A signed request object is verified with the client's keys: none registered, none could ever be accepted.
      .refine((c) => !c.requireSignedRequestObject || c.jwks !== null || c.jwksUri !== null, {
        path: ['jwks'],
        params: { constraint: 'REQUIRED' },
      })
  );
}

/** The body of a registration through the admin API (the tenant comes from the request). */
export const newClientBodySchema = withClientRules(clientFields);

const newClientSchema = withClientRules(clientFields.extend({ tenantId: z.string().min(1) }));

/** What the admin API may change; a client's public/confidential kind is fixed at registration. */
export const clientChangesSchema = z.object({
  name: clientFields.shape.name.optional(),
  redirectUris: z.array(redirectUriSchema).max(50).optional(),
  postLogoutRedirectUris: z.array(redirectUriSchema).max(50).optional(),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).optional(),
  scope: clientScopeSchema.optional(),
  firstParty: z.boolean().optional(),
  idTokenSigningAlg: z.enum(ID_TOKEN_SIGNING_ALGS).optional(),
  jwks: clientJwksSchema.nullable().optional(),
  jwksUri: jwksUriSchema.nullable().optional(),
  dpopBoundAccessTokens: z.boolean().optional(),
  requireSignedRequestObject: z.boolean().optional(),
  authorizationSignedResponseAlg: z.enum(AUTHORIZATION_SIGNING_ALGS).optional(),
  /** null removes it: the client gets no more logout tokens. */
  backchannelLogoutUri: redirectUriSchema.nullable().optional(),
  backchannelLogoutSessionRequired: z.boolean().optional(),
});

export type ClientChanges = z.output<typeof clientChangesSchema>;

/**
 * Who hands out permission scopes through the admin API: only permissions it holds itself (no escalation). The
 * CLI passes none: whoever runs it owns the database anyway.
 */
export interface ScopeGrantor {
  permissions: ReadonlySet<Permission>;
}

export type NewClientInput = z.input<typeof newClientSchema>;

export interface CreatedClient {
  client: ClientRecord;
  /** The plain secret of a confidential client: returned once, never stored. */
  clientSecret: string | undefined;
}

/**
 * oidc-provider's snake_case metadata for these settings (the authentication method is fixed at registration, so
 * it is written there). Keys that are not set are absent, not null: oidc-provider's client schema refuses nulls.
 */
function clientMetadata(values: {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  scope: string;
  idTokenSigningAlg: string;
  jwks: unknown;
  jwksUri: string | null;
  dpopBoundAccessTokens: boolean;
  requireSignedRequestObject: boolean;
  authorizationSignedResponseAlg: string;
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
}): Record<string, unknown> {
  return {
    // Undefined drops the key from the stored JSON, so removing the URI removes it from the metadata.
    backchannel_logout_uri: values.backchannelLogoutUri ?? undefined,
    backchannel_logout_session_required: values.backchannelLogoutSessionRequired,
    client_name: values.name,
    redirect_uris: values.redirectUris,
    post_logout_redirect_uris: values.postLogoutRedirectUris,
    grant_types: values.grantTypes,
    response_types: values.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: values.scope,
    id_token_signed_response_alg: values.idTokenSigningAlg,
    jwks: values.jwks ?? undefined,
    jwks_uri: values.jwksUri ?? undefined,
    dpop_bound_access_tokens: values.dpopBoundAccessTokens,
    require_signed_request_object: values.requireSignedRequestObject,
    authorization_signed_response_alg: values.authorizationSignedResponseAlg,
  };
}

export async function createClient(
  deps: ServiceDeps,
  input: NewClientInput,
  meta: AuditMeta,
  grantor?: ScopeGrantor,
): Promise<CreatedClient> {
  const values = parseOrThrow(newClientSchema, input);
  await getTenant(deps, values.tenantId);
  assertScopeGrantable(values.tenantId, permissionsOfScope(values.scope), grantor);
  const clientId = `${values.tenantId}_${randomBytes(16).toString('base64url')}`;
  const authMethod = values.public ? 'none' : values.authMethod;
  // A private_key_jwt client proves itself with its keys: it gets no secret at all.
  const clientSecret = authMethod === 'none' || authMethod === 'private_key_jwt' ? undefined : generateClientSecret();
  return deps.db.transaction(async (trx) => {
    const client = await insertClient(trx, {
      clientId,
      tenantId: values.tenantId,
      name: values.name,
      secretHash: clientSecret ? hashClientSecret(deps.config.secretKey, clientSecret) : null,
      firstParty: values.firstParty,
      metadata: { ...clientMetadata(values), token_endpoint_auth_method: authMethod },
    });
    await recordAudit(
      trx,
      {
        tenantId: values.tenantId,
        type: 'client.created',
        clientId,
        subjectId: clientId,
        data: { name: values.name, public: values.public, scope: values.scope, authMethod },
      },
      meta,
    );
    return { client, clientSecret };
  });
}

/**
 * Permission scopes make a client an admin of its tenant through client_credentials, so handing them out is
 * itself an admin act: only permissions the grantor holds, and the cross-tenant ones only to platform clients.
 */
function assertScopeGrantable(tenantId: string, asked: readonly Permission[], grantor: ScopeGrantor | undefined): void {
  const notHeld = grantor ? asked.filter((p) => !grantor.permissions.has(p)) : [];
  if (notHeld.length > 0) throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: `cannot grant ${notHeld.join(' ')}` });
  if (tenantId !== PLATFORM_TENANT_ID && asked.some((p) => PLATFORM_PERMISSIONS.includes(p))) {
    throw new AppError('INVALID_FORMAT', { field: 'scope', constraint: 'PLATFORM_SCOPE', detail: 'platform permissions outside platform' });
  }
}

/** What an admin sees of a client: its settings, never the secret or its hash. */
export function presentClient(client: ClientRecord) {
  const m = client.metadata as {
    redirect_uris?: string[];
    post_logout_redirect_uris?: string[];
    grant_types?: string[];
    scope?: string;
    token_endpoint_auth_method?: string;
    id_token_signed_response_alg?: (typeof ID_TOKEN_SIGNING_ALGS)[number];
    jwks?: z.output<typeof clientJwksSchema>;
    jwks_uri?: string;
    dpop_bound_access_tokens?: boolean;
    require_signed_request_object?: boolean;
    authorization_signed_response_alg?: (typeof AUTHORIZATION_SIGNING_ALGS)[number];
    backchannel_logout_uri?: string;
    backchannel_logout_session_required?: boolean;
  };
  const authMethod = m.token_endpoint_auth_method ?? 'client_secret_basic';
  return {
    clientId: client.clientId,
    tenantId: client.tenantId,
    name: client.name,
    public: authMethod === 'none',
    // What a public client uses is `none`; a confidential one is one of CONFIDENTIAL_AUTH_METHODS.
    authMethod: authMethod as 'none' | (typeof CONFIDENTIAL_AUTH_METHODS)[number],
    firstParty: client.firstParty,
    builtIn: client.clientId === apiClientId(client.tenantId) || isConsoleClientId(client.tenantId, client.clientId),
    redirectUris: m.redirect_uris ?? [],
    postLogoutRedirectUris: m.post_logout_redirect_uris ?? [],
    grantTypes: m.grant_types ?? ['authorization_code'],
    scope: m.scope ?? '',
    // oidc-provider's default for a client that names none (OpenID Connect Dynamic Client Registration §2).
    idTokenSigningAlg: m.id_token_signed_response_alg ?? 'RS256',
    jwks: m.jwks ?? null,
    jwksUri: m.jwks_uri ?? null,
    dpopBoundAccessTokens: m.dpop_bound_access_tokens ?? false,
    requireSignedRequestObject: m.require_signed_request_object ?? false,
    // oidc-provider's (and JARM's) default for a client that names none.
    authorizationSignedResponseAlg: m.authorization_signed_response_alg ?? 'RS256',
    backchannelLogoutUri: m.backchannel_logout_uri ?? null,
    backchannelLogoutSessionRequired: m.backchannel_logout_session_required === true,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  };
}

export type AdminClientView = ReturnType<typeof presentClient>;

export async function listClients(
  deps: ServiceDeps,
  tenantId: string,
  page: { cursor?: string | undefined; limit: number },
): Promise<Page<AdminClientView>> {
  const afterId = decodeCursor(page.cursor, 1)?.[0];
  const rows = await findClientsPage(deps.db, tenantId, { afterId, limit: page.limit + 1 });
  const result = toPage(rows, page.limit, (c) => [c.clientId]);
  return { items: result.items.map(presentClient), nextCursor: result.nextCursor };
}

/** A client of this tenant; another tenant's client is NOT_FOUND as well, so ids reveal nothing. */
export type { ClientRecord } from '../db/queries/clients.ts';

/** A client of the tenant, or undefined (the admin guard's lookup of a client_credentials token's client). */
export function findClient(deps: Pick<ServiceDeps, 'db'>, tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
  return findClientById(deps.db, tenantId, clientId);
}

export async function getClient(deps: ServiceDeps, tenantId: string, clientId: string): Promise<ClientRecord> {
  const client = await findClientById(deps.db, tenantId, clientId);
  if (!client) throw new AppError('NOT_FOUND', { field: 'clientId', detail: `client ${clientId}` });
  return client;
}

/** The tenant's JSON API and console clients back Gatehouse's own sign-ins: the admin API must not change or remove them. */
function assertNotBuiltIn(tenantId: string, clientId: string): void {
  if (clientId === apiClientId(tenantId) || isConsoleClientId(tenantId, clientId)) {
    throw new AppError('INVALID_FORMAT', { field: 'clientId', constraint: 'BUILT_IN_CLIENT', detail: 'a built-in client is fixed' });
  }
}

/**
 * Runs a change of one client in a transaction, then tells every process's entity cache (after the commit, so
 * no process can reload the old row once it has heard of the change).
 */
async function changeClient<T>(deps: ServiceDeps, clientId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const result = await deps.db.transaction(work);
  await deps.cache?.invalidateClient(clientId);
  return result;
}

export async function updateClient(
  deps: ServiceDeps,
  tenantId: string,
  clientId: string,
  changes: ClientChanges,
  meta: AuditMeta,
  grantor?: ScopeGrantor,
): Promise<ClientRecord> {
  const record = await getClient(deps, tenantId, clientId);
  assertNotBuiltIn(tenantId, clientId);
  const current = presentClient(record);
  // The authentication method is fixed at registration; a public client's `none` is no confidential method.
  const values = parseOrThrow(newClientBodySchema, {
    ...current,
    authMethod: current.authMethod === 'none' ? undefined : current.authMethod,
    ...changes,
  });
  const held = new Set(permissionsOfScope(current.scope));
  assertScopeGrantable(
    tenantId,
    permissionsOfScope(values.scope).filter((p) => !held.has(p)),
    grantor,
  );
  return changeClient(deps, clientId, async (trx) => {
    const client = await updateClientById(trx, tenantId, clientId, {
      name: values.name,
      firstParty: values.firstParty,
      metadata: { ...record.metadata, ...clientMetadata(values) },
    });
    if (!client) throw new AppError('NOT_FOUND', { field: 'clientId', detail: `client ${clientId}` });
    await recordAudit(
      trx,
      { tenantId, type: 'client.updated', clientId, subjectId: clientId, data: { fields: Object.keys(changes) } },
      meta,
    );
    return client;
  });
}

/**
 * A new secret for a confidential client, returned once; the old one stops working with this write. Whoever
 * rotates it can act as the client, so it takes every permission the client holds.
 */
export async function rotateClientSecret(
  deps: ServiceDeps,
  tenantId: string,
  clientId: string,
  meta: AuditMeta,
  grantor?: ScopeGrantor,
): Promise<CreatedClient & { clientSecret: string }> {
  const current = await getClient(deps, tenantId, clientId);
  assertNotBuiltIn(tenantId, clientId);
  if (current.secretHash === null) {
    throw new AppError('INVALID_FORMAT', {
      field: 'clientId',
      constraint: 'NO_CLIENT_SECRET',
      detail: 'the client authenticates without a secret',
    });
  }
  assertScopeGrantable(tenantId, permissionsOfScope(presentClient(current).scope), grantor);
  const clientSecret = generateClientSecret();
  return changeClient(deps, clientId, async (trx) => {
    const client = await updateClientById(trx, tenantId, clientId, { secretHash: hashClientSecret(deps.config.secretKey, clientSecret) });
    if (!client) throw new AppError('NOT_FOUND', { field: 'clientId', detail: `client ${clientId}` });
    await recordAudit(trx, { tenantId, type: 'client.secret_rotated', clientId, subjectId: clientId }, meta);
    return { client, clientSecret };
  });
}

/**
 * Deletes a client; returns the grants still holding its tokens, for the caller to revoke (oidc/grants.ts).
 * Its client_credentials JWTs stop verifying with the row (access-tokens.ts looks the client up).
 */
/** Deletes a client and revokes, through the injected revoker, every grant still holding its tokens. */
export async function deleteClient(
  deps: ServiceDeps & { revokeGrants: (grantIds: readonly string[]) => Promise<void> },
  tenantId: string,
  clientId: string,
  meta: AuditMeta,
): Promise<void> {
  await getClient(deps, tenantId, clientId);
  assertNotBuiltIn(tenantId, clientId);
  const grantIds = await changeClient(deps, clientId, async (trx) => {
    const client = await deleteClientById(trx, tenantId, clientId);
    if (!client) throw new AppError('NOT_FOUND', { field: 'clientId', detail: `client ${clientId}` });
    const grantIds = [
      ...new Set([...(await findLiveSessionGrantIdsOfClient(trx, clientId)), ...(await findLiveGrantIdsOfClient(trx, clientId))]),
    ];
    await recordAudit(
      trx,
      { tenantId, type: 'client.deleted', clientId, subjectId: clientId, data: { name: client.name, grantsRevoked: grantIds.length } },
      meta,
    );
    return grantIds;
  });
  await deps.revokeGrants(grantIds);
}

/**
 * Stores a client registered at /oauth2/register (RFC 7591) from the metadata oidc-provider validated: the
 * tenant was set by the initial access token's policy, and the plain secret (already in the response) is kept
 * only as its keyed hash. A client without a client_name is named by its id.
 */
export async function registerClient(deps: ServiceDeps, metadata: Record<string, unknown>, meta: AuditMeta): Promise<ClientRecord> {
  const { client_id: clientId, client_secret: secret, tenant_id: tenantId, first_party: _firstParty, ...rest } = metadata;
  if (typeof clientId !== 'string' || typeof tenantId !== 'string') throw new TypeError('registered client lacks client_id or tenant_id');
  const name = typeof rest.client_name === 'string' && rest.client_name.trim() ? rest.client_name.trim() : clientId;
  return deps.db.transaction(async (trx) => {
    const client = await insertClient(trx, {
      clientId,
      tenantId,
      name,
      secretHash: typeof secret === 'string' ? hashClientSecret(deps.config.secretKey, secret) : null,
      firstParty: false,
      metadata: rest,
    });
    await recordAudit(
      trx,
      { tenantId, type: 'client.registered', clientId, subjectId: clientId, data: { name, scope: rest.scope ?? null } },
      meta,
    );
    return client;
  });
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(secretKey: string, secret: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'client-secret-hmac')).update(secret).digest('base64url');
}

export function clientSecretMatches(secretKey: string, presented: string, storedHash: string): boolean {
  const actual = Buffer.from(hashClientSecret(secretKey, presented));
  const expected = Buffer.from(storedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
