import { Module } from '@nestjs/common';
import { AuditTrail } from './audit-trail';

/** The audit trail; needs PersistenceModule in the app. */
@Module({ providers: [AuditTrail], exports: [AuditTrail] })
export class AuditModule {}
