import { type BeforeApplicationShutdown, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { RetentionPruner } from '@flow-oauth/activity';
import { HealthScanner } from '@flow-oauth/connector-health';

/** token-refresher's timers besides the refresh sweep: health checks and reauth warnings, retention. */
@Injectable()
export class BackgroundScans implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly health: HealthScanner,
    private readonly retention: RetentionPruner,
  ) {}

  onApplicationBootstrap(): void {
    this.health.start();
    this.retention.start();
  }

  /** Before Redis and the database close: checks in flight finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.health.stop(), this.retention.stop()]);
  }
}
