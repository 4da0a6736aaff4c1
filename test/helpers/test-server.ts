// Starts the real HTTP server in this process on the test file's own storage.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createMailCapture, type MailCapture } from './mail-capture.ts';
import { createTestEnv, type TestEnv } from './test-env.ts';

export interface TestServer extends RunningServer {
  env: TestEnv;
  /** The mail this server delivered, as its recipients get it. */
  mail: MailCapture;
  /** Stops the server and drops the file's database and keys. */
  stop(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, string> = {}, env?: TestEnv): Promise<TestServer> {
  const testEnv = env ?? (await createTestEnv());
  // The issuer must be the address clients really use, so the port is chosen before the server starts.
  const port = overrides.PORT ?? String(await freePort());
  const config = testEnv.config({ PORT: port, PUBLIC_URL: `http://127.0.0.1:${port}`, ...overrides });
  const mail = createMailCapture();
  const running = await startServer(config, createLogger(config), { seed: config.seedDemo, mailTransport: mail.transport });
  return {
    ...running,
    env: testEnv,
    mail,
    stop: async () => {
      await running.close();
      if (!env) await testEnv.destroy();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
