export * from './lib/entities/connector.entity';
export * from './lib/entities/meta.entity';
export * from './lib/entities/provider.entity';
export * from './lib/entities/user.entity';
export * from './lib/data-source-options';
export * from './lib/database-readiness';
export * from './lib/persistence.module';
export * from './lib/timestamps';
