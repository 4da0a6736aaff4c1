// Runs the real entry points (server, CLI) as child processes on Node 22, the runtime npm scripts use.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/**
 * The Node flags `npm start` runs the server with (package.json), so spawned servers run as in production:
 * AsyncLocalStorage on AsyncContextFrame rather than async_hooks, and a larger young generation (docs/operations.md,
 * "Performance").
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--experimental-async-context-frame', '--max-semi-space-size=64'];

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has ended by itself. */
  exited: Promise<number | null>;
  /** Resolves once the output contains `text` (lines written after "listening" arrive when they arrive). */
  waitForOutput(text: string, timeoutMs?: number): Promise<string>;
}

/** Starts `node src/main.ts` and waits for its "listening" log line. */
export function spawnServer(vars: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...minimalEnv(), ...vars },
    stdio: 'pipe',
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:[^"]+)".*"msg":"listening"/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1],
          output: () => output,
          exited,
          waitForOutput: (text, waitMs = 10_000) =>
            new Promise<string>((done, fail) => {
              const check = () => {
                if (!output.includes(text)) return false;
                clearTimeout(giveUp);
                child.stdout.off('data', check);
                child.stderr.off('data', check);
                done(output);
                return true;
              };
              const giveUp = setTimeout(() => {
                child.stdout.off('data', check);
                child.stderr.off('data', check);
                fail(new Error(`no "${text}" in the output within ${waitMs} ms:\n${output}`));
              }, waitMs);
              if (!check()) {
                child.stdout.on('data', check);
                child.stderr.on('data', check);
              }
            }),
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
}

export interface Completed {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script of the repository (e.g. `src/main.ts`, `bin/gatehouse.js`) to completion. */
export function runScript(script: string, args: string[], vars: Record<string, string>, timeoutMs = 60_000): Promise<Completed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, env: { ...minimalEnv(), ...vars }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The child sees only what a fresh shell would, plus the test's variables: no leaked DATABASE_URL. */
export function minimalEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : [])));
}
