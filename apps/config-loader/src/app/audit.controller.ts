import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { AuditTrail, parseAuditFilter } from '@flow-oauth/audit';

/** The audit trail (SPEC section 3): `GET /api/audit[?since=&type=&actor=]`, oldest first. */
@Controller('api/audit')
@Roles('admin')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  list(@Query() query: Record<string, unknown>) {
    return this.audit.query(parseAuditFilter(query));
  }
}
