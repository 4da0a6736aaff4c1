// gatehouse migrate — the runner has already brought the schema up to date; report what it applied.
import type { Command } from '../command.ts';

export const migrate: Command = {
  name: 'migrate',
  usage: '',
  summary: 'Bring the database schema up to date (every command does this first) and list what was applied',
  options: {},
  run: async (deps) => ({ applied: deps.migrationsApplied }),
};
