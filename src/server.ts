// Starts one HTTP server on a fresh context and knows how to stop it gracefully (SIGTERM: stop accepting,
// finish in-flight requests, close pools). Tests call startServer directly; main.ts adds signals and workers.
import { createServer, type Server } from 'node:http';
import type Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { Config } from './config/index.ts';
import { closeAppContext, createAppContext, type AppContext } from './context.ts';
import type { Logger } from './logger.ts';
import { createOidcRuntime, type OidcRuntime } from './oidc/index.ts';
import { seedDemoData, type DemoCredentials } from './services/demo.ts';

export interface RunningServer {
  ctx: AppContext;
  /** The composed Koa app (tests read its routers to compare the served routes with the docs). */
  app: Koa;
  oidc: OidcRuntime;
  server: Server;
  url: string;
  demo: DemoCredentials | undefined;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger, options: { seed?: boolean } = {}): Promise<RunningServer> {
  const ctx = await createAppContext(config, logger);
  try {
    const demo = (options.seed ?? true) ? await seedDemoData(ctx) : undefined;
    const oidc = await createOidcRuntime(ctx);
    const app = createApp(ctx, oidc);
    const server = createServer(app.callback());
    server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
    logger.info({ url, publicUrl: config.publicUrl }, 'listening');
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= shutdown(ctx, server, config.shutdownTimeoutMs).finally(() => oidc.close()));
    return { ctx, app, oidc, server, url, demo, close };
  } catch (err) {
    await closeAppContext(ctx);
    throw err;
  }
}

async function shutdown(ctx: AppContext, server: Server, timeoutMs: number): Promise<void> {
  ctx.shuttingDown = true;
  ctx.logger.info('shutting down: no new connections, finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections that go idle after their last response are closed as they appear; after the timeout, all are.
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => {
    ctx.logger.warn('shutdown timeout reached: closing remaining connections');
    server.closeAllConnections();
  }, timeoutMs);
  try {
    await closed;
  } finally {
    clearInterval(idleSweep);
    clearTimeout(deadline);
  }
  await closeAppContext(ctx);
  ctx.logger.info('shut down');
}
