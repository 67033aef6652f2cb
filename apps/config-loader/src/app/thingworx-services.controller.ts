import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ApiAnswer, ApiErrorAnswer } from '@flow-oauth/api-docs';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { JsonBody, readJsonText, ValidQuery } from '@flow-oauth/http-common';
import { DeleteOAuthConfigurationDto, LoadQueryDto, ProviderConfigurationService } from '@flow-oauth/provider-config';
import { ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';

/** ThingWorx WorkflowSubsystem service routes: same behaviour as the /api routes. */
@ApiTags('ThingWorx services')
@Controller('Thingworx/Subsystems/WorkflowSubsystem/Services')
@Roles('admin')
export class ThingworxServicesController {
  constructor(
    private readonly providers: ProviderConfigurationService,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  @Post('LoadOAuthConfiguration')
  @HttpCode(200)
  @ApiBody({ description: '`{ "oauthConfigurations": <the file, as an object or a JSON string> }`', schema: { type: 'object', required: ['oauthConfigurations'], properties: { oauthConfigurations: { oneOf: [{ type: 'object' }, { type: 'string' }] } } } })
  @ApiAnswer(200, 'LoadAnswer')
  @ApiErrorAnswer(400, 'InvalidConfigurationError', 'An invalid file: every error with its JSON path; nothing written (or `invalid_request` for a bad query)')
  @ApiErrorAnswer(409, 'ProviderInUseError', 'A change to a provider that connectors use; nothing written')
  @ApiErrorAnswer(413, 'ApiError', 'Over FLOW_MAX_CONFIG_BYTES (`payload_too_large`)')
  @ApiErrorAnswer(415, 'ApiError', 'Not `application/json` (`unsupported_media_type`)')
  async load(@Req() req: Request, @ValidQuery(LoadQueryDto) query: LoadQueryDto) {
    // `{ "oauthConfigurations": <object or JSON string> }`, read as text for the file's own validator.
    const text = await readJsonText(req, { limitBytes: this.config.maxConfigBytes, limitVariable: 'FLOW_MAX_CONFIG_BYTES' });
    return this.providers.loadText(text, { dryRun: query.dryRun ?? false, pathPrefix: '/oauthConfigurations' });
  }

  @Post('DeleteOAuthConfiguration')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrorAnswer(404, 'ApiError', 'No such provider (`not_found`)')
  @ApiErrorAnswer(409, 'ApiError', 'A connector uses the provider (`provider_in_use`)')
  async delete(@JsonBody(DeleteOAuthConfigurationDto, { limitBytes: 16 * 1024 }) body: DeleteOAuthConfigurationDto): Promise<void> {
    await this.providers.delete(body.connectorName, body.oauthProvider);
  }

  @Post('GetOAuthConfiguration')
  @HttpCode(200)
  @ApiAnswer(200, 'RedactedProviders')
  readPost() {
    return this.providers.readRedacted();
  }

  @Get('GetOAuthConfiguration')
  @ApiAnswer(200, 'RedactedProviders')
  read() {
    return this.providers.readRedacted();
  }
}
