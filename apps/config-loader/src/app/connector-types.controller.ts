import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { ApiAnswer } from '@flow-oauth/api-docs';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { connectorCatalog, isConnectorType } from '@flow-oauth/connector-definitions';
import { ApiError } from '@flow-oauth/http-common';
import { ProviderConfigurationService } from '@flow-oauth/provider-config';
import { connectorSetupGuide } from '@flow-oauth/setup-guide';
import { ApiTags } from '@nestjs/swagger';

/** The catalog of the 26 connector types, and each type's setup guide for this deployment. */
@ApiTags('connector types')
@Controller('api/connector-types')
@Roles('admin')
export class ConnectorTypesController {
  constructor(
    private readonly providers: ProviderConfigurationService,
    @Inject(FLOW_CONFIG) private readonly config: FlowConfig,
  ) {}

  @Get()
  @ApiAnswer(200, 'ConnectorType', { list: true })
  list() {
    return connectorCatalog();
  }

  /** What to register at the third party: this deployment's redirect URI, scopes, grant, parameters, quirks, a file fragment. */
  @Get(':type/setup')
  @ApiAnswer(200, 'SetupGuide')
  async setup(@Param('type') type: string) {
    if (!isConnectorType(type)) {
      throw new ApiError(404, 'not_found', `No connector type "${type.slice(0, 64)}": GET /api/connector-types lists the ${connectorCatalog().length} types.`);
    }
    const loaded = await this.providers.readRedacted();
    return connectorSetupGuide(type, { redirectUri: this.config.returnUrl, loadedProviders: loaded[type] ?? {} });
  }
}
