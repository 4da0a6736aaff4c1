// gatehouse keys rotate — stages a new generation: running servers publish it and verify with it at their next key
// poll, and sign with it from `signsFrom` (KEY_ACTIVATION_DELAY_MS later; docs/operations.md, "Key rotation").
import { CLI_ACTOR } from '../../services/audit.ts';
import { ensureSigningKeys, rotateSigningKeys } from '../../services/signing-keys.ts';
import type { Command } from '../command.ts';

export const keysRotate: Command = {
  name: 'keys rotate',
  usage: '',
  summary: 'Start a new signing-key generation; the old keys stay published for a day',
  description: 'Running servers notice within ten seconds; tokens signed with the old keys keep verifying until they expire.',
  options: {},
  run: async (deps) => {
    deps.io.progress('Generating signing keys…');
    await ensureSigningKeys(deps);
    return rotateSigningKeys(deps, CLI_ACTOR);
  },
};
