// A real three-node Redis Cluster for one test file: redis-server processes on free ports in a temporary
// directory, joined with `redis-cli --cluster create`; stopped and removed afterwards.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './test-server.ts';

const run = promisify(execFile);
const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

export interface RedisCluster {
  /** One node's URL: what REDIS_URL names with REDIS_CLUSTER=true. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

export function redisClusterAvailable(): boolean {
  return existsSync(REDIS_SERVER) && existsSync(REDIS_CLI);
}

/** `describe` for cluster tests: skipped (with a note) without redis-server, required with CI=true. */
export function describeWithRedisCluster(name: string, body: () => void): void {
  if (!redisClusterAvailable() && process.env.CI !== 'true') {
    describe.skip(`${name} (no ${REDIS_SERVER}: apt-get install redis-server)`, body);
    return;
  }
  describe(name, body);
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: ChildProcess[] = ports.map((port) =>
    spawn(
      REDIS_SERVER,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no'],
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.exitCode !== null) return resolve();
            node.once('exit', () => resolve());
            node.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(async () => (await run(REDIS_CLI, ['-p', String(port), 'ping'])).stdout.includes('PONG'));
    await run(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () =>
      (await Promise.all(ports.map((p) => run(REDIS_CLI, ['-p', String(p), 'cluster', 'info'])))).every((r) =>
        r.stdout.includes('cluster_state:ok'),
      ),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the Redis Cluster did not come up');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
