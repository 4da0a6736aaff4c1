// Short-lived oidc-provider models (codes, interactions, PAR requests) in the TTL store: Redis when configured,
// else process memory. Keys of one record share a Redis Cluster hash slot ({…}) and no command spans two
// records; `consume` is one atomic store step, so a code is redeemed at most once across processes; a
// per-grant index makes revokeByGrantId complete. Secret ids (codes, interaction ids, user codes) appear in keys only as
// their keyed hash and `jti` is left out of the stored value (token-ids.ts), so a copy of Redis grants nothing.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { KvStore } from '../../store/kv-store.ts';
import type { StoredIdOf } from './token-ids.ts';

/**
 * Seals a record's id for the one lookup that does not present it: a device code found by its user code (RFC 8628),
 * which oidc-provider then saves and looks up again by its id. Without SECRET_KEY the sealed id is worthless.
 */
export interface IdSealer {
  seal(id: string): string;
  open(sealed: string): string;
}

/** Used when oidc-provider gives no expiry: nothing in the store may live forever. */
const FALLBACK_TTL_SECONDS = 3600;

export class StoreAdapter implements Adapter {
  readonly #store: KvStore;
  readonly #model: string;
  readonly #storedId: StoredIdOf;
  readonly #sealer: IdSealer | undefined;

  constructor(store: KvStore, model: string, storedId: StoredIdOf, sealer?: IdSealer) {
    this.#store = store;
    this.#model = model;
    this.#storedId = storedId;
    this.#sealer = sealer;
  }

  /** The key of a record by its stored (hashed) id. */
  #key(storedId: string) {
    return `oidc:{${this.#model}:${storedId}}`;
  }

  #consumedKey(id: string) {
    return `${this.#key(id)}:consumed`;
  }

  #grantIndex(grantId: string) {
    return `oidc:grant:{${grantId}}:${this.#model}`;
  }

  #uidIndex(uid: string) {
    return `oidc:uid:${this.#model}:${uid}`;
  }

  #userCodeIndex(userCode: string) {
    return `oidc:usercode:${this.#model}:${this.#storedId(this.#model, userCode)}`;
  }

  async upsert(presented: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const ttl = expiresIn && expiresIn > 0 ? expiresIn : FALLBACK_TTL_SECONDS;
    const id = this.#storedId(this.#model, presented);
    const stored = withoutSecrets(payload, presented);
    if (payload.userCode && this.#sealer) stored[SEALED_ID] = this.#sealer.seal(presented);
    await this.#store.set(this.#key(id), JSON.stringify(stored), ttl);
    if (payload.grantId) await this.#store.setAdd(this.#grantIndex(payload.grantId), id, ttl);
    if (payload.uid) await this.#store.set(this.#uidIndex(payload.uid), id, ttl);
    if (payload.userCode) await this.#store.set(this.#userCodeIndex(payload.userCode), id, ttl);
  }

  async find(presented: string): Promise<AdapterPayload | undefined> {
    const found = await this.#find(this.#storedId(this.#model, presented));
    if (!found) return undefined;
    const { [SEALED_ID]: _sealed, ...payload } = found as AdapterPayload & { [SEALED_ID]?: string };
    return withSecrets(payload, presented);
  }

  /** By stored id: the payload without `jti`, which only the holder of the secret knows. */
  async #find(id: string): Promise<AdapterPayload | undefined> {
    const [raw, consumed] = await Promise.all([this.#store.get(this.#key(id)), this.#store.get(this.#consumedKey(id))]);
    if (raw === null) return undefined;
    const payload = JSON.parse(raw) as AdapterPayload;
    return consumed === null ? payload : { ...payload, consumed: Number(consumed) };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#store.get(this.#uidIndex(uid));
    return id === null ? undefined : this.#find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#store.get(this.#userCodeIndex(userCode));
    const found = id === null ? undefined : await this.#find(id);
    if (!found) return undefined;
    // oidc-provider saves what it finds here under the found record's jti: without the real id it would write a copy
    // under a fresh id, and the device polling with the real one would never see the approval.
    const { [SEALED_ID]: sealed, ...payload } = found as AdapterPayload & { [SEALED_ID]?: string };
    if (typeof sealed === 'string' && this.#sealer) return withSecrets(payload, this.#sealer.open(sealed));
    return payload;
  }

  async consume(presented: string): Promise<void> {
    const id = this.#storedId(this.#model, presented);
    // oidc-provider checks `consumed` before calling this and ignores what it returns: a racing second
    // redemption must throw, also when a third request revoked the whole grant in between (so existence is
    // checked in the same step).
    const outcome = await this.#store.consumeOnce(this.#key(id), this.#consumedKey(id), String(Math.floor(Date.now() / 1000)));
    if (outcome !== 'consumed') throw new errors.InvalidGrant(`${this.#model} ${outcome === 'missing' ? 'not found' : 'already consumed'}`);
  }

  async destroy(presented: string): Promise<void> {
    await this.#destroy(this.#storedId(this.#model, presented));
  }

  async #destroy(id: string): Promise<void> {
    await this.#store.del(this.#key(id), this.#consumedKey(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const ids = await this.#store.setTake(this.#grantIndex(grantId));
    // One DEL per record: records of one grant sit in different hash slots.
    await Promise.all(ids.map((id) => this.#destroy(id)));
  }
}

const ID_PLACEHOLDER = '{jti}';
const SEALED_ID = 'sealedJti';

/**
 * The value as stored: no `jti`; an Interaction's resume URL (`returnTo`, which ends in the interaction id) with the id
 * left out; and no copy of the browser's session cookie, which oidc-provider puts into an Interaction
 * (`session.cookie`) but never reads back.
 */
function withoutSecrets(payload: AdapterPayload, id: string): AdapterPayload {
  const { jti: _jti, ...stored } = payload;
  if (typeof stored.returnTo === 'string') stored.returnTo = stored.returnTo.split(id).join(ID_PLACEHOLDER);
  const session = stored.session as Record<string, unknown> | undefined;
  if (session && 'cookie' in session) {
    const { cookie: _cookie, ...rest } = session;
    return { ...stored, session: rest } as AdapterPayload;
  }
  return stored;
}

/** The payload oidc-provider saved, from the stored value and the id the caller presented. */
function withSecrets(payload: AdapterPayload, id: string): AdapterPayload {
  const restored: AdapterPayload = { ...payload, jti: id };
  if (typeof restored.returnTo === 'string') restored.returnTo = restored.returnTo.split(ID_PLACEHOLDER).join(id);
  return restored;
}
