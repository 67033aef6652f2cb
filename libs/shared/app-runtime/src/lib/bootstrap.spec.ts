import { Module } from '@nestjs/common';
import { CONFIG_EXIT_CODE } from '@flow-oauth/config';
import { LogCapture } from '@flow-oauth/testing';
import { runHttpApp } from './bootstrap';

@Module({})
class NeverBuiltModule {}

describe('runHttpApp start-up', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    process.exitCode = undefined;
  });

  it.each([['hooks.example.com/flow'], ['http:hooks.example.com'], ['ftp://hooks.example.com']])(
    'a FLOW_WEBHOOK_URL of %s stops start-up with exit code 78 and a message naming the variable, before anything is built',
    async (url) => {
      process.env['FLOW_WEBHOOK_URL'] = url;
      process.env['FLOW_WEBHOOK_SECRET'] = 'webhook-secret-0123456789';
      let built = false;
      const logs = new LogCapture().start();
      let app: unknown;
      try {
        app = await runHttpApp({
          name: 'bootstrap-spec',
          module: () => {
            built = true;
            return { module: NeverBuiltModule };
          },
          port: () => 0,
        });
      } finally {
        logs.stop();
      }
      expect(app).toBeUndefined();
      expect(built).toBe(false);
      expect(process.exitCode).toBe(CONFIG_EXIT_CODE);
      expect(CONFIG_EXIT_CODE).toBe(78);
      expect(logs.text()).toContain('FLOW_WEBHOOK_URL must be an absolute http(s) URL');
    },
  );
});
