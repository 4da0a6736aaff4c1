// In-process KvStore for embedded mode (one process, nothing shared): expiry is checked on read and swept.
import type { KvStore } from './kv-store.ts';

interface Entry {
  value: string;
  expiresAt: number | undefined;
}

export class MemoryStore implements KvStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepEveryMs = 60_000) {
    this.#sweeper = setInterval(() => this.#sweep(), sweepEveryMs);
    this.#sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: ttlSeconds === undefined ? undefined : Date.now() + ttlSeconds * 1000 });
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#live(key)) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  async take(key: string): Promise<string | null> {
    const entry = this.#live(key);
    this.#entries.delete(key);
    return entry?.value ?? null;
  }

  async del(...keys: string[]): Promise<number> {
    let removed = 0;
    for (const key of keys) if (this.#live(key) && this.#entries.delete(key)) removed += 1;
    return removed;
  }

  async incr(key: string, ttlSeconds: number): Promise<number> {
    const entry = this.#live(key);
    const next = (entry ? Number(entry.value) : 0) + 1;
    this.#entries.set(key, { value: String(next), expiresAt: entry ? entry.expiresAt : Date.now() + ttlSeconds * 1000 });
    return next;
  }

  async ttl(key: string): Promise<number> {
    const entry = this.#live(key);
    if (!entry) return -2;
    if (entry.expiresAt === undefined) return -1;
    return Math.ceil((entry.expiresAt - Date.now()) / 1000);
  }

  async consumeOnce(recordKey: string, markerKey: string, value: string): Promise<'consumed' | 'already' | 'missing'> {
    const record = this.#live(recordKey);
    if (!record) return 'missing';
    if (this.#live(markerKey)) return 'already';
    this.#entries.set(markerKey, { value, expiresAt: record.expiresAt });
    return 'consumed';
  }

  async setAdd(key: string, member: string, ttlSeconds: number): Promise<number> {
    const entry = this.#live(key);
    const members = new Set<string>(entry ? (JSON.parse(entry.value) as string[]) : []);
    members.add(member);
    const expiresAt = Math.max(entry?.expiresAt ?? 0, Date.now() + ttlSeconds * 1000);
    this.#entries.set(key, { value: JSON.stringify([...members]), expiresAt });
    return members.size;
  }

  async setTake(key: string): Promise<string[]> {
    const entry = this.#live(key);
    this.#entries.delete(key);
    return entry ? (JSON.parse(entry.value) as string[]) : [];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#entries.delete(key);
  }
}
