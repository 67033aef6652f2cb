import type { INestApplication } from '@nestjs/common';
import { type ContentObject, DocumentBuilder, type OpenAPIObject, type OperationObject, type ResponseObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { answerComponents, answerRef, type AnswerSchemaName } from './openapi-components';

/** The two API-key schemes of SPEC section 3: the same key in either header. */
export const APP_KEY_SCHEME = 'appKey';
export const BEARER_SCHEME = 'bearer';

/** Extensions the route decorators leave on operations (`@Public()`, `@Roles()`), read here and removed. */
const PUBLIC_EXTENSION = 'x-flow-public';
const ROLES_EXTENSION = 'x-flow-roles';

/** A route served outside Nest's controllers (a page, a dashboard, the docs themselves), described by hand. */
export interface ExtraRoute {
  method: 'get' | 'post';
  path: string;
  summary: string;
  /** The answer's media type: a page (text/html) or JSON. */
  produces: 'text/html' | 'application/json';
  /** Who may open it; 'public' needs no key. */
  access: 'public' | 'admin-session';
}

export interface ApiDocumentOptions {
  title: string;
  description: string;
  version: string;
  extraRoutes?: ExtraRoute[];
}

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';
const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const ROLE_WORDS: Readonly<Record<string, string>> = { admin: 'the admin key', user: 'a user key', service: 'the service key' };

/**
 * The OpenAPI document of an app: every controller route (requests described by their zod DTOs,
 * made plain by nestjs-zod's cleanupOpenApiDoc), both key schemes, the answer schemas, and on every
 * operation the error answers it can give: 400 for a body or query, 401/403/429 unless public, 404
 * with a path parameter, 413/415 with a body, 503 when a dependency is down.
 */
export function buildApiDocument(app: INestApplication, options: ApiDocumentOptions): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion(options.version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'appKey', description: 'The key in an `appKey` header (ThingWorx style).' }, APP_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The key as `Authorization: Bearer <key>`.' }, BEARER_SCHEME)
    .build();
  const document = cleanupOpenApiDoc(SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` }));
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...answerComponents() } };
  for (const route of options.extraRoutes ?? []) addExtraRoute(document, route);
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) describeAccessAndErrors(operation, method);
    }
  }
  return document;
}

function describeAccessAndErrors(operation: OperationObject, method: Method): void {
  const extensions = operation as OperationObject & Record<string, unknown>;
  const isPublic = extensions[PUBLIC_EXTENSION] === true;
  const roles = Array.isArray(extensions[ROLES_EXTENSION]) ? (extensions[ROLES_EXTENSION] as string[]) : ['admin'];
  delete extensions[PUBLIC_EXTENSION];
  delete extensions[ROLES_EXTENSION];
  const responses = operation.responses;
  const add = (status: number, name: AnswerSchemaName, description: string) => {
    if (!responses[String(status)]) responses[String(status)] = errorResponse(name, description);
  };
  if (isPublic) {
    operation.security = [];
  } else {
    operation.security = [{ [APP_KEY_SCHEME]: [] }, { [BEARER_SCHEME]: [] }];
    const who = roles.map((r) => ROLE_WORDS[r] ?? r).join(', ');
    operation.description = [operation.description, `Key: ${who}.`].filter(Boolean).join('\n\n');
    add(401, 'ApiError', 'No key, or a key that is not valid (`unauthorized`)');
    add(403, 'ApiError', `A valid key of another role (\`forbidden\`): this route takes ${who}`);
    add(429, 'ApiError', 'Too many failed keys from this address (`too_many_requests`); see `Retry-After`');
  }
  const parameters = (operation.parameters ?? []) as Array<{ in?: string }>;
  if (operation.requestBody || parameters.some((p) => p.in === 'query')) add(400, 'InvalidRequestError', 'A refused body or query (`invalid_request`), each field named; nothing changed');
  if (operation.requestBody) {
    add(413, 'ApiError', 'The body is over the route\'s limit (`payload_too_large`)');
    add(415, 'ApiError', 'The body is not `application/json` (`unsupported_media_type`)');
  }
  if (parameters.some((p) => p.in === 'path')) add(404, 'ApiError', 'Nothing by that name or id (`not_found`)');
  add(503, 'ApiError', 'The database or Redis is down (`dependency_unavailable`); nothing changed');
  if (operation.tags?.includes('pages')) {
    // Page routes answer HTML with 200 (or 303 after a form), whatever Nest's default for a POST.
    delete responses['201'];
    responses['200'] ??= { description: 'The page (HTML); forms carry the browser session\'s CSRF token', content: { 'text/html': { schema: { type: 'string' } } } };
  }
  if (method === 'get' && Object.keys(responses).every((status) => Number(status) >= 300)) {
    responses['200'] = { description: 'OK' };
  }
}

function errorResponse(name: AnswerSchemaName, description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: answerRef(name) } } };
}

function addExtraRoute(document: OpenAPIObject, route: ExtraRoute): void {
  const item = (document.paths[route.path] ??= {});
  const content: ContentObject = { [route.produces]: { schema: { type: route.produces === 'text/html' ? 'string' : 'object' } } };
  const operation: OperationObject & Record<string, unknown> = {
    operationId: `Extra_${route.method}_${route.path.replace(/[^A-Za-z0-9]+/g, '_')}`,
    summary: route.summary,
    tags: ['pages'],
    responses: { '200': { description: route.summary, content } },
  };
  if (route.access === 'public') operation[PUBLIC_EXTENSION] = true;
  else {
    operation.description = 'Needs the admin\'s browser session (sign in on /admin with the admin key); without it a GET is sent there (303).';
    operation.responses['303'] = { description: 'No admin session: to the sign-in form on /admin' };
    operation[PUBLIC_EXTENSION] = true;
  }
  item[route.method] = operation;
}
