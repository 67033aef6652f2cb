import { LogCapture } from '@flow-oauth/testing';
import { createRootLogger } from './logging';

const rootLogger = (format: 'json' | 'pretty') => createRootLogger('token-refresher', 1, { level: 'info', format });

describe('createRootLogger', () => {
  it('writes JSON lines to stdout with level label, ISO time, app and instance, and redacts credentials in any headers object', () => {
    const capture = new LogCapture().start();
    try {
      rootLogger('json').info({ context: 'Probe', headers: { appkey: 'key-123456', authorization: 'Bearer tok-123456', cookie: 'sid=c-123456', accept: 'text/html' } }, 'hello');
      rootLogger('json').debug('not at info');
    } finally {
      capture.stop();
    }
    const lines = capture.text().split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ level: 'info', app: 'token-refresher', instance: 1, context: 'Probe', msg: 'hello', headers: { appkey: '[redacted]', authorization: '[redacted]', cookie: '[redacted]', accept: 'text/html' } });
    expect(Date.parse(line.time)).not.toBeNaN();
    expect(capture.text()).not.toMatch(/key-123456|tok-123456|c-123456/);
  });

  it('pretty: one readable line per entry, context first, through the same stdout', () => {
    const capture = new LogCapture().start();
    try {
      rootLogger('pretty').warn({ context: 'Probe', connectorId: 'c1' }, 'slow provider');
    } finally {
      capture.stop();
    }
    // pino-pretty colours its output where the environment asks for colour (FORCE_COLOR under Nx): compare the text.
    // eslint-disable-next-line no-control-regex
    const text = capture.text().replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN.*: \[Probe\] slow provider \{"connectorId":"c1"\}\n$/m);
    expect(text).not.toContain('"level"');
  });
});
