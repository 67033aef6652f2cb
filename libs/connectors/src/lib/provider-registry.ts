import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type LoadedProvider, ProviderReader } from '@flow-oauth/provider-reader';

const POLL_MS = 2000;

/**
 * The providers this server instance serves, in memory. Reloaded when a `providers.changed` event
 * arrives (within milliseconds), and as a safety net whenever the providers table's version moves
 * (polled every 2 s), so a lost event still heals; a restart reloads too.
 */
@Injectable()
export class ProviderRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ProviderRegistry');
  private byKey = new Map<string, LoadedProvider>();
  private byId = new Map<string, LoadedProvider>();
  private version = '';
  private timer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private again?: Promise<void>;

  constructor(private readonly reader: ProviderReader) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reloadIfChanged().catch((e: Error) => this.logger.warn(`provider check failed: ${e.message}`)), POLL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Re-reads every provider. Calls during a reload coalesce into one more reload after it, so a
   * change committed while a reload was reading is never missed.
   */
  async reload(): Promise<void> {
    if (this.reloading) {
      this.again ??= this.reloading.catch(() => undefined).then(() => {
        this.again = undefined;
        return this.reload();
      });
      return this.again;
    }
    this.reloading = this.readAll().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async readAll(): Promise<void> {
    const version = await this.reader.version();
    const all = await this.reader.all();
    this.byKey = new Map(all.map((p) => [key(p.type, p.name), p]));
    this.byId = new Map(all.map((p) => [p.id, p]));
    this.version = version;
    this.logger.log(`serving ${all.length} provider(s)`);
  }

  private async reloadIfChanged(): Promise<void> {
    if ((await this.reader.version()) !== this.version) await this.reload();
  }

  /** A provider by type and name. */
  get(type: string, name: string): LoadedProvider | undefined {
    return this.byKey.get(key(type, name));
  }

  /** A provider by id. */
  getById(id: string): LoadedProvider | undefined {
    return this.byId.get(id);
  }

  /** Every provider served. */
  list(): LoadedProvider[] {
    return [...this.byKey.values()];
  }
}

function key(type: string, name: string): string {
  return `${type}\u0000${name}`;
}
