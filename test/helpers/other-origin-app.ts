// A web app on its own loopback origin (another port than the server's), for browser tests of what a third-party
// app sees: the browser follows redirects to it, and its handler answers them like a relying party would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppAnswer {
  status: number;
  location?: string;
  body?: string;
}

export abstract class OtherOriginApp {
  /** Errors the handler threw (each answered 500), for the test to assert there were none. */
  readonly failures: string[] = [];
  origin = '';
  #server: Server | undefined;

  get redirectUri(): string {
    return `${this.origin}/callback`;
  }

  protected abstract handle(url: URL): Promise<AppAnswer>;

  async listen(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.handle(new URL(req.url ?? '/', this.origin))
        .then(({ status, location, body }) => {
          res.writeHead(status, location ? { Location: location } : { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(body ?? '');
        })
        .catch((err: Error) => {
          this.failures.push(err.message);
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`redemption failed: ${err.message}`);
        });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
