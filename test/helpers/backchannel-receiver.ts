// A relying party's back-channel logout endpoint for tests, on its own port: it records every logout token POSTed to
// it, and a path can be told to fail a few times first (to see the server retry).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  contentType: string | undefined;
  token: string;
}

export class BackchannelReceiver {
  readonly received: Received[] = [];
  readonly failFirst = new Map<string, number>();
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const failuresLeft = this.failFirst.get(path) ?? 0;
        if (failuresLeft > 0) {
          this.failFirst.set(path, failuresLeft - 1);
          res.writeHead(503).end();
          return;
        }
        this.received.push({ path, contentType: req.headers['content-type'], token: new URLSearchParams(body).get('logout_token') ?? '' });
        res.writeHead(200, { 'Cache-Control': 'no-store' }).end();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Waits (polling, with a deadline) until `count` tokens reached `path`. */
  async tokensAt(path: string, count = 1, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.filter((r) => r.path === path);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`${found.length} of ${count} logout tokens reached ${path}`);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
