import type { OpenAPIV3 } from 'openapi-types';
import { spawn } from 'node:child_process';
import { callApi } from './api-call';

/**
 * swagger-parser 13 (its $ref parser) is an ES module, which jest's CommonJS runtime cannot load:
 * it validates in a child Node process, reading the document on stdin. Undefined when valid.
 */
function swaggerParserProblem(documentText: string): Promise<string | undefined> {
  const script = `import SwaggerParser from '@apidevtools/swagger-parser';
let text = '';
for await (const chunk of process.stdin) text += chunk;
try { await SwaggerParser.validate(JSON.parse(text)); } catch (error) { process.stdout.write(error.message); process.exitCode = 1; }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve(code === 0 ? undefined : out || `swagger-parser exited with ${code}`));
    child.stdin.end(documentText);
  });
}

/** A route as SPEC section 3 writes it (`GET /api/connectors/:id`), to find in an OpenAPI document. */
export type SpecRoute = `${'GET' | 'POST' | 'DELETE'} /${string}`;

/**
 * Fetches an app's `/api/docs-json`, validates it with swagger-parser (OpenAPI 3 schema and $refs),
 * and lists what is wrong: a SPEC route missing, an operation without its error answers (503 on all;
 * 401 with both key schemes unless public), error answers that are not the API's error shape.
 */
export async function apiDocumentProblems(baseUrl: string, routes: readonly SpecRoute[]): Promise<{ document: OpenAPIV3.Document; problems: string[] }> {
  const answer = await callApi(baseUrl, 'GET', '/api/docs-json', { key: null });
  if (answer.status !== 200) throw new Error(`/api/docs-json answered ${answer.status}`);
  const document = answer.json as OpenAPIV3.Document;
  const problems: string[] = [];
  const invalid = await swaggerParserProblem(answer.text);
  if (invalid) problems.push(`not a valid OpenAPI document: ${invalid}`);
  const schemes = document.components?.securitySchemes ?? {};
  if (JSON.stringify(schemes['appKey']) !== JSON.stringify({ type: 'apiKey', in: 'header', name: 'appKey', description: 'The key in an `appKey` header (ThingWorx style).' })) problems.push('no appKey header scheme');
  if ((schemes['bearer'] as OpenAPIV3.HttpSecurityScheme | undefined)?.scheme !== 'bearer') problems.push('no bearer scheme');
  for (const route of routes) {
    const [method, path] = route.split(' ');
    const openApiPath = path.replace(/:([A-Za-z]+)/g, '{$1}');
    if (!document.paths[openApiPath]?.[method.toLowerCase() as OpenAPIV3.HttpMethods]) problems.push(`SPEC route missing: ${route}`);
  }
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item ?? {}) as Array<[string, OpenAPIV3.OperationObject]>) {
      if (typeof operation !== 'object' || !('responses' in operation)) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const responses = operation.responses as Record<string, OpenAPIV3.ResponseObject>;
      if (!responses['503']) problems.push(`${name}: no 503`);
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      if (!isPublic) {
        const schemesUsed = (operation.security ?? []).flatMap((s) => Object.keys(s)).sort();
        if (JSON.stringify(schemesUsed) !== JSON.stringify(['appKey', 'bearer'])) problems.push(`${name}: security is ${JSON.stringify(operation.security)}`);
        if (!responses['401'] || !responses['403']) problems.push(`${name}: no 401 or 403`);
      }
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        const ref = (response.content?.['application/json']?.schema as OpenAPIV3.ReferenceObject | undefined)?.$ref ?? '';
        if (!/^#\/components\/schemas\/(ApiError|InvalidRequestError|InvalidConfigurationError|ProviderInUseError)$/.test(ref)) problems.push(`${name} ${status}: not an error shape (${ref || 'no schema'})`);
      }
      if (JSON.stringify(operation).includes('x-flow-')) problems.push(`${name}: a route decorator's extension left in`);
    }
  }
  return { document, problems };
}
