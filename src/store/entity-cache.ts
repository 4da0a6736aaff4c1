// A short-lived per-process cache of tenants and clients for the hot paths (oidc-provider's client lookup on every
// OAuth request, the tenant and client checks of every JWT). It is safe because every change is announced: the
// services that change a tenant or client call invalidateTenant / invalidateClient, which drops the entry here and
// publishes the id on Redis so every other process drops it too. The TTL bounds how stale an entry can be when a
// message is lost (Redis down, a process cut off). Sessions and grants are never cached: their revocation is
// instant (docs/security.md).
import type { Knex } from 'knex';
import { findClientByIdAcrossTenants, type ClientRecord } from '../db/queries/clients.ts';
import { findTenantById, type Tenant } from '../db/queries/tenants.ts';
import type { Logger } from '../logger.ts';
import type { RedisClient } from './redis-store.ts';

/** What services need to announce a change; the CLI has only this part. */
export interface CacheInvalidation {
  /** Call after a tenant's status or settings change (suspend, activate, update, delete). */
  invalidateTenant(tenantId: string): Promise<void>;
  /** Call after a client changes (update, secret rotation, delete). */
  invalidateClient(clientId: string): Promise<void>;
}

export interface EntityCache extends CacheInvalidation {
  tenant(tenantId: string): Promise<Tenant | undefined>;
  /** A client by id across tenants (client ids carry no tenant of their own for oidc-provider). */
  client(clientId: string): Promise<ClientRecord | undefined>;
  close(): Promise<void>;
}

export interface EntityCacheOptions {
  db: Knex;
  logger: Logger;
  ttlSeconds: number;
  /** Connection that publishes invalidations; without it the cache is this process's alone. */
  publisher?: RedisClient | undefined;
  /** A dedicated connection in subscriber mode that receives other processes' invalidations. */
  subscriber?: RedisClient | undefined;
  /** Pub/sub channels are not key-prefixed by ioredis: the channel carries the installation's prefix. */
  channel: string;
}

const MAX_ENTRIES = 10_000;
type Kind = 'tenant' | 'client';

export function createEntityCache(options: EntityCacheOptions): EntityCache {
  const { db, logger, ttlSeconds, publisher, subscriber, channel } = options;
  const ttlMs = ttlSeconds * 1000;
  const entries = new Map<string, { value: unknown; until: number }>();
  // An invalidation bumps the epoch; a load that started before it must not store what it read.
  let epoch = 0;

  const drop = (kind: Kind, id: string) => {
    epoch += 1;
    entries.delete(`${kind}:${id}`);
  };

  async function cached<T>(kind: Kind, id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    if (ttlMs === 0) return load();
    const key = `${kind}:${id}`;
    const hit = entries.get(key);
    if (hit && hit.until > Date.now()) return hit.value as T;
    const startedAt = epoch;
    const value = await load();
    // Misses are not cached: a client or tenant created a moment ago must be found at once.
    if (value !== undefined && startedAt === epoch) {
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
      entries.set(key, { value, until: Date.now() + ttlMs });
    }
    return value;
  }

  async function announce(kind: Kind, id: string): Promise<void> {
    drop(kind, id);
    if (!publisher) return;
    try {
      await publisher.publish(channel, JSON.stringify({ kind, id }));
    } catch (err) {
      logger.warn(
        { err: (err as Error).message, kind, id },
        `cache invalidation not published: other processes see the change within ${ttlSeconds} s`,
      );
    }
  }

  if (subscriber) {
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      try {
        const { kind, id } = JSON.parse(message) as { kind: Kind; id: string };
        if ((kind === 'tenant' || kind === 'client') && typeof id === 'string') drop(kind, id);
      } catch {
        logger.warn({ message }, 'malformed cache invalidation');
      }
    });
    // Messages published while this connection was down are lost: start afresh whenever it (re)connects.
    subscriber.on('ready', () => {
      epoch += 1;
      entries.clear();
    });
    subscriber.on('error', () => {}); // reported by the store's own connection
    subscriber
      .subscribe(channel)
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'cache invalidations not subscribed'));
  }

  return {
    tenant: (tenantId) => cached('tenant', tenantId, () => findTenantById(db, tenantId)),
    client: (clientId) => cached('client', clientId, () => findClientByIdAcrossTenants(db, clientId)),
    invalidateTenant: (tenantId) => announce('tenant', tenantId),
    invalidateClient: (clientId) => announce('client', clientId),
    close: async () => {
      entries.clear();
      subscriber?.disconnect();
    },
  };
}

export const cacheChannel = (redisKeyPrefix: string) => `${redisKeyPrefix}cache:invalidate`;
