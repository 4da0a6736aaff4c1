// What a CLI command is: a name, its flags (node:util parseArgs), and a run that returns the JSON to print.
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import type { CacheInvalidation } from '../store/entity-cache.ts';

export interface CliDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** The migrations this run applied before the command (every command brings the schema up to date first). */
  migrationsApplied: string[];
  /** Announces tenant and client changes to running servers (their caches). */
  cache: CacheInvalidation;
}

export interface Command {
  /** `tenant create`, `keys rotate`, … */
  name: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(deps: CliDeps, values: Record<string, string | boolean | string[] | undefined>): Promise<unknown>;
}

/** A problem with how the command was called; exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function requireString(values: Record<string, unknown>, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

export function optionalInt(values: Record<string, unknown>, flag: string): number | undefined {
  const value = values[flag];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`--${flag} must be a whole number`);
  return Number(value);
}
