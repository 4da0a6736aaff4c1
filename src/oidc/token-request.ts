// What one request to oidc-provider carries between our hooks — the adapter, findAccount, the token claims and the
// bookkeeping after the response — as one typed object, created when the request enters the provider
// (index.ts) and found again from the request's context. oidc-provider calls its adapter with ids only, so this is
// how the adapter learns what else it must write (the refresh's audit event) without importing audit or HTTP code.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { NewAuditEvent } from '../db/queries/audit-events.ts';
import type { OidcPayloadRow } from '../db/queries/oidc-payloads.ts';
import type { GrantSession } from '../db/queries/sessions.ts';
import type { UserWithRoleNames } from '../db/queries/users.ts';

/** A refresh token this request redeems, whose consume waits for its successor's save (one statement for both). */
export interface DeferredConsume {
  /** The token's stored (hashed) id. */
  storedId: string;
  /** A retry within the reuse interval: the unused successor the new token replaces (stored id). */
  supersedes?: string;
}

export interface TokenRequest {
  /** Set by `consume` at the token endpoint, taken by the `upsert` of the successor that follows it. */
  deferredConsume: DeferredConsume | undefined;
  /** Retries within the reuse interval found by `find`, by the token's stored id: the successor each would replace. */
  reusable: Map<string, string>;
  /** Grant rows read together with a refresh token, by grant id (undefined: not live); each is read once. */
  prefetchedGrants: Map<string, OidcPayloadRow | undefined>;
  /** The Gatehouse session of a grant, read once per request (token claims and the refresh audit both need it). */
  grantSessions: Map<string, Promise<GrantSession | undefined>>;
  /** Users (with roles) read along with a refresh token, by `tenant:user`; findAccount takes each once. */
  rememberedAccounts: Map<string, UserWithRoleNames>;
  /** Roles findAccount read with the user, by `tenant:user`, for the access token's `roles` claim. */
  accountRoles: Map<string, string[]>;
  /** The audit event of this request's refresh, which the rotation writes in its own statement. */
  refreshAudit: ((grantId: string | undefined) => Promise<NewAuditEvent>) | undefined;
  /** Set once the rotation statement wrote the refresh's audit event. */
  refreshAudited: boolean;
  /** Writes the response must wait for (grant revocations, audit events of refused grants). */
  writes: Promise<unknown>[];
}

const KEY = Symbol('gatehouse.tokenRequest');

function newTokenRequest(): TokenRequest {
  return {
    deferredConsume: undefined,
    reusable: new Map(),
    prefetchedGrants: new Map(),
    grantSessions: new Map(),
    rememberedAccounts: new Map(),
    accountRoles: new Map(),
    refreshAudit: undefined,
    refreshAudited: false,
    writes: [],
  };
}

type WithState = Pick<KoaContextWithOIDC, 'state'>;

/** Called once as the request enters the provider, with what the adapter must be able to write. */
export function beginTokenRequest(ctx: WithState, init: Pick<TokenRequest, 'refreshAudit'>): TokenRequest {
  const request = { ...newTokenRequest(), ...init };
  (ctx.state as Record<symbol, TokenRequest>)[KEY] = request;
  return request;
}

/** The request's object (a fresh one outside the provider's middleware, e.g. an interaction route's findAccount). */
export function tokenRequestOf(ctx: WithState): TokenRequest {
  const state = ctx.state as Record<symbol, TokenRequest | undefined>;
  return (state[KEY] ??= newTokenRequest());
}
