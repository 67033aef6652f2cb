import { LocalCache } from './local-cache';

describe('LocalCache', () => {
  const now = 1_000_000;

  it('serves a value until its deadline and not at or after it', () => {
    const cache = new LocalCache<string, string>(10);
    expect(cache.set('a', 'A', now + 100, cache.begin(), now)).toBe(true);
    expect(cache.get('a', now)).toBe('A');
    expect(cache.get('a', now + 99)).toBe('A');
    expect(cache.get('a', now + 100)).toBeUndefined();
    // The expired entry is gone, not merely hidden.
    expect(cache.size).toBe(0);
  });

  it('does not store a value whose deadline has passed already (or is not a number)', () => {
    const cache = new LocalCache<string, string>(10);
    expect(cache.set('a', 'A', now, cache.begin(), now)).toBe(false);
    expect(cache.set('b', 'B', Number.NaN, cache.begin(), now)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('forgets one key and leaves the others', () => {
    const cache = new LocalCache<string, string>(10);
    cache.set('a', 'A', now + 100, cache.begin(), now);
    cache.set('b', 'B', now + 100, cache.begin(), now);
    cache.forget('a');
    expect(cache.get('a', now)).toBeUndefined();
    expect(cache.get('b', now)).toBe('B');
  });

  it('refuses a value read before an invalidation, so a read racing a delete cannot bring the old value back', () => {
    const cache = new LocalCache<string, string>(10);
    const read = cache.begin(); // a request starts reading 'a' from the database
    cache.forget('a'); // meanwhile an event says 'a' was deleted
    expect(cache.set('a', 'old A', now + 100, read, now)).toBe(false);
    expect(cache.get('a', now)).toBeUndefined();
    // A read that began after the invalidation stores as usual.
    expect(cache.set('a', 'new A', now + 100, cache.begin(), now)).toBe(true);
    expect(cache.get('a', now)).toBe('new A');
  });

  it('clear drops everything and also refuses reads that began before it', () => {
    const cache = new LocalCache<string, string>(10);
    cache.set('a', 'A', now + 100, cache.begin(), now);
    const read = cache.begin();
    cache.clear();
    expect(cache.get('a', now)).toBeUndefined();
    expect(cache.set('b', 'B', now + 100, read, now)).toBe(false);
  });

  it('drops the entry stored longest ago when full', () => {
    const cache = new LocalCache<string, number>(2);
    cache.set('a', 1, now + 100, cache.begin(), now);
    cache.set('b', 2, now + 100, cache.begin(), now);
    cache.set('a', 3, now + 100, cache.begin(), now); // stored again: now the newest
    cache.set('c', 4, now + 100, cache.begin(), now);
    expect(cache.size).toBe(2);
    expect(cache.get('b', now)).toBeUndefined();
    expect(cache.get('a', now)).toBe(3);
    expect(cache.get('c', now)).toBe(4);
  });

  it('refuses a size below one', () => {
    expect(() => new LocalCache(0)).toThrow(/maxEntries/);
  });
});
