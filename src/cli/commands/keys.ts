// gatehouse keys rotate — running servers pick the new keys up within seconds.
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
