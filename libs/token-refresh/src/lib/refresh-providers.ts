import { Injectable } from '@nestjs/common';
import { type LoadedProvider, ProviderReader } from '@flow-oauth/provider-reader';

/** How long a refresh reuses a provider it read (per process). */
export const PROVIDER_REUSE_MS = 1000;

/**
 * The providers as background refreshes read them: each one read from the database (and its
 * secrets opened) at most once per PROVIDER_REUSE_MS per process, instead of once per refresh (a DB
 * read and a decryption that were a tenth of a refresh's CPU time in bench/refresh). The token API
 * and health checks read the provider each time (TokenRefreshService); token-refresher forgets
 * every provider when it hears `providers.changed`.
 *
 * Why a reused provider is safe:
 * - a load changes a provider's settings or secret: refreshes use the old ones for at most
 *   PROVIDER_REUSE_MS; a provider that refuses the old secret (invalid_client) is not marked
 *   credentials_rejected (the mark is guarded by the provider's updated_at) and the refresh is
 *   retried with the provider read again (`forget`);
 * - a provider remembered as `credentials_rejected` is always read again: a load that fixed it must
 *   resume its refreshes at once, and that load's event reaches only one token-refresher;
 * - a provider marked rejected elsewhere but remembered as `ok` is asked once more, answers
 *   invalid_client again, and the refresh sees the mark.
 * Hand-written: a map and a time per entry; a cache library would add more than it saves.
 */
@Injectable()
export class RefreshProviders {
  private readonly held = new Map<string, { provider: LoadedProvider; until: number }>();
  /** Reads in flight: the refreshes that miss together wait for one read. */
  private readonly reading = new Map<string, Promise<LoadedProvider | undefined>>();
  /** How long a provider read is reused (tests set 0). */
  reuseMs = PROVIDER_REUSE_MS;

  constructor(private readonly reader: ProviderReader) {}

  /** The provider, as read at most reuseMs ago (never a remembered `credentials_rejected` one, nor a remembered absence). */
  async findById(id: string): Promise<LoadedProvider | undefined> {
    const now = Date.now();
    const held = this.held.get(id);
    if (held && held.until > now && held.provider.state !== 'credentials_rejected') return held.provider;
    const inFlight = this.reading.get(id);
    if (inFlight) return inFlight;
    const read: Promise<LoadedProvider | undefined> = this.reader.findById(id).then(
      (provider) => {
        // Only a read nobody forgot meanwhile is remembered.
        if (this.reading.get(id) === read) {
          this.reading.delete(id);
          if (provider) this.held.set(id, { provider, until: Date.now() + this.reuseMs });
          else this.held.delete(id);
        }
        return provider;
      },
      (error: unknown) => {
        if (this.reading.get(id) === read) this.reading.delete(id);
        throw error;
      },
    );
    this.reading.set(id, read);
    return read;
  }

  /** Forgets every provider (a load changed providers: `providers.changed`). */
  forgetAll(): void {
    this.held.clear();
    this.reading.clear();
  }

  /** Forgets a provider: the next call reads it again (a read already in flight answers its own callers only). */
  forget(id: string): void {
    this.held.delete(id);
    this.reading.delete(id);
  }
}
