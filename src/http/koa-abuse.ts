// Abuse protection (docs/security.md "Sign-in limits and lockout", guide "Rate Limiting Issues"): blocked addresses
// answer 403 IP_BLOCKED; every limited endpoint counts requests per endpoint class and per IP — and per client at the
// token endpoints — in Redis (shared by every process) or memory; responses carry X-RateLimit-Limit/-Remaining/-Reset,
// and a 429 adds Retry-After. Trusted CIDRs are exempt, nothing else is. With Redis down, limited endpoints answer 503
// rather than run unprotected.
//
// Sign-in routes (JSON login and MFA, the login pages' forms) are limited per IP by their *failures* only: an office
// behind one NAT signs many people in each morning, and their successful sign-ins must not lock the next one out,
// while a guesser fails almost every time and meets the limit as before. Attempts per account are the sign-in slice's
// to count (services/sign-in/attempt-limit.ts): it knows the tenant, so one budget per tenant and account serves the
// JSON API and the login pages together.
import ipaddr from 'ipaddr.js';
import type { Context, Middleware } from 'koa';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitClass } from '../config/index.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { ERROR_CATALOGUE } from '../errors/catalogue.ts';
import { blockedFor, blockedForAndCount, recordFailedLogin, recordLimitTrip } from '../services/ip-blocks.ts';
import { RedisStore } from '../store/redis-store.ts';
import { renderView } from '../views.ts';
import type { AuditMeta } from '../services/audit.ts';
import { auditMetaOf } from './audit-meta.ts';

type Surface = 'api' | 'oauth' | 'page';
interface Classified {
  cls: RateLimitClass;
  surface: Surface;
  /** An extra limiter key besides the IP: the client, at the token endpoints. */
  subject?: { cls: RateLimitClass; key: string } | undefined;
  /** A sign-in route: the IP's limit counts failed attempts, not requests. */
  signIn?: { account: string | undefined } | undefined;
  /** Failed sign-ins on this route count towards blocking the address. */
  isLogin: boolean;
  /** The tenant the request names (X-Tenant-ID), whose own limits apply when it has some. */
  tenantId?: string | undefined;
}

const LOGIN_API = new Set(['/api/v1/auth/login', '/api/v1/auth/mfa/verify', '/api/v1/auth/mfa/enroll']);
const REGISTRATION_API = new Set([
  '/api/v1/auth/register',
  '/api/v1/auth/verify-email',
  '/api/v1/auth/password/forgot',
  '/api/v1/auth/password/reset',
  // Password checks of a signed-in person: the same small budget per IP as the other self-service routes.
  '/api/v1/auth/reauthenticate',
  '/api/v1/auth/password/change',
  // Mails a link to any address the signed-in person names: the same budget, so it cannot mail addresses at will.
  '/api/v1/auth/email/change',
]);
const SELF_SERVICE_PAGES = new Set(['/password/forgot', '/password/reset', '/email/verify', '/signup']);
const CLIENT_AUTH_ENDPOINTS = new Set(['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke', '/oauth2/par', '/oauth2/device/auth']);
/** The page where a person types the user code of the device flow (RFC 8628 §5.1: guessing codes must be limited). */
const DEVICE_CODE_PAGE = '/oauth2/device';

function classify(ctx: Context): Classified | undefined {
  const classified = classifyRoute(ctx);
  const tenantId = ctx.get('X-Tenant-ID').trim().toLowerCase();
  return classified && tenantId && classified.surface === 'api' ? { ...classified, tenantId } : classified;
}

function classifyRoute(ctx: Context): Classified | undefined {
  const { method } = ctx;
  // The path as the routers match it (without regard to case, a trailing slash allowed): `/API/v1/auth/Login/` is
  // the login route, so it must meet the login route's limits.
  const path = ctx.path.toLowerCase().replace(/(.)\/+$/, '$1');
  if (path.startsWith('/api/v1/admin/')) return { cls: 'admin', surface: 'api', isLogin: false };
  if (LOGIN_API.has(path) && method === 'POST') {
    const body = ctx.request.body as { usernameOrEmail?: unknown } | undefined;
    const login = typeof body?.usernameOrEmail === 'string' ? body.usernameOrEmail.toLowerCase().slice(0, 254) : undefined;
    const tenant = ctx.get('X-Tenant-ID').toLowerCase() || ctx.hostname;
    return { cls: 'login', surface: 'api', signIn: { account: login && `${tenant}:${login}` }, isLogin: path.endsWith('/login') };
  }
  if (REGISTRATION_API.has(path)) return { cls: 'registration', surface: 'api', isLogin: false };
  if (path.startsWith('/api/')) return { cls: 'api', surface: 'api', isLogin: false };
  // The self-service pages' forms share the JSON registration routes' budget per IP (docs/api.md, "Self-service pages").
  if (SELF_SERVICE_PAGES.has(path)) return { cls: method === 'POST' ? 'registration' : 'authorize', surface: 'page', isLogin: false };
  if (path.startsWith('/interaction/')) {
    if (method !== 'POST') return { cls: 'authorize', surface: 'page', isLogin: false };
    const body = ctx.request.body as { usernameOrEmail?: unknown } | undefined;
    const login = typeof body?.usernameOrEmail === 'string' ? body.usernameOrEmail.toLowerCase().slice(0, 254) : undefined;
    return { cls: 'login', surface: 'page', signIn: { account: login && `page:${login}` }, isLogin: path.endsWith('/login') };
  }
  // A wrong user code counts like a wrong password against the address's sign-in limit (the page answers 401).
  if (path === DEVICE_CODE_PAGE && method === 'POST')
    return { cls: 'login', surface: 'page', signIn: { account: undefined }, isLogin: false };
  if (path === DEVICE_CODE_PAGE || path.startsWith(`${DEVICE_CODE_PAGE}/`)) return { cls: 'authorize', surface: 'page', isLogin: false };
  if (path === '/oauth2/authorize' || path.startsWith('/oauth2/authorize/')) return { cls: 'authorize', surface: 'page', isLogin: false };
  if (CLIENT_AUTH_ENDPOINTS.has(path)) {
    const clientId = basicClientId(ctx.get('authorization'));
    return { cls: 'token', surface: 'oauth', subject: clientId ? { cls: 'token', key: `client:${clientId}` } : undefined, isLogin: false };
  }
  if (path.startsWith('/oauth2/')) return { cls: 'api', surface: 'oauth', isLogin: false };
  return undefined; // health, discovery, JWKS, pages of our own: unlimited
}

function basicClientId(header: string): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decodeURIComponent(decoded.slice(0, colon)).slice(0, 200) : undefined;
}

export function koaAbuseProtection(app: AppContext): Middleware {
  const redis = app.store instanceof RedisStore ? app.store.client : undefined;
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiter = (cls: RateLimitClass, { points, duration }: Limit) => {
    const name = `${cls}:${points}/${duration}`;
    let found = limiters.get(name);
    if (!found) {
      const keyPrefix = `rl:${cls}:${points}-${duration}`;
      found = redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, rejectIfRedisNotReady: true })
        : new RateLimiterMemory({ keyPrefix, points, duration });
      limiters.set(name, found);
    }
    return found;
  };
  const tenantLimits = cachedTenantLimits(app);
  const trusted = app.config.trustedCidrs.map((c) => ipaddr.parseCIDR(c));
  const isTrusted = (ip: string) => {
    try {
      const address = ipaddr.process(ip);
      return trusted.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
    } catch {
      return false;
    }
  };
  /** The counters a request spends: per IP, and per client at the token endpoints, under the limits that apply. */
  const countersOf = async (ip: string, classified: Classified): Promise<Counter[]> => {
    // A tenant's own limits replace the global ones, counted apart from other tenants' traffic.
    const own = classified.tenantId ? await tenantLimits(classified.tenantId) : undefined;
    const consumptions = [{ cls: classified.cls, key: `ip:${ip}` }, ...(classified.subject ? [classified.subject] : [])];
    return consumptions.map(({ cls, key }) => {
      const limit = own?.[cls] ?? app.config.rateLimits[cls];
      return { cls, limit, key: `${own?.[cls] ? `tenant:${classified.tenantId}:` : ''}${key}` };
    });
  };

  /**
   * The block check and the counters in one Redis round trip (RedisStore.ttlAndCount), for every limited request
   * but the sign-ins, which count failures only. Undefined where the store cannot (memory, a Redis Cluster).
   */
  const checkAndCountTogether = async (ip: string, counters: Counter[]) => {
    const together = await blockedForAndCount(
      app.store,
      ip,
      counters.map(({ cls, limit, key }) => ({ key: limiter(cls, limit).getKey(key), windowSeconds: limit.duration })),
    );
    if (!together) return undefined;
    const outcomes = together.counts.map(({ consumed, msLeft }, i): Outcome => {
      const { points } = (counters[i] as Counter).limit;
      return {
        res: new RateLimiterRes(Math.max(points - consumed, 0), msLeft, consumed, consumed === 1),
        limited: consumed > points,
        points,
      };
    });
    return { blocked: together.blocked, outcomes };
  };

  /** The same in separate commands, sent at once (one round trip of waiting): a blocked address spends points it could not use anyway. */
  const checkAndCount = async (ip: string, classified: Classified, counters: Counter[]) => {
    const blockedCheck = blockedFor(app.store, ip);
    blockedCheck.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
    const counted = Promise.all(
      counters.map(async ({ cls, limit, key }): Promise<Outcome> => {
        const { points } = limit;
        try {
          if (classified.signIn) {
            // Failures only: read the count here, add to it below when this attempt fails.
            const used = await limiter(cls, limit).get(key);
            const res = used ?? new RateLimiterRes(points, 0, 0, false);
            return { res, limited: used !== null && used.consumedPoints >= points, points, failureKey: key, limit };
          }
          return { res: await limiter(cls, limit).consume(key), limited: false, points };
        } catch (rejected) {
          // The library rejects with a RateLimiterRes when over the limit, with an Error when its store fails.
          if (rejected instanceof RateLimiterRes) return { res: rejected, limited: true, points };
          throw rejected;
        }
      }),
    );
    counted.catch(() => {}); // as above
    return { blocked: await blockedCheck, outcomes: await counted };
  };

  return async (ctx, next) => {
    const classified = classify(ctx);
    if (!classified || isTrusted(ctx.ip)) return next();
    const meta = auditMetaOf(ctx);

    let outcomes: Outcome[];
    try {
      const counters = await countersOf(ctx.ip, classified);
      const checked =
        (classified.signIn ? undefined : await checkAndCountTogether(ctx.ip, counters)) ??
        (await checkAndCount(ctx.ip, classified, counters));
      if (checked.blocked) {
        app.metrics.rateLimitRejections.inc({ class: classified.cls, reason: 'ip_blocked' });
        return await refuse(ctx, classified.surface, 'IP_BLOCKED', { 'Retry-After': String(checked.blocked) });
      }
      outcomes = checked.outcomes;
    } catch (err) {
      if (err instanceof AppError) throw err;
      app.logger.warn({ err: (err as Error).message }, 'rate limiting unavailable');
      app.metrics.rateLimitRejections.inc({ class: classified.cls, reason: 'unavailable' });
      return refuse(ctx, classified.surface, 'SERVICE_UNAVAILABLE', { 'Retry-After': '5' });
    }

    // The headers describe the limit that bit, or else the tightest of those that applied.
    const tightest = outcomes.find((o) => o.limited) ?? outcomes.reduce((a, b) => (b.res.remainingPoints < a.res.remainingPoints ? b : a));
    const headers = {
      'X-RateLimit-Limit': String(tightest.points),
      'X-RateLimit-Remaining': String(Math.max(0, tightest.res.remainingPoints)),
      'X-RateLimit-Reset': String(Math.ceil((Date.now() + tightest.res.msBeforeNext) / 1000)),
    };
    ctx.set(headers);
    if (tightest.limited) {
      app.metrics.rateLimitRejections.inc({ class: classified.cls, reason: 'rate_limited' });
      await recordLimitTrip(app, ctx.ip, meta);
      return refuse(ctx, classified.surface, 'RATE_LIMIT_EXCEEDED', {
        ...headers,
        'Retry-After': String(Math.max(1, Math.ceil(tightest.res.msBeforeNext / 1000))),
      });
    }

    if (!classified.signIn) return next();
    // A failed sign-in is thrown by the JSON API (a wrong password, code or mfaToken) and rendered by the login page (401).
    let failedSignIn = false;
    try {
      await next();
      failedSignIn = ctx.status === 401 && !isMfaChallenge(ctx.body);
    } catch (err) {
      failedSignIn = err instanceof AppError && SIGN_IN_FAILURES.has(err.errors[0]?.code ?? '');
      throw err;
    } finally {
      if (failedSignIn) await countFailure(classified, outcomes, ctx.ip, meta);
    }
  };

  async function countFailure(
    classified: Classified,
    outcomes: Array<{ failureKey?: string; limit?: Limit }>,
    ip: string,
    meta: AuditMeta,
  ) {
    try {
      await Promise.all(
        outcomes.flatMap(({ failureKey, limit }) => (failureKey && limit ? [limiter(classified.cls, limit).penalty(failureKey, 1)] : [])),
      );
      if (classified.isLogin && classified.signIn?.account) await recordFailedLogin(app, ip, classified.signIn.account, meta);
    } catch (err) {
      app.logger.warn({ err: (err as Error).message }, 'could not count a failed sign-in');
    }
  }
}

/** The refusals that mean a wrong secret was tried: what the per-IP sign-in limit counts. */
const SIGN_IN_FAILURES = new Set(['INVALID_CREDENTIALS', 'INVALID_MFA_CODE', 'INVALID_MFA_TOKEN']);

type Limit = { points: number; duration: number };
/** A counter a request spends: its class, the limit that applies and its key (scoped to a tenant with limits of its own). */
type Counter = { cls: RateLimitClass; limit: Limit; key: string };
type Outcome = { res: RateLimiterRes; limited: boolean; points: number; failureKey?: string; limit?: Limit };

/**
 * Tenants' own limits, from the entity cache (a change through the admin API or the CLI reaches every process at
 * once). A tenant id that names no tenant is remembered for 30 seconds, so made-up X-Tenant-ID values cannot
 * turn every request into a database lookup; such a request gets the global limits.
 */
function cachedTenantLimits(app: AppContext): (tenantId: string) => Promise<Partial<Record<RateLimitClass, Limit>> | undefined> {
  const unknown = new Map<string, number>();
  return async (tenantId) => {
    if ((unknown.get(tenantId) ?? 0) > Date.now()) return undefined;
    const tenant = await app.cache.tenant(tenantId);
    if (!tenant) {
      if (unknown.size > 10_000) unknown.clear();
      unknown.set(tenantId, Date.now() + 30_000);
      return undefined;
    }
    return Object.keys(tenant.rateLimits).length > 0 ? (tenant.rateLimits as Partial<Record<RateLimitClass, Limit>>) : undefined;
  };
}

function isMfaChallenge(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { mfaRequired?: unknown }).mfaRequired === true;
}

const OAUTH_ERRORS = {
  RATE_LIMIT_EXCEEDED: {
    status: 429,
    body: { error: 'rate_limit_exceeded', error_description: ERROR_CATALOGUE.RATE_LIMIT_EXCEEDED.message },
  },
  IP_BLOCKED: { status: 403, body: { error: 'access_denied', error_description: ERROR_CATALOGUE.IP_BLOCKED.message } },
  SERVICE_UNAVAILABLE: {
    status: 503,
    body: { error: 'temporarily_unavailable', error_description: ERROR_CATALOGUE.SERVICE_UNAVAILABLE.message },
  },
} as const;

const PAGE_MESSAGES = {
  RATE_LIMIT_EXCEEDED: 'Too many attempts in a short time. Wait a moment, then try again.',
  IP_BLOCKED: 'Sign-in from your network is blocked for a while because of too many failed attempts. Try again later.',
  SERVICE_UNAVAILABLE: 'Sign-in is unavailable for a moment. Try again shortly.',
} as const;

/** The refusal in the form the caller understands: the API envelope, an OAuth error body, or a page. */
async function refuse(ctx: Context, surface: Surface, code: keyof typeof OAUTH_ERRORS, headers: Record<string, string>): Promise<void> {
  if (surface === 'api') throw new AppError(code, { headers });
  ctx.set(headers);
  ctx.set('Cache-Control', 'no-store');
  const { status, body } = OAUTH_ERRORS[code];
  ctx.status = status;
  if (surface === 'page' && ctx.accepts('json', 'html') === 'html') {
    ctx.type = 'html';
    ctx.body = await renderView('error', {
      title: 'Please wait',
      message: PAGE_MESSAGES[code],
      detail: status,
      requestId: ctx.state.requestId,
    });
    return;
  }
  ctx.body = body;
}
