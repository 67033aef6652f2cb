export * from './lib/connectors-page.html';
export * from './lib/connectors-page.module';
export * from './lib/connectors-page.service';
