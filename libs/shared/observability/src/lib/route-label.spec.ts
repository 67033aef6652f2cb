import type { IncomingMessage } from 'node:http';
import { pathWithoutQuery, routeLabel, UNMATCHED_ROUTE } from './route-label';

const request = (fields: object) => fields as unknown as IncomingMessage;

describe('routeLabel and pathWithoutQuery', () => {
  it('labels a routed request by its pattern, never its ids or query', () => {
    const req = request({ route: { path: '/api/connectors/:id/token' }, baseUrl: '', originalUrl: '/api/connectors/4f0c/token?x=1', url: '/api/connectors/4f0c/token?x=1' });
    expect(routeLabel(req)).toBe('/api/connectors/:id/token');
    expect(pathWithoutQuery(req)).toBe('/api/connectors/4f0c/token');
  });

  it('labels a request served by a mounted router by its mount path, and an unrouted one as unmatched', () => {
    expect(routeLabel(request({ baseUrl: '/admin/queues', originalUrl: '/admin/queues/api/queues?page=1' }))).toBe('/admin/queues/*');
    expect(routeLabel(request({ originalUrl: '/no/such/path/4f0c' }))).toBe(UNMATCHED_ROUTE);
    // Nest's catch-all middleware route is what an unrouted request keeps.
    for (const path of ['{/*splat}', '/{*path}', '/*splat', '*']) expect(routeLabel(request({ route: { path }, baseUrl: '' }))).toBe(UNMATCHED_ROUTE);
  });

  it('drops the query and fragment of the OAuth return URL, and bounds the length', () => {
    expect(pathWithoutQuery(request({ originalUrl: '/Thingworx/Oauths/oauth/return?code=abc&state=def' }))).toBe('/Thingworx/Oauths/oauth/return');
    expect(pathWithoutQuery(request({ url: '/x#frag?code=1' }))).toBe('/x');
    expect(pathWithoutQuery(request({ url: `/${'a'.repeat(500)}` }))).toHaveLength(200);
  });
});
