import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ApiAnswer } from '@flow-oauth/api-docs';
import { AuditTrail, parseAuditFilter } from '@flow-oauth/audit';
import { ApiQuery, ApiTags } from '@nestjs/swagger';

/** The audit trail (SPEC section 3): `GET /api/audit[?since=&type=&actor=]`, oldest first. */
@ApiTags('audit')
@Controller('api/audit')
@Roles('admin')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @ApiAnswer(200, 'AuditEntry', { list: true, description: 'Entries, oldest first' })
  @ApiQuery({ name: 'since', required: false, description: 'ISO 8601 time or a duration back from now (30m, 24h, 7d)' })
  @ApiQuery({ name: 'until', required: false })
  @ApiQuery({ name: 'type', required: false, description: 'connector.created, or a family: connector.*' })
  @ApiQuery({ name: 'actor', required: false, description: 'admin, system, service, user:<name>' })
  @ApiQuery({ name: 'subject', required: false })
  @ApiQuery({ name: 'after', required: false, description: 'entries after this id (paging)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-10000, default 1000' })
  list(@Query() query: Record<string, unknown>) {
    return this.audit.query(parseAuditFilter(query));
  }
}
