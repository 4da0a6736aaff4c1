// Chooses where each oidc-provider model lives. Redis keeps nothing on disk, so whatever must outlive a Redis
// restart — sessions, grants, refresh tokens, registration tokens — is in PostgreSQL; the rest is short-lived.
import type { Adapter } from 'oidc-provider';
import type { Db } from '../../db/knex.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { PostgresAdapter } from './postgres-adapter.ts';
import { decryptSecret, encryptSecret } from '../../services/encryption.ts';
import { StoreAdapter } from './store-adapter.ts';
import { storedIdOf } from './token-ids.ts';

export const DURABLE_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'Grant',
  'RefreshToken',
  'InitialAccessToken',
  'RegistrationAccessToken',
]);

/** A constructor oidc-provider would accept as its `adapter` option (it calls `new Adapter(modelName)`). */
export type AdapterConstructorLike = new (modelName: string) => Adapter;

export interface AdapterOptions {
  /** Serves the Client model (from our own clients table); without it the factory refuses 'Client'. */
  client?: AdapterConstructorLike;
}

export type AdapterBackend = 'client' | 'postgres' | 'store';

/** Models not listed as durable (codes, interactions, PAR, replay detection, opaque access tokens, …) go to the store. */
export function adapterBackendFor(modelName: string): AdapterBackend {
  if (modelName === 'Client') return 'client';
  return DURABLE_MODELS.has(modelName) ? 'postgres' : 'store';
}

/**
 * The `adapter` option for oidc-provider: it accepts a plain (non-async) factory and calls it once per model,
 * caching the result (lib/helpers/initialize_adapter.js, lib/models/base_model.js).
 */
export function createAdapterFactory(
  deps: { db: Db; store: KvStore; config: { secretKey: string; refreshReuseIntervalSeconds?: number } },
  options: AdapterOptions = {},
): (modelName: string) => Adapter {
  const storedId = storedIdOf(deps.config.secretKey);
  const sealer = {
    seal: (id: string) => encryptSecret(deps.config.secretKey, id),
    open: (sealed: string) => decryptSecret(deps.config.secretKey, sealed),
  };
  return (modelName) => {
    switch (adapterBackendFor(modelName)) {
      case 'client':
        if (!options.client)
          throw new Error("oidc adapter: the Client model needs the 'client' option (clients are served from the clients table)");
        return new options.client(modelName);
      case 'postgres':
        return new PostgresAdapter(deps.db, modelName, { storedId, refreshReuseIntervalSeconds: deps.config.refreshReuseIntervalSeconds });
      case 'store':
        return new StoreAdapter(deps.store, modelName, storedId, sealer);
    }
  };
}
