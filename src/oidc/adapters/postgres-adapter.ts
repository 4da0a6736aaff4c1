// Durable oidc-provider models in PostgreSQL. `consume` is one conditional UPDATE, so a refresh token is
// redeemed at most once even when two requests race on different processes. At the token endpoint a refresh
// token is read together with its grant, the grant's session and the account, which the same request reads next,
// and its rotation (consume the old token, save the new one, record the audit event) is one statement. Ids that are
// bearer secrets are stored as their keyed hash and `jti` is left out of the stored payload (token-ids.ts); find puts
// the id it was given back as `jti`.
import Provider, { errors, type Adapter, type AdapterPayload, type KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../../db/knex.ts';
import { rememberAccount } from '../account.ts';
import { rememberSessionOfGrant } from '../grant-session.ts';
import { markRefreshAudited, refreshAuditEvent } from '../refresh-audit.ts';
import {
  consumeOidcPayload,
  deleteOidcPayload,
  revokeOidcPayloadsByGrant,
  findOidcPayload,
  findOidcPayloadByUid,
  findOidcPayloadWithGrant,
  rotateOidcPayload,
  upsertOidcPayload,
  type OidcPayloadRow,
} from '../../db/queries/oidc-payloads.ts';
import type { StoredIdOf } from './token-ids.ts';

export class PostgresAdapter implements Adapter {
  readonly #db: Db;
  readonly #model: string;
  readonly #storedId: StoredIdOf;

  constructor(db: Db, model: string, storedId: StoredIdOf) {
    this.#db = db;
    this.#model = model;
    this.#storedId = storedId;
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
    const ctx = Provider.ctx;
    const pending = ctx && takePendingConsume(ctx, this.#model);
    if (pending) {
      const audit = await refreshAuditEvent(this.#db, ctx, row.grantId);
      if (!(await rotateOidcPayload(this.#db, { modelName: this.#model, id: pending }, row, audit)))
        throw new errors.InvalidGrant(`${this.#model} already consumed or gone`);
      markRefreshAudited(ctx);
      return;
    }
    await upsertOidcPayload(this.#db, row);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return withJti(await this.#find(this.#storedId(this.#model, id)), id);
  }

  async #find(id: string): Promise<AdapterPayload | undefined> {
    const ctx = Provider.ctx;
    if (this.#model === 'Grant' && ctx) {
      const prefetched = prefetchedGrants(ctx);
      if (prefetched.has(id)) {
        const row = prefetched.get(id);
        prefetched.delete(id); // read once: a later lookup in the same request goes to the table again
        return toPayload(row);
      }
    }
    if (this.#model === 'RefreshToken' && ctx?.oidc?.route === 'token') {
      const found = await findOidcPayloadWithGrant(this.#db, this.#model, id);
      if (found?.grantId) {
        prefetchedGrants(ctx).set(found.grantId, found.grant);
        rememberSessionOfGrant(ctx, found.grantId, found.session);
      }
      if (found?.account) rememberAccount(ctx, found.account);
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
    // A rotation at the token endpoint saves the successor right after this (lib/actions/grants/refresh_token.js):
    // the consume waits for that save and runs in its statement; settlePendingConsume runs it alone otherwise.
    const ctx = Provider.ctx;
    if (this.#model === 'RefreshToken' && ctx?.oidc?.route === 'token' && !pendingConsumes(ctx).has(this.#model)) {
      pendingConsumes(ctx).set(this.#model, id);
      return;
    }
    // oidc-provider checks `consumed` before calling this and ignores what it returns: a racing second
    // redemption (or one after the grant was revoked) must throw for the token endpoint to answer invalid_grant.
    if (!(await consumeOidcPayload(this.#db, this.#model, id))) throw new errors.InvalidGrant(`${this.#model} already consumed or gone`);
  }

  async destroy(id: string): Promise<void> {
    await deleteOidcPayload(this.#db, this.#model, this.#storedId(this.#model, id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await revokeOidcPayloadsByGrant(this.#db, this.#model, grantId);
  }
}

function pendingConsumes(ctx: KoaContextWithOIDC): Map<string, string> {
  return ((ctx.state.pendingConsumes as Map<string, string> | undefined) ??= new Map());
}

function takePendingConsume(ctx: KoaContextWithOIDC, model: string): string | undefined {
  const pending = ctx.state.pendingConsumes as Map<string, string> | undefined;
  const id = pending?.get(model);
  if (id !== undefined) pending?.delete(model);
  return id;
}

/**
 * Runs a consume that no save followed (the request failed between the two), so a token handed to the token
 * endpoint is spent whatever happened after, as without the deferral. Call once the provider has answered. (When the
 * rotation statement itself fails, it wrote nothing and issued nothing, so the token stays as it was.)
 */
export async function settlePendingConsume(db: Db, ctx: KoaContextWithOIDC): Promise<void> {
  const id = takePendingConsume(ctx, 'RefreshToken');
  if (id !== undefined) await consumeOidcPayload(db, 'RefreshToken', id);
}

/** Grant rows read along with a refresh token in this request, by grant id (undefined: not live). */
function prefetchedGrants(ctx: KoaContextWithOIDC): Map<string, OidcPayloadRow | undefined> {
  return ((ctx.state.prefetchedGrants as Map<string, OidcPayloadRow | undefined> | undefined) ??= new Map());
}

/** oidc-provider expects `jti` in a payload; it is the id the caller presented, never stored. */
function withJti(payload: AdapterPayload | undefined, id: string): AdapterPayload | undefined {
  return payload && { ...payload, jti: id };
}

function toPayload(row: OidcPayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : (row.payload as AdapterPayload);
}
