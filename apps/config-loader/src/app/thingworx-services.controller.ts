import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { JsonBody, readJsonText, ValidQuery } from '@flow-oauth/http-common';
import { DeleteOAuthConfigurationDto, LoadQueryDto, ProviderConfigurationService } from '@flow-oauth/provider-config';
import type { Request } from 'express';

/** ThingWorx WorkflowSubsystem service routes: same behaviour as the /api routes. */
@Controller('Thingworx/Subsystems/WorkflowSubsystem/Services')
@Roles('admin')
export class ThingworxServicesController {
  constructor(
    private readonly providers: ProviderConfigurationService,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  @Post('LoadOAuthConfiguration')
  @HttpCode(200)
  async load(@Req() req: Request, @ValidQuery(LoadQueryDto) query: LoadQueryDto) {
    // `{ "oauthConfigurations": <object or JSON string> }`, read as text for the file's own validator.
    const text = await readJsonText(req, { limitBytes: this.config.maxConfigBytes, limitVariable: 'FLOW_MAX_CONFIG_BYTES' });
    return this.providers.loadText(text, { dryRun: query.dryRun ?? false, pathPrefix: '/oauthConfigurations' });
  }

  @Post('DeleteOAuthConfiguration')
  @HttpCode(204)
  async delete(@JsonBody(DeleteOAuthConfigurationDto, { limitBytes: 16 * 1024 }) body: DeleteOAuthConfigurationDto): Promise<void> {
    await this.providers.delete(body.connectorName, body.oauthProvider);
  }

  @Post('GetOAuthConfiguration')
  @HttpCode(200)
  readPost() {
    return this.providers.readRedacted();
  }

  @Get('GetOAuthConfiguration')
  read() {
    return this.providers.readRedacted();
  }
}
