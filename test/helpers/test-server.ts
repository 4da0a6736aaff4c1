// Starts the real HTTP server in this process on the test file's own storage.
import { createLogger } from '../../src/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestEnv, type TestEnv } from './test-env.ts';

export interface TestServer extends RunningServer {
  env: TestEnv;
  /** Stops the server and drops the file's database and keys. */
  stop(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, string> = {}, env?: TestEnv): Promise<TestServer> {
  const testEnv = env ?? (await createTestEnv());
  const config = testEnv.config(overrides);
  const running = await startServer(config, createLogger(config), { seed: config.seedDemo });
  return {
    ...running,
    env: testEnv,
    stop: async () => {
      await running.close();
      if (!env) await testEnv.destroy();
    },
  };
}
