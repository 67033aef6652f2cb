/** Where a periodic task reports what went wrong (a Nest Logger fits). */
export interface PeriodicTaskLogger {
  error(message: string): void;
}

/**
 * Runs `run` now and then every `intervalMs`, never two runs at once (a tick while one runs is
 * skipped), a failure logged and the next tick tried again; `stop()` ends the ticks and waits for the
 * run in flight. The timer does not keep the process alive. Hand-written: Nest's @nestjs/schedule
 * registers intervals at module start for every process that imports it, where these start only in
 * token-refresher, and gives no "wait for the run in flight" at stop.
 */
export class PeriodicTask<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly run: () => Promise<T>,
    private readonly logger: PeriodicTaskLogger,
    private readonly onDone: (result: T) => void = () => undefined,
  ) {}

  /** Starts the ticks (no-op when already started) and runs once now. */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
    this.tick();
  }

  /** Stops the ticks and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running || !this.timer) return;
    this.running = this.run()
      .then(this.onDone)
      .catch((error: Error) => this.logger.error(`${this.name} failed: ${error.message}`))
      .finally(() => {
        this.running = undefined;
      });
  }
}
