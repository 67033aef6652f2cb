import { type DynamicModule, Global, Module } from '@nestjs/common';
import { FLOW_CONFIG, type FlowConfig } from '@flow-oauth/config';
import { SecretBox } from '@flow-oauth/secrets';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { buildDataSourceOptions, FLOW_ENTITIES } from './data-source-options';
import { DatabaseNotReadyError, prepareDatabase } from './database-readiness';

/** TypeORM connection, entity repositories and the SecretBox for the configured database. */
@Global()
@Module({})
export class PersistenceModule {
  /**
   * `runMigrations` is true in exactly one process (config-loader); the others wait for the schema.
   * The data source is handed out only after migrations and the encryption-key check passed.
   */
  static forRoot(options: { runMigrations: boolean }): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [FLOW_CONFIG],
          useFactory: (config: FlowConfig) => ({
            ...buildDataSourceOptions(config.database),
            // The connection error is clear on its own; retrying for long would look like a hang.
            retryAttempts: 2,
            retryDelay: 1000,
            // A wrong key or a missing schema will not heal by retrying; a refused connection might.
            toRetry: (error: unknown) => !(error instanceof DatabaseNotReadyError),
            encryptionKeys: [config.encryptionKey, ...config.oldEncryptionKeys].map((key) => key.toString('base64')),
          }),
          dataSourceFactory: async (opts?: DataSourceOptions) => {
            const { encryptionKeys, ...dsOptions } = opts as DataSourceOptions & { encryptionKeys: string[] };
            const [current, ...old] = encryptionKeys.map((key) => Buffer.from(key, 'base64'));
            const dataSource = await new DataSource(dsOptions as DataSourceOptions).initialize();
            try {
              await prepareDatabase(dataSource, new SecretBox(current, old), options);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
        TypeOrmModule.forFeature(FLOW_ENTITIES),
      ],
      // The key ring: FLOW_ENCRYPTION_KEY seals, FLOW_ENCRYPTION_OLD_KEYS still open.
      providers: [{ provide: SecretBox, inject: [FLOW_CONFIG], useFactory: (config: FlowConfig) => new SecretBox(config.encryptionKey, config.oldEncryptionKeys) }],
      exports: [TypeOrmModule, SecretBox],
    };
  }
}
