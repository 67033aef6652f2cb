import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditTrail } from '@flow-oauth/audit';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { PeriodicTask } from '@flow-oauth/periodic';
import { WebhookOutbox } from '@flow-oauth/webhooks';

const DAY_MS = 86_400_000;

/**
 * Keeps the audit trail (FLOW_AUDIT_RETENTION_DAYS) and the delivered or given-up webhook
 * deliveries (FLOW_WEBHOOK_RETENTION_DAYS) bounded: prunes at start and once a day. Every
 * token-refresher runs it; the deletes are idempotent.
 */
@Injectable()
export class RetentionPruner {
  private readonly logger = new Logger('Retention');
  private readonly task = new PeriodicTask('retention prune', () => this.run(), this.logger, ({ auditEntries, deliveries }) => {
    if (auditEntries + deliveries > 0) this.logger.log(`pruned ${auditEntries} audit entr${auditEntries === 1 ? 'y' : 'ies'} and ${deliveries} webhook deliver${deliveries === 1 ? 'y' : 'ies'} past retention`);
  });

  constructor(
    private readonly audit: AuditTrail,
    private readonly outbox: WebhookOutbox,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  start(): void {
    this.task.start(DAY_MS);
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One prune; returns what it deleted. */
  async run(now = Date.now()): Promise<{ auditEntries: number; deliveries: number }> {
    const auditEntries = await this.audit.prune(new Date(now - this.config.auditRetentionDays * DAY_MS));
    const deliveries = await this.outbox.prune(new Date(now - this.config.webhooks.retentionDays * DAY_MS));
    return { auditEntries, deliveries };
  }
}
