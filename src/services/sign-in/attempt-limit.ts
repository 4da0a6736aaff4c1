// The per-account sign-in limit (docs/security.md "Sign-in limits and lockout"): password attempts on one account,
// keyed by tenant and login, counted once for the JSON API and the login pages together. The per-IP limit lives in
// http/koa-abuse.ts and counts failures only; this one counts every attempt, so a password sprayed at one account from
// many addresses meets it whatever the outcome.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../config/index.ts';
import type { Tenant } from '../../db/queries/tenants.ts';
import { AppError } from '../../errors/app-error.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { RedisStore } from '../../store/redis-store.ts';

type Limit = { points: number; duration: number };

/** One limiter per store and limit, so every request of a process shares its counters (and Redis shares them across processes). */
const limiters = new WeakMap<KvStore, Map<string, RateLimiterAbstract>>();

function limiterFor(store: KvStore, { points, duration }: Limit): RateLimiterAbstract {
  let byLimit = limiters.get(store);
  if (!byLimit) limiters.set(store, (byLimit = new Map()));
  const name = `${points}/${duration}`;
  let limiter = byLimit.get(name);
  if (!limiter) {
    const keyPrefix = `rl:signin-account:${points}-${duration}`;
    limiter =
      store instanceof RedisStore
        ? new RateLimiterRedis({ storeClient: store.client, keyPrefix, points, duration, rejectIfRedisNotReady: true })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    byLimit.set(name, limiter);
  }
  return limiter;
}

/**
 * Counts one password attempt on `login` in `tenantId` (a tenant's own `loginAccount` limit replaces the global one);
 * over the limit it throws RATE_LIMIT_EXCEEDED with Retry-After, before any password is hashed.
 */
export async function countAccountAttempt(
  deps: { config: Pick<Config, 'rateLimits'>; store: KvStore },
  tenant: Pick<Tenant, 'rateLimits'> | undefined,
  tenantId: string,
  login: string,
): Promise<void> {
  const own = tenant?.rateLimits['loginAccount'] as Limit | undefined;
  const limit = own ?? deps.config.rateLimits.loginAccount;
  const key = `${tenantId.toLowerCase()}:${login.trim().toLowerCase().slice(0, 254)}`;
  try {
    await limiterFor(deps.store, limit).consume(key);
  } catch (rejected) {
    // The library rejects with a RateLimiterRes when over the limit, with an Error when its store fails.
    if (!(rejected instanceof RateLimiterRes)) throw new AppError('SERVICE_UNAVAILABLE', { headers: { 'Retry-After': '5' } });
    throw new AppError('RATE_LIMIT_EXCEEDED', {
      detail: 'per-account sign-in limit',
      headers: {
        'X-RateLimit-Limit': String(limit.points),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil((Date.now() + rejected.msBeforeNext) / 1000)),
        'Retry-After': String(Math.max(1, Math.ceil(rejected.msBeforeNext / 1000))),
      },
    });
  }
}
