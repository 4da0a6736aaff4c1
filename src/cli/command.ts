// What a CLI command is: a name, its flags (node:util parseArgs), help text, and a run that returns the result to
// print (as JSON for scripts, as text on a terminal).
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/knex.ts';
import type { Logger } from '../logger.ts';
import type { CacheInvalidation } from '../store/entity-cache.ts';

/** How a command talks to the person at the terminal; all of it on stderr, so stdout holds only the answer. */
export interface CliInteraction {
  /** A password or secret: from stdin with `--password-stdin`, else a hidden prompt on a terminal. */
  secret(label: string, fromStdin: boolean): Promise<string>;
  /** Asks before something irreversible; `--yes` answers for scripts. */
  confirm(question: string, yes: boolean): Promise<void>;
  /** A progress line for a step that takes a while (shown on a terminal only). */
  progress(message: string): void;
}

export interface CliDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** The migrations this run applied before the command (every command brings the schema up to date first). */
  migrationsApplied: string[];
  /** Announces tenant and client changes to running servers (their caches). */
  cache: CacheInvalidation;
  io: CliInteraction;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  /** `tenant create`, `keys rotate`, … */
  name: string;
  /** The flags, e.g. `--tenant SLUG --email E [--role R]...`. */
  usage: string;
  /** One line for the command list. */
  summary: string;
  /** Longer help: what it does and what to watch for. */
  description?: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(deps: CliDeps, values: Values): Promise<unknown>;
  /** The result for a person; without it the result is printed as aligned `key  value` lines or a table. */
  text?(result: never): string;
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

export function optionalString(values: Record<string, unknown>, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

export function optionalInt(values: Record<string, unknown>, flag: string): number | undefined {
  const value = values[flag];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`--${flag} must be a whole number`);
  return Number(value);
}

/** `--limit` of a list command: 1 to 1000, 100 by default. */
export function pageLimit(values: Record<string, unknown>): number {
  const limit = optionalInt(values, 'limit') ?? 100;
  if (limit < 1 || limit > 1000) throw new UsageError('--limit must be from 1 to 1000');
  return limit;
}

export const PAGE_OPTIONS = { limit: { type: 'string' }, cursor: { type: 'string' } } as const;
export const SECRET_OPTIONS = { 'password-stdin': { type: 'boolean' } } as const;
export const CONFIRM_OPTIONS = { yes: { type: 'boolean', short: 'y' } } as const;
