// A TCP proxy in front of a real service, so a test can cut PostgreSQL or Redis off, make it swallow traffic
// or answer slowly (and bring it back) without touching the shared server every other test file uses.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Closes every connection and stops listening: to a client the service is down (connection refused). */
  cut(): Promise<void>;
  /**
   * Accepts connections but forwards nothing either way, as a hung or partitioned node: the bytes wait in the
   * proxy (as TCP would retransmit them) and flow again on heal(), in order.
   */
  blackhole(): void;
  /** Delays every chunk by `ms` in each direction. */
  slow(ms: number): void;
  /** Back to normal after blackhole() or slow(); after cut(), listens again on the same port. */
  heal(): Promise<void>;
  /** Same as heal(), for a cut proxy. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

type Mode = { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'slow'; ms: number };

/** One direction of one connection: chunks queue here while the proxy holds them. */
class Pipe {
  readonly #held: Buffer[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly to: Socket;
  readonly mode: () => Mode;

  constructor(to: Socket, mode: () => Mode) {
    this.to = to;
    this.mode = mode;
  }

  push(chunk: Buffer): void {
    const mode = this.mode();
    if (mode.kind === 'pass' && this.#held.length === 0) this.#write(chunk);
    else if (mode.kind === 'slow') {
      // Delayed chunks keep their order: each leaves `ms` after it arrived, behind the ones before it.
      this.#held.push(chunk);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        const next = this.#held.shift();
        if (next) this.#write(next);
        if (this.#timers.size === 0 && this.mode().kind === 'pass') this.flush();
      }, mode.ms);
      this.#timers.add(timer);
    } else this.#held.push(chunk);
  }

  /** Sends what was held back (after a blackhole). */
  flush(): void {
    if (this.#timers.size > 0) return; // slow chunks leave by their own timers
    for (const chunk of this.#held.splice(0)) this.#write(chunk);
  }

  drop(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#held.length = 0;
  }

  #write(chunk: Buffer): void {
    if (!this.to.destroyed) this.to.write(chunk);
  }
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pipes = new Set<Pipe>();
  let mode: Mode = { kind: 'pass' };
  let server: Server;
  let port = 0;

  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      const up = new Pipe(upstream, () => mode);
      const down = new Pipe(client, () => mode);
      pipes.add(up).add(down);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('data', (chunk: Buffer) => up.push(chunk));
      upstream.on('data', (chunk: Buffer) => down.push(chunk));
      const end = () => {
        client.destroy();
        upstream.destroy();
        up.drop();
        down.drop();
        pipes.delete(up);
        pipes.delete(down);
      };
      client.on('close', end);
      upstream.on('close', end);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  };
  const heal = async () => {
    mode = { kind: 'pass' };
    for (const pipe of pipes) pipe.flush();
    if (!server.listening) await listen();
  };

  await listen();
  return {
    port,
    cut: stop,
    blackhole: () => {
      mode = { kind: 'blackhole' };
    },
    slow: (ms) => {
      mode = { kind: 'slow', ms };
    },
    heal,
    restore: heal,
    close: async () => {
      mode = { kind: 'pass' };
      await stop();
    },
  };
}

/** A proxy in front of this file's PostgreSQL and one in front of its Redis, and the URLs that go through them. */
export async function proxyServices(vars: Record<string, string>): Promise<{
  pgProxy: TcpProxy;
  redisProxy: TcpProxy;
  urls: { DATABASE_URL: string; REDIS_URL: string };
}> {
  const db = new URL(vars.DATABASE_URL as string);
  const redis = new URL(vars.REDIS_URL as string);
  const pgProxy = await startTcpProxy(db.hostname, Number(db.port || 5432));
  const redisProxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
  db.host = `127.0.0.1:${pgProxy.port}`;
  redis.host = `127.0.0.1:${redisProxy.port}`;
  return { pgProxy, redisProxy, urls: { DATABASE_URL: db.toString(), REDIS_URL: redis.toString() } };
}
