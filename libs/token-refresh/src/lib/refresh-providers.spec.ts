import type { LoadedProvider, ProviderReader } from '@flow-oauth/provider-reader';
import { RefreshProviders } from './refresh-providers';

/** A reader that answers from a map and counts its reads (the database side is ProviderReader's own tests). */
function countingReader(rows: Map<string, Partial<LoadedProvider>>) {
  const reader = {
    reads: 0,
    async findById(id: string): Promise<LoadedProvider | undefined> {
      reader.reads += 1;
      await new Promise((resolve) => setImmediate(resolve));
      const row = rows.get(id);
      return row ? ({ ...row } as LoadedProvider) : undefined;
    },
  };
  return reader;
}

describe('RefreshProviders: a provider read once per PROVIDER_REUSE_MS per process', () => {
  it('reuses a read while it is recent; the refreshes that miss together share one read', async () => {
    const rows = new Map<string, Partial<LoadedProvider>>([['p1', { id: 'p1', state: 'ok', updatedAt: 'a' }]]);
    const reader = countingReader(rows);
    const providers = new RefreshProviders(reader as unknown as ProviderReader);
    const first = await Promise.all([providers.findById('p1'), providers.findById('p1'), providers.findById('p1')]);
    expect(first.map((p) => p?.updatedAt)).toEqual(['a', 'a', 'a']);
    expect(reader.reads).toBe(1);
    rows.set('p1', { id: 'p1', state: 'ok', updatedAt: 'b' });
    expect((await providers.findById('p1'))?.updatedAt).toBe('a');
    expect(reader.reads).toBe(1);
    // Forgotten, it is read again.
    providers.forget('p1');
    expect((await providers.findById('p1'))?.updatedAt).toBe('b');
    expect(reader.reads).toBe(2);
    // Older than reuseMs, too.
    const unshared = new RefreshProviders(reader as unknown as ProviderReader);
    unshared.reuseMs = 0;
    await unshared.findById('p1');
    rows.set('p1', { id: 'p1', state: 'ok', updatedAt: 'c' });
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect((await unshared.findById('p1'))?.updatedAt).toBe('c');
    expect(reader.reads).toBe(4);
    // A load changed providers (providers.changed): every one is read again.
    providers.forgetAll();
    await providers.findById('p1');
    expect(reader.reads).toBe(5);
  });

  it('never answers a remembered credentials_rejected provider (a load may have fixed it), nor a remembered absence', async () => {
    const rows = new Map<string, Partial<LoadedProvider>>([['p2', { id: 'p2', state: 'credentials_rejected', updatedAt: 'a' }]]);
    const reader = countingReader(rows);
    const providers = new RefreshProviders(reader as unknown as ProviderReader);
    providers.reuseMs = 60_000;
    expect((await providers.findById('p2'))?.state).toBe('credentials_rejected');
    rows.set('p2', { id: 'p2', state: 'ok', updatedAt: 'b' });
    expect((await providers.findById('p2'))?.state).toBe('ok');
    expect(await providers.findById('gone')).toBeUndefined();
    rows.set('gone', { id: 'gone', state: 'ok', updatedAt: 'a' });
    expect((await providers.findById('gone'))?.id).toBe('gone');
    expect(reader.reads).toBe(4);
  });

  it('a read that fails is not remembered', async () => {
    let fail = true;
    const reader = {
      async findById(id: string): Promise<LoadedProvider | undefined> {
        if (fail) throw new Error('database down (test)');
        return { id, state: 'ok' } as LoadedProvider;
      },
    };
    const providers = new RefreshProviders(reader as unknown as ProviderReader);
    await expect(providers.findById('p3')).rejects.toThrow('database down');
    fail = false;
    expect((await providers.findById('p3'))?.id).toBe('p3');
  });
});
