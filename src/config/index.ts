// The environment schema and the typed, frozen config object: the only place that reads process.env.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be a whole number from ${min} to ${max}` });

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

/** Each variable, its rule and its default; the README's configuration table mirrors this. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  PORT: intIn(0, 65535).default(3000),
  HOST: z.string().min(1, { message: 'must not be empty' }).default('0.0.0.0'),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_MAX: intIn(1, 1000).default(10),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().default('gh:'),
  DATA_DIR: z.string().min(1, { message: 'must not be empty' }).default('./data'),
  SECRET_KEY: z.string().min(32, { message: 'must be at least 32 characters (e.g. `openssl rand -base64 48`)' }).optional(),
  TRUST_PROXY: boolish.default(false),
  TENANT_DOMAIN: z.string().optional(),
  BCRYPT_COST: intIn(4, 15).default(12),
  WORKERS: intIn(1, 64).default(1),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  BODY_LIMIT_KB: intIn(1, 10240).default(100),
  SHUTDOWN_TIMEOUT_MS: intIn(0, 600000).default(10000),
  SEED_DEMO: boolish.optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
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
  dataDir: string;
  secretKey: string;
  trustProxy: boolean;
  tenantDomain: string | undefined;
  bcryptCost: number;
  workers: number;
  logLevel: (typeof LOG_LEVELS)[number];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** Create the demo tenant, user and client on an empty database (never in production). */
  seedDemo: boolean;
  /** SMTP server for outgoing mail; unset: mail goes to the outbox table. */
  smtpUrl: string | undefined;
  mailFrom: string;
}

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
      const shown = given === undefined || name === 'SECRET_KEY' ? '' : ` (got ${JSON.stringify(given)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(problems.join('; '));
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === 'production';
  const dataDir = resolve(env.DATA_DIR);

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
    dataDir,
    secretKey: env.SECRET_KEY ?? developmentSecretKey(dataDir),
    trustProxy: env.TRUST_PROXY,
    tenantDomain: env.TENANT_DOMAIN,
    bcryptCost: env.BCRYPT_COST,
    workers: env.WORKERS,
    logLevel: env.LOG_LEVEL,
    bodyLimitBytes: env.BODY_LIMIT_KB * 1024,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    seedDemo: env.SEED_DEMO ?? !isProduction,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
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
