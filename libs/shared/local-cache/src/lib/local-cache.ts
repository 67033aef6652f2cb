/**
 * A bounded in-process cache of values read from the database, for hot paths that should not wait
 * for it on every request (the token API, the user-key lookup). Each entry is served until its own
 * deadline, set by the caller from what the value allows (a token's expiry, a short maximum age).
 *
 * Values change elsewhere (another process deletes a connector or a user); the owner calls `forget`
 * or `clear` when an event says so. A read that began before such a call must not put the old value
 * back after it: `begin()` before the read, and `set(..., read)` stores only if nothing was
 * forgotten meanwhile. That is one counter for the whole cache, not per key: invalidations are rare,
 * so skipping a few unrelated stores after one costs nothing, and a per-key record of forgotten keys
 * would have to be kept, and bounded, for as long as a read can take.
 *
 * Hand-written rather than an LRU library: none in the dependencies, and what matters here (the
 * deadline per entry, the invalidation counter) is a few lines on a Map.
 */
export class LocalCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();
  private epoch = 0;

  /** @param maxEntries when full, the entry stored longest ago is dropped. */
  constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new Error('LocalCache: maxEntries must be at least 1');
  }

  /** The value held for `key` while `now` is before its deadline; undefined otherwise (and an expired entry is dropped). */
  get(key: K, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** A token to take before reading a value from its source, and to pass to `set`. */
  begin(): number {
    return this.epoch;
  }

  /**
   * Keeps `value` until `until` (ms since the epoch), unless something was forgotten since `read`
   * was taken (the value may be older than that invalidation) or the deadline has already passed.
   */
  set(key: K, value: V, until: number, read: number, now = Date.now()): boolean {
    if (read !== this.epoch || !(until > now)) return false;
    this.entries.delete(key); // re-inserted last, so eviction drops what was stored longest ago
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until });
    return true;
  }

  /** Drops one entry, and keeps any read already under way from storing. */
  forget(key: K): void {
    this.epoch++;
    this.entries.delete(key);
  }

  /** Drops every entry, and keeps any read already under way from storing. */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  /** Entries held (expired ones included until they are next looked up or evicted). */
  get size(): number {
    return this.entries.size;
  }
}
