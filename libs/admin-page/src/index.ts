export * from './lib/admin-overview';
export * from './lib/admin-page.html';
export * from './lib/admin-page.module';
export * from './lib/admin-page.service';
export * from './lib/config-loader.client';
export * from './lib/configuration-drafts';
export * from './lib/configuration-lines';
export * from './lib/refresh-chart';
