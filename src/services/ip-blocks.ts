// IP blocking (docs/security.md): an address that keeps tripping rate limits, or fails logins across many accounts, is
// blocked for IP_BLOCK_SECONDS. The store holds the live block (checked on every request, shared by every
// process); PostgreSQL keeps the record for listing, lifting and the audit trail.
import type { AppContext } from '../context.ts';
import { findActiveIpBlocks, insertIpBlock, liftIpBlocks, type IpBlock } from '../db/queries/ip-blocks.ts';
import type { KvStore } from '../store/kv-store.ts';
import { RedisStore, type WindowCount } from '../store/redis-store.ts';
import { recordAudit, type AuditMeta } from './audit.ts';

type AbuseDeps = Pick<AppContext, 'config' | 'db' | 'store' | 'logger'>;

/** How long the evidence for a block is remembered. */
const WINDOW_SECONDS = 900;

const blockKey = (ip: string) => `abuse:block:{${ip}}`;
const tripsKey = (ip: string) => `abuse:trips:{${ip}}`;
const failedAccountsKey = (ip: string) => `abuse:failed-accounts:{${ip}}`;

/**
 * `blockedFor` and, in the same Redis round trip, one more request on each fixed-window counter (the rate limits of
 * a request); undefined where the store cannot do both in one step (memory, a Redis Cluster).
 */
export async function blockedForAndCount(
  store: KvStore,
  ip: string,
  counters: ReadonlyArray<{ key: string; windowSeconds: number }>,
): Promise<{ blocked: number | undefined; counts: WindowCount[] } | undefined> {
  if (!(store instanceof RedisStore)) return undefined;
  const found = await store.ttlAndCount(blockKey(ip), counters);
  return found && { blocked: found.ttl > 0 ? found.ttl : undefined, counts: found.counts };
}

/** Seconds the address stays blocked, or undefined when it is not blocked. */
export async function blockedFor(store: KvStore, ip: string): Promise<number | undefined> {
  const ttl = await store.ttl(blockKey(ip));
  return ttl > 0 ? ttl : undefined;
}

export async function blockIp(deps: AbuseDeps, ip: string, reason: string, meta: AuditMeta): Promise<void> {
  const seconds = deps.config.ipBlockSeconds;
  // Only the request that sets the block records it: concurrent trips do not block twice.
  if (!(await deps.store.setIfAbsent(blockKey(ip), reason, seconds))) return;
  await insertIpBlock(deps.db, { ip, reason, expiresAt: new Date(Date.now() + seconds * 1000) });
  await recordAudit(deps.db, { tenantId: null, type: 'ip.blocked', outcome: 'failure', data: { ip, reason, seconds } }, meta);
  deps.logger.warn({ ip, reason, seconds }, 'ip blocked');
}

/** A request over a rate limit; enough of them block the address. */
export async function recordLimitTrip(deps: AbuseDeps, ip: string, meta: AuditMeta): Promise<void> {
  if ((await deps.store.incr(tripsKey(ip), WINDOW_SECONDS)) >= deps.config.ipBlockAfterTrips)
    await blockIp(deps, ip, 'rate_limit_trips', meta);
}

/** A failed sign-in; failures against enough different accounts from one address block it (credential stuffing). */
export async function recordFailedLogin(deps: AbuseDeps, ip: string, account: string, meta: AuditMeta): Promise<void> {
  const accounts = await deps.store.setAdd(failedAccountsKey(ip), account.toLowerCase(), WINDOW_SECONDS);
  if (accounts >= deps.config.ipBlockAfterAccounts) await blockIp(deps, ip, 'failed_logins_across_accounts', meta);
}

export function listIpBlocks(deps: Pick<AppContext, 'db'>): Promise<IpBlock[]> {
  return findActiveIpBlocks(deps.db);
}

/** Lifts a block and forgets its evidence; returns how many recorded blocks were lifted. */
export async function liftIpBlock(deps: Pick<AppContext, 'db' | 'store'>, ip: string, meta: AuditMeta): Promise<number> {
  await deps.store.del(blockKey(ip), tripsKey(ip), failedAccountsKey(ip));
  const lifted = await liftIpBlocks(deps.db, ip, meta.actorId ?? 'unknown');
  await recordAudit(deps.db, { tenantId: null, type: 'ip.unblocked', data: { ip, lifted } }, meta);
  return lifted;
}
