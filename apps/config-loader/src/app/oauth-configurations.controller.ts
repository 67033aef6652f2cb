import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sampleConfiguration } from '@flow-oauth/connector-definitions';
import { readJsonText } from '@flow-oauth/http-common';
import { ProviderConfigurationService } from '@flow-oauth/provider-config';
import type { Request } from 'express';
import { parseDryRun } from './dry-run-flag';

/** The load API (SPEC section 3, config-loader). */
@Controller('api/oauth-configurations')
@Roles('admin')
export class OAuthConfigurationsController {
  constructor(
    private readonly providers: ProviderConfigurationService,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  @Post()
  @HttpCode(200)
  async load(@Req() req: Request, @Query('dryRun') dryRun?: string) {
    const dry = parseDryRun(dryRun);
    const text = await readJsonText(req, { limitBytes: this.config.maxConfigBytes, limitVariable: 'FLOW_MAX_CONFIG_BYTES' });
    return this.providers.loadText(text, { dryRun: dry });
  }

  @Get()
  read() {
    return this.providers.readRedacted();
  }

  @Get('template')
  template() {
    return sampleConfiguration();
  }

  @Delete(':type/:provider')
  @HttpCode(204)
  async delete(@Param('type') type: string, @Param('provider') provider: string): Promise<void> {
    await this.providers.delete(type, provider);
  }

  @Delete(':type/:provider/tokens')
  @HttpCode(200)
  purge(@Param('type') type: string, @Param('provider') provider: string, @Query('user') user?: string) {
    return this.providers.purgeTokens(type, provider, user || undefined);
  }
}
