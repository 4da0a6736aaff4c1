// Durable oidc-provider models in PostgreSQL. `consume` is one conditional UPDATE, so a refresh token is
// redeemed at most once even when two requests race on different processes, and the loser of such a race revokes
// the grant (a race is a reuse). At the token endpoint a refresh token is read together with its grant, the grant's
// session and the account, which the same request reads next, and its rotation (consume the old token, save the new
// one, record the audit event) is one statement. Ids that are bearer secrets are stored as their keyed hash and `jti`
// is left out of the stored payload (token-ids.ts); find puts the id it was given back as `jti`.
import Provider, { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Db } from '../../db/knex.ts';
import {
  consumeOidcPayload,
  deleteExpiredOidcPayloads,
  deleteOidcPayload,
  findOidcPayload,
  findOidcPayloadByUid,
  findOidcPayloadWithGrant,
  revokeGrantEverywhere,
  revokeGrantOfReusedPayload,
  rotateOidcPayload,
  upsertOidcPayload,
  type OidcPayloadRow,
} from '../../db/queries/oidc-payloads.ts';
import { tokenRequestOf, type TokenRequest } from '../token-request.ts';
import type { StoredIdOf } from './token-ids.ts';

export interface PostgresAdapterOptions {
  storedId: StoredIdOf;
  /** REFRESH_REUSE_INTERVAL_SECONDS: how long a rotated refresh token may be retried (0: never). */
  refreshReuseIntervalSeconds?: number;
}

export class PostgresAdapter implements Adapter {
  readonly #db: Db;
  readonly #model: string;
  readonly #storedId: StoredIdOf;
  readonly #reuseInterval: number;

  constructor(db: Db, model: string, options: PostgresAdapterOptions) {
    this.#db = db;
    this.#model = model;
    this.#storedId = options.storedId;
    this.#reuseInterval = options.refreshReuseIntervalSeconds ?? 0;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const { jti: _jti, ...stored } = payload;
    const row = {
      modelName: this.#model,
      id: this.#storedId(this.#model, id),
      payload: stored as Record<string, unknown>,
      ...(payload.grantId !== undefined && { grantId: payload.grantId }),
      ...(payload.uid !== undefined && { uid: payload.uid }),
      expiresAt: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
    };
    const request = this.#tokenEndpointRequest();
    const pending = request?.deferredConsume;
    if (request && pending && request.refreshAudit) {
      request.deferredConsume = undefined;
      const audit = await request.refreshAudit(row.grantId);
      if (
        !(await rotateOidcPayload(this.#db, { modelName: this.#model, id: pending.storedId, supersedes: pending.supersedes }, row, audit))
      ) {
        await this.#refuseReuse(pending.storedId);
      }
      request.refreshAudited = true;
      return;
    }
    await upsertOidcPayload(this.#db, row);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return withJti(await this.#find(this.#storedId(this.#model, id)), id);
  }

  async #find(id: string): Promise<AdapterPayload | undefined> {
    const request = this.#tokenEndpointRequest();
    if (this.#model === 'Grant' && request?.prefetchedGrants.has(id)) {
      const row = request.prefetchedGrants.get(id);
      request.prefetchedGrants.delete(id); // read once: a later lookup in the same request goes to the table again
      return toPayload(row);
    }
    if (this.#model === 'RefreshToken' && request) {
      const found = await findOidcPayloadWithGrant(this.#db, this.#model, id, this.#reuseInterval);
      if (found?.grantId) {
        request.prefetchedGrants.set(found.grantId, found.grant);
        request.grantSessions.set(found.grantId, Promise.resolve(found.session));
      }
      if (found?.account) request.rememberedAccounts.set(`${found.account.tenantId}:${found.account.id}`, found.account);
      if (found?.reusableSuccessor) {
        // A retry within the reuse interval: oidc-provider sees an unspent token and rotates it again; the
        // rotation statement then replaces the successor the lost response carried (rotateOidcPayload).
        request.reusable.set(id, found.reusableSuccessor);
        const { consumed: _consumed, ...unspent } = found.token.payload;
        return unspent as AdapterPayload;
      }
      return toPayload(found?.token);
    }
    return toPayload(await findOidcPayload(this.#db, this.#model, id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return toPayload(await findOidcPayloadByUid(this.#db, this.#model, uid));
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined; // DeviceCode lives in the store
  }

  async consume(presented: string): Promise<void> {
    const id = this.#storedId(this.#model, presented);
    // A rotation at the token endpoint saves the successor right after this (lib/actions/grants/refresh_token.js;
    // test/oidc/refresh-reuse.test.ts pins that order): the consume waits for that save and runs in its statement;
    // settleDeferredConsume runs it alone otherwise.
    const request = this.#tokenEndpointRequest();
    if (this.#model === 'RefreshToken' && request?.refreshAudit && !request.deferredConsume) {
      request.deferredConsume = { storedId: id, supersedes: request.reusable.get(id) };
      return;
    }
    // oidc-provider checks `consumed` before calling this and ignores what it returns: a racing second
    // redemption (or one after the grant was revoked) must throw for the token endpoint to answer invalid_grant.
    if (!(await consumeOidcPayload(this.#db, this.#model, id))) {
      if (this.#model === 'RefreshToken') await this.#refuseReuse(id);
      throw new errors.InvalidGrant(`${this.#model} already consumed or gone`);
    }
  }

  async destroy(id: string): Promise<void> {
    await deleteOidcPayload(this.#db, this.#model, this.#storedId(this.#model, id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // One statement for the grant's every durable token, the grant and session_grants: a revocation (reuse, logout)
    // is never seen half done, and a successor saved just before it is revoked with the rest.
    await revokeGrantEverywhere(this.#db, grantId);
  }

  /**
   * The rotation lost: the token was consumed meanwhile (another request with the same token won the race, or the
   * chain moved on past a retry) — a reuse, so the grant goes, whichever request lost — or it was revoked or expired.
   */
  async #refuseReuse(storedId: string): Promise<never> {
    const grantId = await revokeGrantOfReusedPayload(this.#db, this.#model, storedId);
    if (grantId) throw new errors.InvalidGrant('refresh token already used (concurrent redemption)');
    throw new errors.InvalidGrant(`${this.#model} already consumed or gone`);
  }

  /** The request's state when oidc-provider calls from its token endpoint (the only place a rotation happens). */
  #tokenEndpointRequest(): TokenRequest | undefined {
    const ctx = Provider.ctx;
    return ctx?.oidc?.route === 'token' ? tokenRequestOf(ctx) : undefined;
  }
}

/**
 * Runs a consume that no save followed (the request failed between the two), so a token handed to the token
 * endpoint is spent whatever happened after, as without the deferral. Call once the provider has answered. (When the
 * rotation statement itself fails, it wrote nothing and issued nothing, so the token stays as it was.)
 */
export async function settleDeferredConsume(db: Db, request: TokenRequest): Promise<void> {
  const pending = request.deferredConsume;
  request.deferredConsume = undefined;
  if (pending && !pending.supersedes) await consumeOidcPayload(db, 'RefreshToken', pending.storedId);
}

/** oidc-provider expects `jti` in a payload; it is the id the caller presented, never stored. */
function withJti(payload: AdapterPayload | undefined, id: string): AdapterPayload | undefined {
  return payload && { ...payload, jti: id };
}

function toPayload(row: OidcPayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : (row.payload as AdapterPayload);
}

/** Reclaims the space of expired durable payloads (find() never returns them; this is housekeeping only). */
export function sweepExpiredPayloads(db: Db): Promise<unknown> {
  return deleteExpiredOidcPayloads(db);
}
