import { API_DOCS_CSP } from '@flow-oauth/api-docs';
import { apiDocumentProblems, callApi, type SpecRoute } from '@flow-oauth/testing';
import { type RunningConfigLoader, startConfigLoader } from './config-loader.harness';

/** config-loader's routes in SPEC section 3 (and the webhook deliveries of issue 10). */
const CONFIG_LOADER_ROUTES: readonly SpecRoute[] = [
  'POST /api/oauth-configurations',
  'GET /api/oauth-configurations',
  'DELETE /api/oauth-configurations/:type/:provider',
  'DELETE /api/oauth-configurations/:type/:provider/tokens',
  'GET /api/oauth-configurations/template',
  'GET /api/connector-types',
  'GET /api/connector-types/:type/setup',
  'POST /api/users',
  'GET /api/users',
  'DELETE /api/users/:name',
  'POST /Thingworx/Subsystems/WorkflowSubsystem/Services/LoadOAuthConfiguration',
  'POST /Thingworx/Subsystems/WorkflowSubsystem/Services/DeleteOAuthConfiguration',
  'POST /Thingworx/Subsystems/WorkflowSubsystem/Services/GetOAuthConfiguration',
  'GET /api/audit',
  'GET /api/webhooks/deliveries',
  'GET /health',
  'GET /metrics',
  'GET /api/docs',
  'GET /api/docs-json',
];

describe('config-loader OpenAPI', () => {
  let loader: RunningConfigLoader;

  beforeAll(async () => {
    loader = await startConfigLoader('sqlite');
  });
  afterAll(async () => {
    await loader?.close();
  });

  it('validates, lists every SPEC route, both key schemes and every error answer', async () => {
    const { document, problems } = await apiDocumentProblems(loader.url, CONFIG_LOADER_ROUTES);
    expect(problems).toEqual([]);
    const load = document.paths['/api/oauth-configurations']?.post;
    expect(Object.keys(load?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403', '409', '413', '415', '429', '503']);
    expect(JSON.stringify(load?.responses['409'])).toContain('ProviderInUseError');
    expect(JSON.stringify(load?.responses['400'])).toContain('InvalidConfigurationError');
    expect(load?.parameters).toEqual([expect.objectContaining({ name: 'dryRun', in: 'query' })]);
  });

  it('describes a request body with the zod schema that validates it', async () => {
    const { document } = await apiDocumentProblems(loader.url, []);
    const body = document.paths['/api/users']?.post?.requestBody as { content: Record<string, { schema: { $ref?: string } }> };
    const ref = body.content['application/json'].schema.$ref as string;
    const schema = document.components?.schemas?.[ref.split('/').pop() as string] as { required?: string[]; properties?: Record<string, unknown> };
    expect(schema.required).toEqual(['name']);
    expect(Object.keys(schema.properties ?? {})).toEqual(['name']);
  });

  it('serves swagger-ui from node_modules under a CSP with no inline script and nothing from the internet', async () => {
    const page = await callApi(loader.url, 'GET', '/api/docs', { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(API_DOCS_CSP);
    expect(page.text).not.toMatch(/<script>|<script [^>]*>[^<]|\sstyle=|<style|https?:\/\//);
    for (const asset of ['/api/docs/swagger-ui-bundle.js', '/api/docs/swagger-ui.css', '/api/docs/flow-docs-init.js']) {
      const answer = await callApi(loader.url, 'GET', asset, { key: null });
      expect({ asset, status: answer.status }).toEqual({ asset, status: 200 });
    }
    expect((await callApi(loader.url, 'GET', '/api/docs/../package.json', { key: null })).status).toBe(404);
    expect((await callApi(loader.url, 'GET', '/api/docs/index.html', { key: null })).status).toBe(404);
  });
});
