import { Module } from '@nestjs/common';
import { ApiAuthModule } from '@flow-oauth/api-auth';
import { ConnectorsModule } from '@flow-oauth/connectors';
import { ConnectorsPage } from './connectors-page.service';

/** The connectors page of flow-oauth-server. */
@Module({
  imports: [ApiAuthModule, ConnectorsModule],
  providers: [ConnectorsPage],
  exports: [ConnectorsPage],
})
export class ConnectorsPageModule {}
