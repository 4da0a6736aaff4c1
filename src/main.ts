// Process entry: config → server → listen; WORKERS processes; graceful shutdown on SIGTERM/SIGINT.
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { closeAppContext, createAppContext } from './context.ts';
import { createLogger, type Logger } from './logger.ts';
import { formatDemoCredentials, seedDemoData, type DemoData } from './services/demo.ts';
import { serveClusterMetrics, shareMetricsWithPrimary } from './services/metrics.ts';
import { startServer } from './server.ts';

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

function printDemo(demo: DemoData, url: string): void {
  process.stdout.write(formatDemoCredentials(demo, url));
}

async function runSingle(config: Config, logger: Logger, seed: boolean): Promise<void> {
  // The handlers are installed before the server starts: a signal that arrives while it starts (or just as the
  // "listening" line leaves) waits for the start and then shuts down cleanly, instead of killing the process.
  const starting = startServer(config, logger, { seed });
  const stop = (signal: string) => {
    logger.info({ signal }, 'signal received');
    starting
      .then((running) => running.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const running = await starting;
  if (cluster.isWorker) shareMetricsWithPrimary(running.ctx.metrics.registry);
  if (running.demo) printDemo(running.demo, config.publicUrl);
}

/** The primary migrates and seeds once, then forks WORKERS processes that share the port. */
async function runPrimary(config: Config, logger: Logger): Promise<void> {
  const ctx = await createAppContext(config, logger);
  const demo = await seedDemoData(ctx);
  await closeAppContext(ctx);
  if (demo) printDemo(demo, config.publicUrl);
  let stopping = false;
  serveClusterMetrics(logger);
  for (let i = 0; i < config.workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ worker: worker.process.pid, code, signal }, 'worker died; starting another');
    cluster.fork();
  });
  const stop = (signal: string) => {
    stopping = true;
    logger.info({ signal }, 'signal received: stopping workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        process.exit(0);
      }
    }, 100);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  if (cluster.isWorker) shareMetricsWithPrimary();
  if (config.workers > 1 && cluster.isPrimary) await runPrimary(config, logger);
  else await runSingle(config, logger, cluster.isPrimary);
}

main().catch((err: unknown) => {
  process.stderr.write(`gatehouse: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
