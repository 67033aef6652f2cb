import { Controller, Get } from '@nestjs/common';
import { Roles } from '@flow-oauth/api-auth';
import { connectorCatalog } from '@flow-oauth/connector-definitions';

/** The catalog of the 26 connector types. */
@Controller('api/connector-types')
@Roles('admin')
export class ConnectorTypesController {
  @Get()
  list() {
    return connectorCatalog();
  }
}
