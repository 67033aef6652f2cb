import { Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { ApiError, parseJsonObject, readJsonText } from '@flow-oauth/http-common';
import { ProviderConfigurationService } from '@flow-oauth/provider-config';
import type { Request } from 'express';
import { parseDryRun } from './dry-run-flag';

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
  async load(@Req() req: Request, @Query('dryRun') dryRun?: string) {
    const dry = parseDryRun(dryRun);
    const text = await readJsonText(req, { limitBytes: this.config.maxConfigBytes, limitVariable: 'FLOW_MAX_CONFIG_BYTES' });
    return this.providers.loadText(text, { dryRun: dry, pathPrefix: '/oauthConfigurations' });
  }

  @Post('DeleteOAuthConfiguration')
  @HttpCode(204)
  async delete(@Req() req: Request): Promise<void> {
    const body = parseJsonObject(await readJsonText(req, { limitBytes: 16 * 1024 }));
    const type = body['connectorName'];
    const provider = body['oauthProvider'];
    if (typeof type !== 'string' || !type || typeof provider !== 'string' || !provider) {
      throw new ApiError(400, 'invalid_request', 'connectorName and oauthProvider are required strings.');
    }
    await this.providers.delete(type, provider);
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
