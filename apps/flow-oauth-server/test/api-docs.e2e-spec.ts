import { API_DOCS_CSP } from '@flow-oauth/api-docs';
import { apiDocumentProblems, callApi, type SpecRoute } from '@flow-oauth/testing';
import { type RunningFlowServer, startFlowServer } from './flow-oauth-server.harness';

/** flow-oauth-server's routes in SPEC section 3. */
const FLOW_SERVER_ROUTES: readonly SpecRoute[] = [
  'GET /api/providers',
  'POST /api/connectors/authorizations',
  'POST /api/connectors/:id/reauthorize',
  'GET /Thingworx/Oauths/oauth/start',
  'GET /Thingworx/Oauths/oauth/return',
  'GET /api/connectors',
  'GET /api/connectors/:id',
  'GET /api/connectors/:id/token',
  'POST /api/connectors/:id/validate',
  'DELETE /api/connectors/:id',
  'GET /health',
  'GET /metrics',
  'GET /',
  'GET /admin',
  'GET /admin/queues',
  'GET /api/docs',
  'GET /api/docs-json',
];

describe('flow-oauth-server OpenAPI', () => {
  let flow: RunningFlowServer;

  beforeAll(async () => {
    flow = await startFlowServer('sqlite');
  });
  afterAll(async () => {
    await flow?.close();
  });

  it('validates, lists every SPEC route, both key schemes and every error answer', async () => {
    const { document, problems } = await apiDocumentProblems(flow.url, FLOW_SERVER_ROUTES);
    expect(problems).toEqual([]);
    const token = document.paths['/api/connectors/{id}/token']?.get;
    expect(token?.security).toEqual([{ appKey: [] }, { bearer: [] }]);
    expect(token?.description).toContain('a user key, the service key');
    expect(JSON.stringify(token?.responses['200'])).toContain('#/components/schemas/Token');
    expect(Object.keys(token?.responses ?? {}).sort()).toEqual(['200', '401', '403', '404', '409', '429', '503']);
    // The sign-in start link and the return page need no key: a browser opens them.
    expect(document.paths['/Thingworx/Oauths/oauth/return']?.get?.security).toEqual([]);
    const start = document.paths['/api/connectors/authorizations']?.post;
    expect(Object.keys(start?.responses ?? {}).sort()).toEqual(['201', '400', '401', '403', '409', '413', '415', '429', '503']);
  });

  it('describes the authorization request with the zod schema that validates it', async () => {
    const { document } = await apiDocumentProblems(flow.url, []);
    const body = document.paths['/api/connectors/authorizations']?.post?.requestBody as { content: Record<string, { schema: { $ref: string } }> };
    const schema = document.components?.schemas?.[body.content['application/json'].schema.$ref.split('/').pop() as string] as { required: string[]; properties: Record<string, { pattern?: string }> };
    expect(schema.required.sort()).toEqual(['label', 'provider', 'type']);
    expect(Object.keys(schema.properties).sort()).toEqual(expect.arrayContaining(['label', 'params', 'provider', 'scopes', 'type']));
  });

  it('serves /api/docs under its CSP, swagger-ui from node_modules', async () => {
    const page = await callApi(flow.url, 'GET', '/api/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(API_DOCS_CSP);
    expect(page.text).toContain('data-spec-url="/api/docs-json"');
    expect((await callApi(flow.url, 'GET', '/api/docs/swagger-ui-bundle.js', { key: null })).status).toBe(200);
  });
});
