// Starts one HTTP server on a fresh context and knows how to stop it gracefully (docs/operations.md, "Shutdown":
// readiness fails at once, new connections are still accepted for SHUTDOWN_DELAY_MS, then none; in-flight
// requests finish; background work stops; pools close). Tests call startServer directly; main.ts adds signals
// and workers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import type { Config } from './config/index.ts';
import { closeAppContext, createAppContext, type AppContext } from './context.ts';
import type { Logger } from './logger.ts';
import { createOidcRuntime, type OidcRuntime } from './oidc/index.ts';
import { seedDemoData, type DemoData } from './services/demo.ts';
import type { MailTransport } from './services/mail.ts';

export interface RunningServer {
  ctx: AppContext;
  /** The composed Koa app (tests read its routers to compare the served routes with the docs). */
  app: Koa;
  oidc: OidcRuntime;
  server: Server;
  url: string;
  demo: DemoData | undefined;
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  logger: Logger,
  options: { seed?: boolean; mailTransport?: MailTransport } = {},
): Promise<RunningServer> {
  const ctx = await createAppContext(config, logger);
  if (options.mailTransport) ctx.mailTransport = options.mailTransport;
  try {
    const demo = (options.seed ?? true) ? await seedDemoData(ctx) : undefined;
    const oidc = await createOidcRuntime(ctx);
    const app = createApp(ctx, oidc);
    const server = createServer();
    // Once shutdown has begun every answer closes its connection, so no client keeps one it would reuse later.
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (ctx.shuttingDown) res.setHeader('Connection', 'close');
    });
    server.on('request', app.callback());
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
    const close = () => (closing ??= shutdown(ctx, server, oidc));
    return { ctx, app, oidc, server, url, demo, close };
  } catch (err) {
    await closeAppContext(ctx);
    throw err;
  }
}

async function shutdown(ctx: AppContext, server: Server, oidc: OidcRuntime): Promise<void> {
  const { shutdownDelayMs: delayMs, shutdownTimeoutMs: timeoutMs } = ctx.config;
  ctx.shuttingDown = true; // readiness answers 503 from now on
  if (delayMs > 0) {
    // Load balancers notice the failing readiness within their check interval and stop sending; until then
    // requests still arrive and are served.
    ctx.logger.info({ delayMs }, 'shutting down: readiness fails, still accepting while load balancers notice');
    await sleep(delayMs);
  }
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
  // Background work (key poll, payload sweep) stops before the pools it uses close.
  oidc.close();
  await closeAppContext(ctx);
  ctx.logger.info('shut down');
}
