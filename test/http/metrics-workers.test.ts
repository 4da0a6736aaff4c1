// /metrics with WORKERS=2 as a real process: a scrape of either worker shows the requests of both, the same total
// every time; and a worker that does not answer makes the scrape fail with 503 after the timeout instead of hanging.
import { get } from 'node:http';
import { spawnServer, type ServerProcess } from '../helpers/processes.ts';
import { describeWithSharedServices } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { freePort } from '../helpers/test-server.ts';

const REQUESTS = 30;
let env: TestEnv;
let server: ServerProcess;
let workerPids: string[];

interface Answer {
  status: number;
  body: string;
}

/** A GET on a connection of its own, so that node:cluster hands each request to the next worker in turn. */
function fetchAlone(path: string, timeoutMs: number): Promise<Answer | 'timeout'> {
  return new Promise((resolve, reject) => {
    const req = get(`${server.url}${path}`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => {
      resolve('timeout');
      req.destroy();
    });
    req.on('error', reject);
  });
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid of the worker that served each logged request to `path`, in order. */
function servedBy(path: string): string[] {
  const line = new RegExp(`"pid":(\\d+),"requestId":"[^"]+","method":"GET","path":"${path}"`, 'g');
  return [...server.output().matchAll(line)].map((m) => m[1] as string);
}

/** gatehouse_http_requests_total summed over all series, split into /metrics itself and everything else. */
function requestTotals(text: string): { scrapes: number; others: number } {
  const totals = { scrapes: 0, others: 0 };
  for (const [, labels, value] of text.matchAll(/^gatehouse_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    totals[(labels as string).includes('route="/metrics"') ? 'scrapes' : 'others'] += Number(value);
  }
  return totals;
}

describeWithSharedServices('/metrics with WORKERS=2', () => {
  beforeAll(async () => {
    env = await createTestEnv();
    const port = await freePort();
    server = await spawnServer(
      { ...env.vars, WORKERS: '2', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info' },
      90_000,
    );
    await waitFor(() => (server.output().match(/"msg":"listening"/g) ?? []).length === 2, 'both workers to listen');
    workerPids = [...server.output().matchAll(/"pid":(\d+)[^\n]*"msg":"listening"/g)].map((m) => m[1] as string);
  }, 120_000);

  afterAll(async () => {
    for (const pid of workerPids ?? []) process.kill(Number(pid), 'SIGCONT');
    if (server) expect(await server.stop('SIGTERM')).toBe(0);
    await env?.destroy();
  });

  it('answers every scrape, whichever worker serves it, with the requests of both workers', async () => {
    for (let i = 0; i < REQUESTS; i += 1) expect(await fetchAlone('/health/live', 10_000)).toMatchObject({ status: 200 });
    await waitFor(() => servedBy('/health/live').length === REQUESTS, 'the access log');
    expect(new Set(servedBy('/health/live'))).toEqual(new Set(workerPids));

    // A scrape counts itself only after answering, so the n-th sees the n - 1 before it.
    for (let n = 1; n <= 6; n += 1) {
      const answer = await fetchAlone('/metrics', 10_000);
      if (answer === 'timeout') throw new Error('scrape timed out');
      expect(answer.status).toBe(200);
      expect(requestTotals(answer.body)).toEqual({ scrapes: n - 1, others: REQUESTS });
    }
    await waitFor(() => servedBy('/metrics').length === 6, 'the access log');
    expect(new Set(servedBy('/metrics'))).toEqual(new Set(workerPids));
  }, 60_000);

  it('fails the scrape with 503 after the timeout while a worker does not answer, and recovers', async () => {
    const [stuck] = workerPids as [string];
    process.kill(Number(stuck), 'SIGSTOP');
    // node:cluster hands the stopped worker one more connection, which hangs, and then no more: spend it on a probe.
    for (let i = 0; i < 3 && (await fetchAlone('/health/live', 2_000)) !== 'timeout'; i += 1);
    let answer = await fetchAlone('/metrics', 8_000);
    if (answer === 'timeout') answer = await fetchAlone('/metrics', 8_000);
    if (answer === 'timeout') throw new Error('the running worker did not answer either');
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).errors[0].code).toBe('SERVICE_UNAVAILABLE');
    await waitFor(() => server.output().includes('"detail":"metrics of all workers: no answer within 3000 ms"'), 'the log line');

    process.kill(Number(stuck), 'SIGCONT');
    const again = await fetchAlone('/metrics', 10_000);
    expect(again).toMatchObject({ status: 200 });
  }, 60_000);
});
