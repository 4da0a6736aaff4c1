// The TTL key-value store for short-lived state (codes, challenges, counters): Redis, or process memory.

export interface KvStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  /** Sets a value; with ttlSeconds it expires, without it lives until deleted. */
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  /** Sets only when absent (SET NX); true when this call set it. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Reads and deletes in one atomic step (GETDEL): a single-use value is taken at most once. */
  take(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  /** Increments a counter, starting its TTL when the counter is created; returns the new value. */
  incr(key: string, ttlSeconds: number): Promise<number>;
  /** Seconds left on a key, or -2 when it does not exist and -1 when it has no TTL (Redis TTL semantics). */
  ttl(key: string): Promise<number>;
  /**
   * Marks a record consumed, once, in one atomic step: 'consumed' when this call did it, 'already' when it was
   * consumed before, 'missing' when the record does not exist. The marker lives as long as the record.
   * The two keys must share a Redis Cluster hash slot.
   */
  consumeOnce(recordKey: string, markerKey: string, value: string): Promise<'consumed' | 'already' | 'missing'>;
  /** Adds a member to a set, extending the set's TTL to at least ttlSeconds; returns the set's size. */
  setAdd(key: string, member: string, ttlSeconds: number): Promise<number>;
  /** Reads all members of a set and deletes it. */
  setTake(key: string): Promise<string[]>;
  /** Throws when the store cannot serve requests. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
