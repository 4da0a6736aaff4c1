// gatehouse keys rotate — stages a new generation: running servers publish it and verify with it at their next key
// poll, and sign with it from `signsFrom` (KEY_ACTIVATION_DELAY_MS later; docs/operations.md, "Key rotation").
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
