// Chooses where each oidc-provider model lives. Redis keeps nothing on disk, so whatever must outlive a Redis
// restart — sessions, grants, refresh tokens, registration tokens — is in PostgreSQL; the rest is short-lived.
import type { Adapter } from 'oidc-provider';
import type { Db } from '../../db/knex.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { PostgresAdapter } from './postgres-adapter.ts';
import { StoreAdapter } from './store-adapter.ts';

export const SHORT_LIVED_MODELS = new Set([
  'AuthorizationCode',
  'Interaction',
  'PushedAuthorizationRequest',
  'ReplayDetection',
  'AccessToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export interface AdapterOptions {
  /** The Client model is served from our own clients table. */
  client: new (modelName: string) => Adapter;
}

export function createAdapterFactory(deps: { db: Db; store: KvStore }, options: AdapterOptions): (modelName: string) => Adapter {
  return (modelName) => {
    if (modelName === 'Client') return new options.client(modelName);
    return SHORT_LIVED_MODELS.has(modelName) ? new StoreAdapter(deps.store, modelName) : new PostgresAdapter(deps.db, modelName);
  };
}
