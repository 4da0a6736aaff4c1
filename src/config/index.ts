// The environment schema and the typed, frozen config object: the only place that reads process.env.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Access-token algorithms a key generation has a key for (services/signing-keys.ts: one P-256 and one RSA key). */
export const ACCESS_TOKEN_ALGS = ['ES256', 'RS256'] as const;
export type AccessTokenAlg = (typeof ACCESS_TOKEN_ALGS)[number];

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be a whole number from ${min} to ${max}` });

/** `points/seconds`, e.g. `10/60`: ten requests a minute. */
const rate = z
  .string()
  .regex(/^\d+\/\d+$/, { message: 'must be POINTS/SECONDS, e.g. 10/60' })
  .transform((v) => {
    const [points, seconds] = v.split('/').map(Number) as [number, number];
    return { points, duration: seconds };
  })
  .refine((r) => r.points >= 1 && r.duration >= 1, { message: 'must be POINTS/SECONDS with both at least 1' });

function isCidr(value: string): boolean {
  if (value === '') return true;
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** The deadlines when nothing is configured (docs/operations.md, "Deadlines and faults"). */
export const DEFAULT_DEADLINES: Readonly<Deadlines> = Object.freeze({
  databaseConnectMs: 3000,
  databaseStatementMs: 5000,
  databaseQueryMs: 6000,
  databaseAcquireMs: 5000,
  redisConnectMs: 2000,
  redisCommandMs: 2000,
});

/** Each variable, its rule and its default; docs/configuration.md's table is generated from it and config/variables.ts. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  PORT: intIn(0, 65535).default(3000),
  HOST: z.string().min(1, { message: 'must not be empty' }).default('0.0.0.0'),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_MAX: intIn(1, 1000).default(10),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().default('gh:'),
  REDIS_CLUSTER: boolish.default(false),
  DATA_DIR: z.string().min(1, { message: 'must not be empty' }).default('./data'),
  SECRET_KEY: z.string().min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 48`)' }).optional(),
  TRUST_PROXY: boolish.default(false),
  TENANT_DOMAIN: z.string().optional(),
  BCRYPT_COST: intIn(4, 15).default(12),
  PASSWORD_HASH: z.enum(['bcrypt', 'argon2id'], { message: 'must be bcrypt or argon2id' }).default('bcrypt'),
  // OWASP's argon2id floor (m=19 MiB, t=2, p=1) is the least accepted.
  ARGON2_MEMORY_KIB: intIn(19456, 4194304).default(19456),
  ARGON2_TIME_COST: intIn(2, 100).default(2),
  // At most a day: after `keys rotate` the old key stays published for a day, so no token may outlive that.
  ACCESS_TOKEN_TTL: intIn(5, 86400).default(900),
  // docs/security.md, "Refresh token reuse and the reuse interval": a retry with a just-rotated refresh token.
  REFRESH_REUSE_INTERVAL_SECONDS: intIn(0, 300).default(5),
  WORKERS: intIn(1, 64).default(1),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  BODY_LIMIT_KB: intIn(1, 10240).default(100),
  SHUTDOWN_TIMEOUT_MS: intIn(0, 600000).default(10000),
  // Deadlines and faults (docs/operations.md): every call to PostgreSQL or Redis ends within these.
  SHUTDOWN_DELAY_MS: intIn(0, 600000).optional(),
  DATABASE_CONNECT_TIMEOUT_MS: intIn(100, 600000).default(DEFAULT_DEADLINES.databaseConnectMs),
  DATABASE_STATEMENT_TIMEOUT_MS: intIn(100, 3600000).default(DEFAULT_DEADLINES.databaseStatementMs),
  DATABASE_QUERY_TIMEOUT_MS: intIn(100, 3600000).optional(),
  DATABASE_ACQUIRE_TIMEOUT_MS: intIn(100, 600000).default(DEFAULT_DEADLINES.databaseAcquireMs),
  REDIS_CONNECT_TIMEOUT_MS: intIn(100, 600000).default(DEFAULT_DEADLINES.redisConnectMs),
  REDIS_COMMAND_TIMEOUT_MS: intIn(50, 600000).default(DEFAULT_DEADLINES.redisCommandMs),
  KEY_POLL_INTERVAL_MS: intIn(100, 3600000).default(10000),
  KEY_ACTIVATION_DELAY_MS: intIn(0, 24 * 3600000).optional(),
  SEED_DEMO: boolish.optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  RATE_LIMIT_LOGIN: rate.prefault('10/60'),
  RATE_LIMIT_LOGIN_ACCOUNT: rate.prefault('20/900'),
  RATE_LIMIT_REGISTRATION: rate.prefault('10/600'),
  RATE_LIMIT_TOKEN: rate.prefault('600/60'),
  RATE_LIMIT_AUTHORIZE: rate.prefault('60/60'),
  RATE_LIMIT_API: rate.prefault('300/60'),
  RATE_LIMIT_ADMIN: rate.prefault('300/60'),
  IP_BLOCK_SECONDS: intIn(1, 30 * 24 * 3600).default(3600),
  IP_BLOCK_AFTER_TRIPS: intIn(1, 100000).default(20),
  IP_BLOCK_AFTER_ACCOUNTS: intIn(1, 100000).default(20),
  TRUSTED_CIDRS: z
    .string()
    .refine((v) => v.split(',').every((c) => isCidr(c.trim())), {
      message: 'must be a comma-separated list of CIDRs such as 10.0.0.0/8,::1/128',
    })
    .default(''),
  MAIL_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
  ACCESS_TOKEN_ALG: z
    .enum(ACCESS_TOKEN_ALGS, {
      message: `must be one of ${ACCESS_TOKEN_ALGS.join(', ')} (access tokens are signed with the P-256 or the RSA key of each key generation)`,
    })
    .default('ES256'),
  CACHE_TTL_SECONDS: intIn(0, 300).default(5),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  DEVICE_FLOW: boolish.default(true),
  DEVICE_FLOW_INTERVAL_SECONDS: intIn(1, 60).default(5),
  DEVICE_CODE_TTL_SECONDS: intIn(60, 3600).default(600),
  BACKCHANNEL_LOGOUT_POLL_MS: intIn(50, 3600000).default(5000),
  BACKCHANNEL_LOGOUT_RETRY_BASE_MS: intIn(10, 3600000).default(30000),
  BACKCHANNEL_LOGOUT_MAX_ATTEMPTS: intIn(1, 100).default(10),
  BACKCHANNEL_LOGOUT_TIMEOUT_MS: intIn(100, 60000).default(5000),
  BACKCHANNEL_LOGOUT_PRIVATE_ADDRESSES: boolish.optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** REDIS_URL names one node of a Redis Cluster; the client discovers the others. */
  redisCluster: boolean;
  dataDir: string;
  secretKey: string;
  trustProxy: boolean;
  tenantDomain: string | undefined;
  bcryptCost: number;
  /** How new password hashes are made; stored hashes of the other kind or settings are replaced at sign-in. */
  passwordHash: 'bcrypt' | 'argon2id';
  /** argon2id memory in KiB and passes (parallelism is 1). */
  argon2MemoryKib: number;
  argon2TimeCost: number;
  /** Lifetime of access tokens in seconds (docs/security.md: 15 minutes by default). */
  accessTokenTtl: number;
  /** Seconds a rotated refresh token may still be retried (REFRESH_REUSE_INTERVAL_SECONDS; 0 turns it off). */
  refreshReuseIntervalSeconds: number;
  workers: number;
  logLevel: (typeof LOG_LEVELS)[number];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** After SIGTERM, how long the server keeps accepting while readiness already fails (load balancers notice). */
  shutdownDelayMs: number;
  /** Deadlines of PostgreSQL and Redis calls (docs/operations.md, "Deadlines and faults"). */
  deadlines: Deadlines;
  /** How often a process looks for new or retired signing keys. */
  keyPollIntervalMs: number;
  /** How long `keys rotate` stages a new key (published, verifying) before any process signs with it. */
  keyActivationDelayMs: number;
  /** Create the demo tenant, user and client on an empty database (never in production). */
  seedDemo: boolean;
  /** SMTP server for outgoing mail; unset: mail goes to the outbox table. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Rate limits per endpoint class (docs/security.md), each `points` requests per `duration` seconds. */
  rateLimits: Record<RateLimitClass, { points: number; duration: number }>;
  ipBlockSeconds: number;
  ipBlockAfterTrips: number;
  ipBlockAfterAccounts: number;
  trustedCidrs: string[];
  /** Signs access tokens; ID tokens stay RS256 unless a client registers otherwise (RFC 9068 §2.1). */
  accessTokenAlg: AccessTokenAlg;
  /** How long a process may serve a tenant or client from memory when an invalidation message is lost; 0: no cache. */
  cacheTtlSeconds: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** The device authorization grant (RFC 8628): on or off, the polling interval, how long a code lives. */
  deviceFlow: { enabled: boolean; intervalSeconds: number; codeTtlSeconds: number };
  /** Delivery of back-channel logout tokens (docs/security.md, "Back-channel logout"). */
  backchannelLogout: {
    pollIntervalMs: number;
    retryBaseMs: number;
    maxAttempts: number;
    timeoutMs: number;
    /** Whether logout tokens may go to loopback, private and other non-public addresses. */
    privateAddresses: boolean;
  };
}

export interface Deadlines {
  /** Opening a PostgreSQL connection, including its start-up exchange. */
  databaseConnectMs: number;
  /** PostgreSQL's own `statement_timeout`: the server cancels a statement that runs longer. */
  databaseStatementMs: number;
  /** The client's deadline for an answer to a query (covers a server that never answers at all). */
  databaseQueryMs: number;
  /** Waiting for a free connection of the pool. */
  databaseAcquireMs: number;
  redisConnectMs: number;
  /** ioredis `commandTimeout`: a command without an answer by then fails. */
  redisCommandMs: number;
}

export type RateLimitClass = 'login' | 'loginAccount' | 'registration' | 'token' | 'authorize' | 'api' | 'admin';

/** A configuration problem; its message is the one line the process prints before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates the environment. Every problem names its variable:
 * `PORT: must be a whole number from 0 to 65535 (got "abc")`.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as most shells and compose files intend.
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const given = raw[name];
      const shown = given === undefined || name === 'SECRET_KEY' || name === 'METRICS_TOKEN' ? '' : ` (got ${JSON.stringify(given)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems.join('; '));
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === 'production';
  const dataDir = resolve(env.DATA_DIR);

  if (env.REDIS_CLUSTER && !env.REDIS_URL) throw new ConfigError('REDIS_CLUSTER: needs REDIS_URL (a node of the cluster)');
  if (env.WORKERS > 1 && (!env.DATABASE_URL || !env.REDIS_URL)) {
    throw new ConfigError('WORKERS: more than one process needs DATABASE_URL and REDIS_URL (embedded storage is single-process)');
  }
  if (isProduction && !env.SECRET_KEY) {
    throw new ConfigError('SECRET_KEY: required when NODE_ENV=production (at least 32 characters)');
  }
  if (isProduction && !env.DATABASE_URL) {
    throw new ConfigError('DATABASE_URL: required when NODE_ENV=production (embedded storage is for development)');
  }
  if (env.SEED_DEMO && isProduction) {
    throw new ConfigError('SEED_DEMO: demo data is never created when NODE_ENV=production');
  }

  const databaseQueryMs =
    env.DATABASE_QUERY_TIMEOUT_MS ??
    env.DATABASE_STATEMENT_TIMEOUT_MS + (DEFAULT_DEADLINES.databaseQueryMs - DEFAULT_DEADLINES.databaseStatementMs);
  if (databaseQueryMs < env.DATABASE_STATEMENT_TIMEOUT_MS) {
    throw new ConfigError('DATABASE_QUERY_TIMEOUT_MS: must be at least DATABASE_STATEMENT_TIMEOUT_MS (the server cancels first)');
  }
  // A staged key must reach every process (each polls every KEY_POLL_INTERVAL_MS) before any signs with it.
  const keyActivationDelayMs = env.KEY_ACTIVATION_DELAY_MS ?? Math.max(30_000, 3 * env.KEY_POLL_INTERVAL_MS);
  if (keyActivationDelayMs <= env.KEY_POLL_INTERVAL_MS) {
    throw new ConfigError(
      'KEY_ACTIVATION_DELAY_MS: must be longer than KEY_POLL_INTERVAL_MS, or some process signs with a key others do not know yet',
    );
  }

  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    env: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    host: env.HOST,
    publicUrl,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    redisCluster: env.REDIS_CLUSTER,
    dataDir,
    secretKey: env.SECRET_KEY ?? developmentSecretKey(dataDir),
    trustProxy: env.TRUST_PROXY,
    tenantDomain: env.TENANT_DOMAIN,
    bcryptCost: env.BCRYPT_COST,
    passwordHash: env.PASSWORD_HASH,
    argon2MemoryKib: env.ARGON2_MEMORY_KIB,
    argon2TimeCost: env.ARGON2_TIME_COST,
    accessTokenTtl: env.ACCESS_TOKEN_TTL,
    refreshReuseIntervalSeconds: env.REFRESH_REUSE_INTERVAL_SECONDS,
    workers: env.WORKERS,
    logLevel: env.LOG_LEVEL,
    bodyLimitBytes: env.BODY_LIMIT_KB * 1024,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS ?? (isProduction ? 5000 : 0),
    deadlines: {
      databaseConnectMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      databaseStatementMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      databaseQueryMs,
      databaseAcquireMs: env.DATABASE_ACQUIRE_TIMEOUT_MS,
      redisConnectMs: env.REDIS_CONNECT_TIMEOUT_MS,
      redisCommandMs: env.REDIS_COMMAND_TIMEOUT_MS,
    },
    keyPollIntervalMs: env.KEY_POLL_INTERVAL_MS,
    keyActivationDelayMs,
    seedDemo: env.SEED_DEMO ?? !isProduction,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    rateLimits: {
      login: env.RATE_LIMIT_LOGIN,
      loginAccount: env.RATE_LIMIT_LOGIN_ACCOUNT,
      registration: env.RATE_LIMIT_REGISTRATION,
      token: env.RATE_LIMIT_TOKEN,
      authorize: env.RATE_LIMIT_AUTHORIZE,
      api: env.RATE_LIMIT_API,
      admin: env.RATE_LIMIT_ADMIN,
    },
    ipBlockSeconds: env.IP_BLOCK_SECONDS,
    ipBlockAfterTrips: env.IP_BLOCK_AFTER_TRIPS,
    ipBlockAfterAccounts: env.IP_BLOCK_AFTER_ACCOUNTS,
    trustedCidrs: env.TRUSTED_CIDRS.split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    accessTokenAlg: env.ACCESS_TOKEN_ALG,
    cacheTtlSeconds: env.CACHE_TTL_SECONDS,
    metricsToken: env.METRICS_TOKEN,
    deviceFlow: {
      enabled: env.DEVICE_FLOW,
      intervalSeconds: env.DEVICE_FLOW_INTERVAL_SECONDS,
      codeTtlSeconds: env.DEVICE_CODE_TTL_SECONDS,
    },
    backchannelLogout: {
      pollIntervalMs: env.BACKCHANNEL_LOGOUT_POLL_MS,
      retryBaseMs: env.BACKCHANNEL_LOGOUT_RETRY_BASE_MS,
      maxAttempts: env.BACKCHANNEL_LOGOUT_MAX_ATTEMPTS,
      timeoutMs: env.BACKCHANNEL_LOGOUT_TIMEOUT_MS,
      privateAddresses: env.BACKCHANNEL_LOGOUT_PRIVATE_ADDRESSES ?? !isProduction,
    },
  });
}

/** Outside production a missing SECRET_KEY is generated once into DATA_DIR so restarts keep cookies and keys valid. */
function developmentSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw err;
  }
}
