// gatehouse keys rotate — running servers pick the new keys up within seconds.
import { CLI_ACTOR } from '../../services/audit.ts';
import { ensureSigningKeys, rotateSigningKeys } from '../../services/signing-keys.ts';
import type { Command } from '../command.ts';

export const keysRotate: Command = {
  name: 'keys rotate',
  usage: 'keys rotate',
  options: {},
  run: async (deps) => {
    await ensureSigningKeys(deps);
    return rotateSigningKeys(deps, CLI_ACTOR);
  },
};
