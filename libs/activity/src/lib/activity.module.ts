import { Module } from '@nestjs/common';
import { AuditModule } from '@flow-oauth/audit';
import { WebhooksModule } from '@flow-oauth/webhooks';
import { ActivityRecorder } from './activity-recorder';
import { RetentionPruner } from './retention-pruner';

/** Recording activity (audit trail and webhook outbox). Needs PersistenceModule and BullModule.forRoot in the app. */
@Module({
  imports: [AuditModule, WebhooksModule],
  providers: [ActivityRecorder, RetentionPruner],
  exports: [ActivityRecorder, RetentionPruner, AuditModule, WebhooksModule],
})
export class ActivityModule {}
