import { Controller, Get } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ProviderRegistry } from '@flow-oauth/connectors';
import { ApiTags } from '@nestjs/swagger';

/** What a user may connect to; never secrets. */
@ApiTags('providers')
@Controller('api/providers')
@Roles('admin', 'user', 'service')
export class ProvidersController {
  constructor(private readonly registry: ProviderRegistry) {}

  @Get()
  list() {
    return this.registry.list().map((p) => ({
      type: p.type,
      provider: p.name,
      title: p.definition.title,
      protocol: p.definition.oauth_type,
      params: (p.definition.oauth2_required ?? []).map((r) => ({ id: r.id, title: r.title, description: r.description, default: r.default, optional: r.optional ?? false })),
    }));
  }
}
