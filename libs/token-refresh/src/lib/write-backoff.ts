/** How long refreshes skip their writes after the database refused one. */
export const WRITE_BACKOFF_MS = 1000;

/**
 * After the database refused a refresh's write (it is down, or another connection holds SQLite's
 * write lock), this process's refreshes skip their writes for a moment instead of each trying
 * again: on SQLite every try waits the busy timeout synchronously, freezing the whole process, and a
 * burst of token requests for due connectors would each wait it in turn. A skipped write fails like
 * a refused one (retried soon, provider not called, a token set it already issued kept pending);
 * the first write after the pause tries the database again.
 */
export class WriteBackoff {
  private refusedUntil = 0;

  constructor(
    private readonly pauseMs = WRITE_BACKOFF_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while writes are skipped. */
  paused(): boolean {
    return this.now() < this.refusedUntil;
  }

  /** The database refused a write just now. */
  refused(): void {
    this.refusedUntil = this.now() + this.pauseMs;
  }

  /** The database took a write: no pause. */
  accepted(): void {
    this.refusedUntil = 0;
  }
}
