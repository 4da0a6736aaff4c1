// The gatehouse CLI: JSON on stdout on success; a JSON error on stderr and a non-zero exit on failure
// (1 for a refused operation, 2 for a usage error).
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/index.ts';
import { DirectoryLockedError } from '../db/directory-lock.ts';
import { openDatabase, type Database } from '../db/knex.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AppError } from '../errors/app-error.ts';
import { fromDatabaseError } from '../errors/database-errors.ts';
import { createLogger } from '../logger.ts';
import { UsageError, type Command } from './command.ts';
import { clientCreate } from './commands/clients.ts';
import { keysRotate } from './commands/keys.ts';
import { migrate } from './commands/migrate.ts';
import { tenantActivate, tenantCreate, tenantSuspend } from './commands/tenants.ts';
import { userCreate } from './commands/users.ts';

export const COMMANDS: readonly Command[] = [migrate, tenantCreate, tenantSuspend, tenantActivate, userCreate, clientCreate, keysRotate];

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
}

const usage = () => ['usage: gatehouse <command> [flags]', '', ...COMMANDS.map((c) => `  gatehouse ${c.usage}`)].join('\n');

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const fail = (code: string, message: string, extra: Record<string, unknown> = {}, exitCode = 1) => {
    io.stderr(`${JSON.stringify({ error: { code, message, ...extra } })}\n`);
    return exitCode;
  };

  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout(`${JSON.stringify({ usage: usage() })}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === argv.slice(0, c.name.split(' ').length).join(' '));
  if (!command) return fail('USAGE_ERROR', `unknown command "${argv.slice(0, 2).join(' ')}"`, { usage: usage() }, 2);

  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv.slice(command.name.split(' ').length),
      options: command.options,
      strict: true,
      allowPositionals: false,
    }).values as typeof values;
  } catch (err) {
    return fail('USAGE_ERROR', (err as Error).message, { usage: `gatehouse ${command.usage}` }, 2);
  }

  let config;
  try {
    config = loadConfig({ LOG_LEVEL: 'warn', ...io.env });
  } catch (err) {
    if (err instanceof ConfigError) return fail('CONFIG_ERROR', err.message);
    throw err;
  }
  // Logs go to stderr so that stdout holds exactly one JSON document.
  const logger = createLogger(config, pino.destination({ dest: 2, sync: true }));
  let database: Database | undefined;
  try {
    database = openDatabase(config, logger);
    const applied = await migrateToLatest(database.db);
    const result = command === migrate ? { applied } : await command.run({ config, db: database.db, logger }, values);
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return fail('USAGE_ERROR', err.message, { usage: `gatehouse ${command.usage}` }, 2);
    if (err instanceof DirectoryLockedError) return fail('DATA_DIR_LOCKED', err.message);
    const appError = err instanceof AppError ? err : fromDatabaseError(err);
    if (appError) {
      const first = appError.errors[0];
      return fail(first?.code ?? 'INTERNAL_ERROR', first?.message ?? appError.message, {
        errors: appError.errors,
        ...(appError.detail && { detail: appError.detail }),
      });
    }
    logger.error({ err }, 'command failed');
    return fail('INTERNAL_ERROR', (err as Error).message);
  } finally {
    await database?.close();
  }
}
