// The gatehouse CLI in the test's own process (test/helpers/processes.ts runs the binary).
import { Readable } from 'node:stream';
import { readFirstLine } from '../../src/cli/prompt.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { minimalEnv, type Completed } from './processes.ts';

/** How the in-process CLI's terminal looks: pipes by default (JSON out, `input` as stdin). */
export interface InProcessTerminal {
  /** Its stdin: what `--password-stdin` reads, when there is no terminal to answer prompts. */
  input?: string;
  /** stdout and stderr are a terminal (text out); with `answers`, stdin is one too and they answer its prompts in turn. */
  terminal?: { answers?: string[] };
}

/**
 * The gatehouse CLI in this process, as the binary runs it: its own configuration from `vars`, its own connections.
 * A process start costs seconds on a slow machine; tests of what depends on the process itself (exit codes, stdout
 * against stderr, configuration errors) run the binary.
 */
export async function runCliInProcess(args: string[], vars: Record<string, string>, options: InProcessTerminal = {}): Promise<Completed> {
  let stdout = '';
  let stderr = '';
  const answers = options.terminal?.answers;
  const code = await runCli(args, {
    env: { ...minimalEnv(), ...vars },
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdoutIsTTY: options.terminal !== undefined,
    stderrIsTTY: options.terminal !== undefined,
    stdinIsTTY: answers !== undefined,
    ...(answers
      ? {
          promptHidden: async (label: string) => {
            stderr += label;
            return answers.shift() ?? '';
          },
          promptYesNo: async () => answers.shift() === 'y',
        }
      : { readFirstLine: () => readFirstLine(Readable.from([options.input ?? ''])) }),
  });
  return { code, stdout, stderr };
}
