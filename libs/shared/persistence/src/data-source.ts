// The data source the TypeORM CLI loads (`npx nx run persistence:migration:run`, `migration:generate`;
// built to dist/libs/shared/persistence/src/data-source.js): the apps' options (buildDataSourceOptions,
// which PersistenceModule uses too) for the database DATABASE_URL / .env configure. Not exported from
// index.ts, because importing it reads the configuration.
import { loadConfig } from '@flow-oauth/config';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './lib/data-source-options';

export default new DataSource(buildDataSourceOptions(loadConfig().database));
