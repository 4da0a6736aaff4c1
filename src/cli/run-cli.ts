// The gatehouse CLI: the answer on stdout — text on a terminal, JSON with --json or when stdout is not a terminal —
// and on failure an error on stderr (JSON in JSON mode) with a non-zero exit (1 refused, 2 usage error).
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
import { UsageError, type CliInteraction, type Command, type Values } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { formatResult } from './output.ts';

/** The terminal the CLI runs in; tests pass pipes (no TTY) and get JSON. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** stdout is a terminal: text output by default. */
  stdoutIsTTY?: boolean;
  /** stderr is a terminal: progress lines are shown. */
  stderrIsTTY?: boolean;
  /** A person can answer prompts (stdin is a terminal). */
  stdinIsTTY?: boolean;
  readFirstLine?(): Promise<string>;
  promptHidden?(label: string): Promise<string>;
  promptYesNo?(question: string): Promise<boolean>;
}

const HELP_WORDS = new Set(['help', '--help', '-h']);
const COMMON_OPTIONS = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } } as const;
const PROGRAM = 'npx gatehouse';

const wordsOf = (command: Command) => command.name.split(' ');

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} <command> [flags]`,
    '',
    'Administers a Gatehouse installation directly in its database; it reads the same configuration as the server',
    '(DATABASE_URL, REDIS_URL, SECRET_KEY, DATA_DIR, …; see docs/configuration.md).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --help, and --json for JSON on stdout (the default when stdout is not a terminal).',
    `"${PROGRAM} <command> --help" shows a command's flags; docs/cli.md has examples.`,
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `Usage: ${PROGRAM} ${command.name}${command.usage ? ` ${command.usage}` : ''} [--json]`,
    '',
    command.summary,
    ...(command.description ? ['', command.description] : []),
  ].join('\n');
}

function findCommand(argv: string[]): Command | undefined {
  return COMMANDS.filter((c) => wordsOf(c).every((word, i) => argv[i] === word)).sort((a, b) => wordsOf(b).length - wordsOf(a).length)[0];
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json') || io.stdoutIsTTY !== true;
  const print = (result: unknown, command?: Command) => {
    if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout(`${command?.text ? command.text(result as never) : formatResult(result)}\n`);
    return 0;
  };
  const fail = (code: string, message: string, extra: { usage?: string; errors?: unknown[]; detail?: string } = {}, exitCode = 1) => {
    if (json) {
      io.stderr(`${JSON.stringify({ error: { code, message, ...extra } })}\n`);
      return exitCode;
    }
    const lines = [`gatehouse: ${message} (${code})`];
    for (const item of (extra.errors ?? []) as Array<{ field?: string; constraint?: string; message?: string }>) {
      if (item.field) lines.push(`  ${item.field}: ${item.constraint ?? item.message ?? ''}`);
    }
    if (extra.detail) lines.push(`  ${extra.detail}`);
    if (extra.usage) lines.push('', extra.usage);
    io.stderr(`${lines.join('\n')}\n`);
    return exitCode;
  };
  const help = (text: string) => {
    io.stdout(`${text}\n`);
    return 0;
  };

  const [first] = argv;
  if (first === undefined) return fail('USAGE_ERROR', 'no command given', { usage: overview(COMMANDS) }, 2);
  if (HELP_WORDS.has(first)) return help(overview(COMMANDS));

  const command = findCommand(argv);
  if (!command) {
    // Only the leading words: whatever follows a flag may be a secret.
    const flagAt = argv.findIndex((a) => a.startsWith('-'));
    const words = argv.slice(0, Math.min(2, flagAt === -1 ? argv.length : flagAt));
    const group = COMMANDS.filter((c) => wordsOf(c)[0] === first);
    const message = words.length > 0 ? `unknown command "${words.join(' ')}"` : 'no command given';
    return fail('USAGE_ERROR', message, { usage: overview(group.length > 0 ? group : COMMANDS) }, 2);
  }

  const args = argv.slice(wordsOf(command).length);
  if (args.some((a) => a === '--password' || a.startsWith('--password='))) {
    const message =
      'passwords are not taken as flags (other users see them in `ps`): answer the prompt, or pipe it in with --password-stdin';
    return fail('USAGE_ERROR', message, { usage: commandHelp(command) }, 2);
  }
  const options = { ...command.options, ...COMMON_OPTIONS };
  let values: Values;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    return fail('USAGE_ERROR', describeParseError(err, args, options), { usage: commandHelp(command) }, 2);
  }
  if (values.help === true) return help(commandHelp(command));
  json = values.json === true || io.stdoutIsTTY !== true;
  delete values.help;
  delete values.json;

  let config: Config;
  try {
    // The CLI's stdout is for its answer; below `warn` the logs are noise for an operator.
    config = loadConfig({ ...io.env, LOG_LEVEL: io.env.LOG_LEVEL || 'warn' });
  } catch (err) {
    if (err instanceof ConfigError) return fail('CONFIG_ERROR', err.message);
    return fail('INTERNAL_ERROR', (err as Error).message);
  }
  // Logs go to stderr so that stdout holds exactly the answer.
  const logger = createLogger(config, pino.destination({ dest: 2, sync: true }));
  const interaction = createInteraction(io, !json && io.stderrIsTTY === true);
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
    if (!config.databaseUrl) interaction.progress(`Opening the embedded database in ${config.dataDir}…`);
    database = openDatabase(config, logger);
    const migrationsApplied = await migrateToLatest(database.db, { secretKey: config.secretKey });
    const cache = createEntityCache({
      db: database.db,
      logger,
      ttlSeconds: config.cacheTtlSeconds,
      publisher,
      channel: cacheChannel(config.redisKeyPrefix),
    });
    const result = await command.run({ config, db: database.db, logger, migrationsApplied, cache, io: interaction }, values);
    return print(result, command);
  } catch (err) {
    if (err instanceof UsageError) return fail('USAGE_ERROR', err.message, { usage: commandHelp(command) }, 2);
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

function createInteraction(io: CliIo, showProgress: boolean): CliInteraction {
  return {
    async secret(label, fromStdin) {
      if (fromStdin) {
        if (!io.readFirstLine) throw new UsageError('--password-stdin needs a stdin');
        return io.readFirstLine();
      }
      if (!io.stdinIsTTY || !io.promptHidden) {
        throw new UsageError(`no terminal to ask for the ${label} on: pipe it in with --password-stdin`);
      }
      const value = await io.promptHidden(`${label[0]?.toUpperCase()}${label.slice(1)}: `);
      if ((await io.promptHidden(`Repeat the ${label}: `)) !== value) throw new UsageError(`the two ${label}s differ`);
      return value;
    },
    async confirm(question, yes) {
      if (yes) return;
      if (!io.stdinIsTTY || !io.promptYesNo) throw new UsageError('--yes is required without a terminal to confirm on');
      if (!(await io.promptYesNo(question))) throw new UsageError('not confirmed');
    },
    progress(message) {
      if (showProgress) io.stderr(`${message}\n`);
    },
  };
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
