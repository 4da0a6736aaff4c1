// gatehouse demo credentials — the demo sign-in printed at first start, again, while the demo admin's password is
// still the generated one.
import { formatDemoCredentials, storedDemoCredentials } from '../../services/demo.ts';
import type { DemoCredentials } from '../../services/demo.ts';
import type { Command } from '../command.ts';

export const demoCredentials: Command = {
  name: 'demo credentials',
  usage: '',
  summary: 'Print the demo tenant, users and client created at the first development start',
  description:
    'Works until the demo admin changes the password; after that, `user reset-password --tenant demo --user ID` sets a new one. Deleting DATA_DIR (embedded mode) starts over with new demo data.',
  options: {},
  run: async (deps) => {
    const demo = await storedDemoCredentials(deps);
    return demo
      ? { demo }
      : { demo: null, hint: 'no demo credentials to show: none were created here, or the demo admin changed the password' };
  },
  text: (result: { demo: DemoCredentials | null; hint?: string }) =>
    result.demo ? formatDemoCredentials({ ...result.demo, created: false }, '').trimEnd() : (result.hint as string),
};
