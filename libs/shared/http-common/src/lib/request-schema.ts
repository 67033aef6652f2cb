import { createParamDecorator, type ExecutionContext, type PipeTransform, Query } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { Request } from 'express';
import type { ZodDto } from 'nestjs-zod';
import type { z } from 'zod';
import { ApiError } from './api-error';
import { parseJsonObject, type ReadBodyOptions, readJsonText } from './request-body';

/**
 * Requests are validated at the edge by zod schemas, as nestjs-zod DTO classes (`createZodDto`), so
 * that the schema that checks a body or a query also describes it in OpenAPI (@nestjs/swagger).
 */

/** A DTO class made by nestjs-zod's `createZodDto` from a zod schema. */
export type RequestDto<T extends z.ZodType = z.ZodType> = ZodDto<T>;

/** One refused field: its JSON pointer in the body (or the query) and a message that names it. */
export interface RequestProblem {
  path: string;
  message: string;
}

/**
 * Parses a request value with a schema; a refused one is 400 `invalid_request` whose message names
 * every bad field, with `problems` listing each.
 */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value, { error: readableIssue });
  if (result.success) return result.data;
  throw invalidRequest(result.error.issues.map((issue) => ({ path: jsonPointer(issue.path), message: issue.message })));
}

/** 400 `invalid_request` naming every refused field in its message, each one in `problems`. */
export function invalidRequest(problems: RequestProblem[]): ApiError {
  return new ApiError(400, 'invalid_request', `${problems.map((p) => p.message).join('; ')}.`, { problems });
}

export interface JsonBodyOptions extends ReadBodyOptions {
  /** A request without a body (no Content-Type, no length) is validated as `{}`. */
  optional?: boolean;
}

/** Reads the request's JSON body with the route's limit, then validates it with the DTO's schema. */
class JsonBodyPipe implements PipeTransform<Request, Promise<unknown>> {
  constructor(
    private readonly dto: RequestDto,
    private readonly options: JsonBodyOptions,
  ) {}

  async transform(req: Request): Promise<unknown> {
    if (this.options.optional && !req.headers['content-type'] && !(Number(req.headers['content-length']) > 0) && !req.headers['transfer-encoding']) {
      return parseRequest(this.dto.schema as z.ZodType, {});
    }
    // Content type (415), size (413), nesting depth and __proto__ keys (400) before the schema sees anything.
    const body = parseJsonObject(await readJsonText(req, this.options));
    return parseRequest(this.dto.schema as z.ZodType, body);
  }
}

/** Validates a query (or any already parsed value) with the DTO's schema. */
class SchemaPipe implements PipeTransform<unknown, unknown> {
  constructor(private readonly dto: RequestDto) {}

  transform(value: unknown): unknown {
    return parseRequest(this.dto.schema as z.ZodType, value);
  }
}

const RawRequest = createParamDecorator((_data: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<Request>());

/**
 * The request body, read as JSON with this route's size limit (the apps run without Nest's body
 * parser) and validated by the DTO's schema; described in OpenAPI by the same DTO.
 */
export function JsonBody(dto: RequestDto, options: JsonBodyOptions): ParameterDecorator {
  return (target, key, index) => {
    RawRequest(undefined, new JsonBodyPipe(dto, options))(target, key, index);
    // @nestjs/swagger sees only Nest's own @Body(); this is the same description it would make of it.
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (key !== undefined && descriptor) ApiBody({ type: dto })(target, key, descriptor);
  };
}

/** The query string, validated by the DTO's schema (its parameters are described in OpenAPI from the parameter's DTO type). */
export function ValidQuery(dto: RequestDto): ParameterDecorator {
  return Query(new SchemaPipe(dto));
}

// ---- messages that name the field (schemas give their own where a rule needs words) ----

type Issue = z.core.$ZodRawIssue;

/** `label`, `scopes[1]`, `params.tenant`; the whole value is "the body". */
export function fieldName(path: ReadonlyArray<PropertyKey> | undefined): string {
  if (!path || path.length === 0) return 'the body';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
};

/** Zod's default messages do not say which field; these do. */
function readableIssue(issue: Issue): string | undefined {
  const name = fieldName(issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `${name} is required` : `${name} must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1 ? `${name} must not be empty` : `${name} is too short (at least ${String(issue.minimum)})`;
    case 'too_big':
      return `${name} is too long (at most ${String(issue.maximum)})`;
    case 'invalid_value':
      return `${name} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `${name} is not in the expected format`;
    case 'unrecognized_keys':
      return `${name} has unknown fields: ${issue.keys.join(', ')}`;
    default:
      return `${name} is not valid`;
  }
}

function jsonPointer(path: ReadonlyArray<PropertyKey>): string {
  return path.map((key) => `/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
