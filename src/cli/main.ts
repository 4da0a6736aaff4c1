// Entry of the gatehouse CLI (see run-cli.ts): the real terminal.
import { promptHidden, promptYesNo, readFirstLine } from './prompt.ts';
import { runCli } from './run-cli.ts';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  readFirstLine: () => readFirstLine(process.stdin),
  promptHidden: (label) => promptHidden(label),
  promptYesNo: (question) => promptYesNo(question),
});
process.exitCode = code;
