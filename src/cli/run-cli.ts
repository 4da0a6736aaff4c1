// The gatehouse CLI: JSON on stdout on success; a JSON error on stderr and a non-zero exit on failure
// (1 for a refused operation, 2 for a usage error).
import { parseArgs } from 'node:util';
import { createRedisClient } from '../store/redis-store.ts';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config/index.ts';
import { DirectoryLockedError } from '../db/directory-lock.ts';
import { openDatabase, type Database } from '../db/knex.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AppError } from '../errors/app-error.ts';
import { fromDatabaseError } from '../errors/database-errors.ts';
import { createLogger } from '../logger.ts';
import { cacheChannel, createEntityCache } from '../store/entity-cache.ts';
import { UsageError, type Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
}

type Values = Record<string, string | boolean | string[] | undefined>;

const HELP_FLAGS = new Set(['help', '--help', '-h']);

const usageOf = (commands: readonly Command[]) =>
  ['usage: gatehouse <command> [flags]', '', ...commands.map((c) => `  gatehouse ${c.usage}`)].join('\n');

const wordsOf = (command: Command) => command.name.split(' ');

function findCommand(argv: string[]): Command | undefined {
  return COMMANDS.find((c) => wordsOf(c).every((word, i) => argv[i] === word));
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const print = (result: unknown) => {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  };
  const fail = (code: string, message: string, extra: Record<string, unknown> = {}, exitCode = 1) => {
    io.stderr(`${JSON.stringify({ error: { code, message, ...extra } })}\n`);
    return exitCode;
  };

  const [first] = argv;
  if (first === undefined) return fail('USAGE_ERROR', 'no command given', { usage: usageOf(COMMANDS) }, 2);
  if (HELP_FLAGS.has(first)) return print({ usage: usageOf(COMMANDS) });

  const command = findCommand(argv);
  if (!command) {
    // Only the leading words: whatever follows a flag may be a password.
    const flagAt = argv.findIndex((a) => a.startsWith('-'));
    const words = argv.slice(0, Math.min(2, flagAt === -1 ? argv.length : flagAt));
    const group = COMMANDS.filter((c) => wordsOf(c)[0] === first);
    const message = words.length > 0 ? `unknown command "${words.join(' ')}"` : 'no command given';
    return fail('USAGE_ERROR', message, { usage: usageOf(group.length > 0 ? group : COMMANDS) }, 2);
  }

  const args = argv.slice(wordsOf(command).length);
  const options = { ...command.options, help: { type: 'boolean', short: 'h' } } as const;
  let values: Values;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    return fail('USAGE_ERROR', describeParseError(err, args, options), { usage: `gatehouse ${command.usage}` }, 2);
  }
  if (values.help === true) return print({ usage: `gatehouse ${command.usage}` });
  delete values.help;

  let config: Config;
  try {
    // The CLI's stdout is for its answer; below `warn` the logs are noise for an operator.
    config = loadConfig({ ...io.env, LOG_LEVEL: io.env.LOG_LEVEL || 'warn' });
  } catch (err) {
    if (err instanceof ConfigError) return fail('CONFIG_ERROR', err.message);
    return fail('INTERNAL_ERROR', (err as Error).message);
  }
  // Logs go to stderr so that stdout holds exactly one JSON document.
  const logger = createLogger(config, pino.destination({ dest: 2, sync: true }));
  let database: Database | undefined;
  // Running servers cache tenants and clients: a change made here is announced to them over Redis.
  const publisher = config.redisUrl
    ? createRedisClient(
        { url: config.redisUrl, cluster: config.redisCluster },
        { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null },
      )
    : undefined;
  publisher?.on('error', () => {}); // a failed publish is logged by the cache; servers then converge within CACHE_TTL_SECONDS
  try {
    database = openDatabase(config, logger);
    const migrationsApplied = await migrateToLatest(database.db, { secretKey: config.secretKey });
    const cache = createEntityCache({
      db: database.db,
      logger,
      ttlSeconds: config.cacheTtlSeconds,
      publisher,
      channel: cacheChannel(config.redisKeyPrefix),
    });
    return print(await command.run({ config, db: database.db, logger, migrationsApplied, cache }, values));
  } catch (err) {
    if (err instanceof UsageError) return fail('USAGE_ERROR', err.message, { usage: `gatehouse ${command.usage}` }, 2);
    if (err instanceof DirectoryLockedError) return fail('DATA_DIR_LOCKED', err.message);
    const appError = err instanceof AppError ? err : fromDatabaseError(err);
    if (appError) {
      const item = appError.errors[0];
      return fail(item?.code ?? 'INTERNAL_ERROR', item?.message ?? appError.message, {
        errors: appError.errors,
        ...(appError.detail && { detail: appError.detail }),
      });
    }
    logger.error({ err }, 'command failed');
    return fail('INTERNAL_ERROR', (err as Error).message);
  } finally {
    publisher?.disconnect();
    await database?.close();
  }
}

/** parseArgs quotes a stray argument back, and with an unquoted passphrase that is part of the password. */
function describeParseError(err: unknown, args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): string {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return (err as Error).message;
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const at = tokens.findIndex((t) => t.kind === 'positional');
  const flag = tokens
    .slice(0, at)
    .reverse()
    .find((t) => t.kind === 'option');
  return `unexpected argument ${flag?.kind === 'option' ? `after ${flag.rawName}` : 'before the first flag'}; quote a value that contains spaces`;
}
