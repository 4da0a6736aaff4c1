// The gatehouse CLI in the test's own process (test/helpers/processes.ts runs the binary).
import { Readable } from 'node:stream';
import { readFirstLine } from '../../src/cli/prompt.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { minimalEnv, type Completed } from './processes.ts';

/**
 * The gatehouse CLI in this process, as the binary runs it with pipes (no terminal): its own configuration from
 * `vars`, its own connections, `input` as its stdin. A process start costs seconds on a slow machine; tests of what
 * depends on the process itself (exit codes, stdout against stderr, configuration errors) run the binary.
 */
export async function runCliInProcess(args: string[], vars: Record<string, string>, input = ''): Promise<Completed> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { ...minimalEnv(), ...vars },
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readFirstLine: () => readFirstLine(Readable.from([input])),
  });
  return { code, stdout, stderr };
}
