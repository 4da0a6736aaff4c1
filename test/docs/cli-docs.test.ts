// The command lines printed in README.md and docs/cli.md run as printed: `npx gatehouse` resolves in a checkout, and
// every example names a real command with flags it accepts (parsed with the command's own option table).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { ROOT } from '../helpers/processes.ts';

/** Shell words of a one-line command: quotes grouped, no expansion needed by the examples. */
const words = (line: string) => [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');

const examples = ['README.md', 'docs/cli.md'].flatMap((file) =>
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:printf .*?\|\s*)?/, '').replace(/\s+#.*$/, ''))
    .flatMap((line) => [...line.matchAll(/npx gatehouse ([^`\n]+)/g)].map((m) => ({ file, line: m[1] as string }))),
);

it('finds the examples', () => {
  expect(examples.length).toBeGreaterThan(30);
});

it.each(examples.map((e) => [e.file, e.line]))('%s: npx gatehouse %s names a command and its flags', (_file, line) => {
  // Placeholders such as <id> stand for a value; a pipe ends the command.
  const argv = words(line.split(' | ')[0] as string).map((w) => (w.startsWith('<') ? 'VALUE' : w));
  if (argv[0] === 'help' || argv[0] === '…' || argv[0] === 'VALUE') return;
  const command = COMMANDS.filter((c) => c.name.split(' ').every((w, i) => argv[i] === w)).sort((a, b) => b.name.length - a.name.length)[0];
  expect(command?.name).toBeDefined();
  const args = argv.slice((command?.name.split(' ') ?? []).length);
  const options = { ...command?.options, help: { type: 'boolean' as const }, json: { type: 'boolean' as const } };
  expect(() => parseArgs({ args, options, strict: true, allowPositionals: false })).not.toThrow();
});

it('runs `npx gatehouse help` in the checkout', async () => {
  const { stdout } = await promisify(execFile)('npx', ['--no-install', 'gatehouse', 'help'], { cwd: ROOT });
  expect(stdout).toMatch(/^Usage: npx gatehouse <command> \[flags\]/);
}, 60_000);
