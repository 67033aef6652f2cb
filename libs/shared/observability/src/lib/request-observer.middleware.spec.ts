import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogCapture, parsePrometheusText } from '@flow-oauth/testing';
import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics';
import { createRootLogger } from './logging';
import { RequestObserverMiddleware } from './request-observer.middleware';

/** The middleware in front of a bare node:http handler (the e2e suites cover it inside Nest). */
describe('RequestObserverMiddleware', () => {
  let server: Server;
  let registry: Registry;
  let port: number;
  const logs = new LogCapture();

  beforeAll(async () => {
    registry = new Registry();
    const middleware = new RequestObserverMiddleware(new HttpMetrics(registry), createRootLogger('flow-oauth-server', 0, { level: 'info', format: 'json' }));
    server = createServer((req, res) =>
      middleware.use(req, res, () => {
        // `/slow` never answers: the client gives up.
        if (!req.url?.startsWith('/slow')) res.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    logs.start();
  });

  afterAll(async () => {
    logs.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const accessLines = () =>
    logs
      .text()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('logs a request the client abandoned as aborted, and leaves it out of the latency histogram', async () => {
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/slow?code=abc123', headers: { 'x-request-id': 'gave-up-1' } });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end(() => setTimeout(() => req.destroy(), 50));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = accessLines().find((l) => l['reqId'] === 'gave-up-1');
    expect(line).toMatchObject({ level: 'info', method: 'GET', route: 'unmatched', path: '/slow', msg: 'aborted GET unmatched 200' });
    expect(logs.text()).not.toContain('abc123');
    const m = parsePrometheusText(await registry.metrics());
    expect(m.sum('flow_http_request_duration_seconds_count')).toBe(0);
  });
});
