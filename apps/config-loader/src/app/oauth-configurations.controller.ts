import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ApiAnswer, ApiErrorAnswer } from '@flow-oauth/api-docs';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { sampleConfiguration } from '@flow-oauth/connector-definitions';
import { readJsonText, ValidQuery } from '@flow-oauth/http-common';
import { LoadQueryDto, ProviderConfigurationService, PurgeQueryDto } from '@flow-oauth/provider-config';
import { ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';

/** The load API (SPEC section 3, config-loader). */
@ApiTags('oauth configurations')
@Controller('api/oauth-configurations')
@Roles('admin')
export class OAuthConfigurationsController {
  constructor(
    private readonly providers: ProviderConfigurationService,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiBody({ description: 'The configuration file: `{ "<connector type>": { "<provider name>": { <parameters> } } }` (SPEC section 2), read as text (duplicate keys are errors)', schema: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'object' } } } })
  @ApiAnswer(200, 'LoadAnswer', { description: 'The plan; `applied` is false for a dry run' })
  @ApiErrorAnswer(400, 'InvalidConfigurationError', 'An invalid file: every error with its JSON path; nothing written (or `invalid_request` for a bad query)')
  @ApiErrorAnswer(409, 'ProviderInUseError', 'A change to a provider that connectors use; nothing written')
  @ApiErrorAnswer(413, 'ApiError', 'Over FLOW_MAX_CONFIG_BYTES (`payload_too_large`)')
  @ApiErrorAnswer(415, 'ApiError', 'Not `application/json` (`unsupported_media_type`)')
  async load(@Req() req: Request, @ValidQuery(LoadQueryDto) query: LoadQueryDto) {
    // The file is read as text: its own validator reports duplicate keys and JSON pointers.
    const text = await readJsonText(req, { limitBytes: this.config.maxConfigBytes, limitVariable: 'FLOW_MAX_CONFIG_BYTES' });
    return this.providers.loadText(text, { dryRun: query.dryRun ?? false });
  }

  @Get()
  @ApiAnswer(200, 'RedactedProviders')
  read() {
    return this.providers.readRedacted();
  }

  @Get('template')
  template() {
    return sampleConfiguration();
  }

  @Delete(':type/:provider')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrorAnswer(409, 'ApiError', 'A connector uses the provider (`provider_in_use`, with the connectors)')
  async delete(@Param('type') type: string, @Param('provider') provider: string): Promise<void> {
    await this.providers.delete(type, provider);
  }

  @Delete(':type/:provider/tokens')
  @HttpCode(200)
  @ApiResponse({ status: 200, description: '`{ purged, connectors }`: how many connectors lost their tokens, and their labels' })
  purge(@Param('type') type: string, @Param('provider') provider: string, @ValidQuery(PurgeQueryDto) query: PurgeQueryDto) {
    return this.providers.purgeTokens(type, provider, query.user);
  }
}
