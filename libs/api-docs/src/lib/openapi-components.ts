import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * The answers and error shapes of SPEC section 3 as zod schemas, turned into the OpenAPI document's
 * `components.schemas` (zod's own JSON Schema output, OpenAPI 3.0 dialect). Requests are described by
 * their validating DTOs (nestjs-zod); these describe what comes back.
 */
const problem = z.object({ path: z.string().describe('JSON pointer of the refused value'), message: z.string() });
const typeAndProvider = z.object({ type: z.string(), provider: z.string() });
const conflict = typeAndProvider.extend({ connectors: z.array(z.string()).describe('labels of the connectors that use the provider') });

const ANSWER_SCHEMAS = {
  ApiError: z.looseObject({ error: z.string().describe('a stable code, e.g. not_found'), message: z.string().describe('what happened and what to do; never a secret') }).describe('Every error: { error, message, ... }'),
  InvalidRequestError: z.object({ error: z.literal('invalid_request'), message: z.string(), problems: z.array(problem).optional() }).describe('400: a refused body or query, each field named'),
  InvalidConfigurationError: z.object({ error: z.literal('invalid_configuration'), message: z.string().optional(), errors: z.array(problem) }).describe('400: an invalid configuration file; nothing was written'),
  ProviderInUseError: z.object({ error: z.literal('provider_in_use'), message: z.string(), conflicts: z.array(conflict) }).describe('409: a change to a provider that connectors use; nothing was written'),
  LoadAnswer: z.object({
    applied: z.boolean(),
    plan: z.object({ added: z.array(typeAndProvider), updated: z.array(typeAndProvider), unchanged: z.array(typeAndProvider), conflicts: z.array(conflict) }),
  }),
  Connector: z.looseObject({
    id: z.string(),
    label: z.string(),
    type: z.string(),
    provider: z.string(),
    owner: z.string(),
    status: z.enum(['active', 'needs_reauth', 'refresh_failed']),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastRefreshedAt: z.string().nullable().optional(),
    nextRefreshAt: z.string().nullable().optional(),
    refreshAttempts: z.number().optional().describe('background refresh attempts in a row that failed at the provider'),
    refreshRetryAt: z.string().nullable().optional().describe('when the next background attempt runs after a failed one'),
    lastError: z.string().nullable().optional().describe('secret-free'),
    reauthDueAt: z.string().nullable().optional(),
  }),
  Token: z.looseObject({ access_token: z.string(), token_type: z.string(), expires_at: z.string().nullable().describe('ISO 8601; null when the provider gave no expiry') }),
  AuthorizationAnswer: z.object({ authorizeUrl: z.string().describe('a single-use Flow start link'), state: z.string(), expiresAt: z.string() }),
  RedactedProviders: z.record(z.string(), z.record(z.string(), z.looseObject({ state: z.enum(['ok', 'credentials_rejected']) }))).describe('type -> provider -> parameters, every secret "********"'),
  User: z.object({ name: z.string(), createdAt: z.string() }),
  IssuedUserKey: z.object({ name: z.string(), key: z.string().describe('shown once; Flow keeps only its hash') }),
  AuditEntry: z.object({ id: z.number(), at: z.string(), actor: z.string(), type: z.string(), subject: z.string(), outcome: z.string(), detail: z.record(z.string(), z.unknown()) }),
  WebhookDelivery: z.looseObject({ id: z.string(), event: z.string(), subject: z.string(), status: z.enum(['pending', 'delivered', 'failed']), attempts: z.number() }),
  ConnectorType: z.object({ type: z.string(), title: z.string(), protocol: z.enum(['OAuth2', 'OAuth1']), requiredParameters: z.array(z.string()), optionalParameters: z.array(z.string()), generic: z.boolean() }),
  SetupGuide: z.looseObject({
    type: z.string(),
    redirectUri: z.string().describe('<FLOW_PUBLIC_URL>/Thingworx/Oauths/oauth/return'),
    scopes: z.array(z.object({ scope: z.string(), title: z.string() })),
    grant: z.looseObject({ type: z.string(), pkce: z.string().nullable() }),
    quirks: z.array(z.object({ text: z.string(), source: z.string() })),
    fragment: z.record(z.string(), z.unknown()).describe('a configuration file fragment with <placeholders>'),
  }),
  Health: z.looseObject({ status: z.string() }),
} as const;

export type AnswerSchemaName = keyof typeof ANSWER_SCHEMAS;

/** The component schemas the document references (`#/components/schemas/<name>`). */
export function answerComponents(): Record<string, SchemaObject> {
  return Object.fromEntries(Object.entries(ANSWER_SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'output' }) as SchemaObject]));
}

/** A `$ref` to one of the answer schemas. */
export function answerRef(name: AnswerSchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** Describes a route's success answer with one of the answer schemas (or a list of them). */
export function ApiAnswer(status: number, name: AnswerSchemaName, options: { list?: boolean; description?: string } = {}) {
  return ApiResponse({ status, description: options.description ?? name, schema: options.list ? { type: 'array', items: answerRef(name) } : answerRef(name) });
}

/** Describes a specific error answer of a route (the general ones are added to every route by the document builder). */
export function ApiErrorAnswer(status: number, name: AnswerSchemaName, description: string) {
  return applyDecorators(ApiResponse({ status, description, schema: answerRef(name) }));
}
