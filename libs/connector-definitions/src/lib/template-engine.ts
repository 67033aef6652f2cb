import type { ConnectorDefinition, DeploymentEnvironment } from './definition.types';
import { environmentParamsField } from './deployment-environments';

/**
 * The template syntax of ThingWorx Flow definitions (see the seed's odata sample):
 * - a template list is an array of one-key JSON strings, `"{\"client_id\":\"{client_id}\"}"`;
 * - `{name}` is a run-time variable (client_id, code, tenant, ...);
 * - `{{{production.CLIENT_ID}}}` is a loaded credential of the provider for that environment;
 * - `{OAUTH_ENDPOINT_OAUTH_RETURN}` is the return (redirect) URL.
 * Values are substituted raw: user input is checked against `oauth2_required[].pattern` before it
 * gets here, and query/form encoding is the caller's job.
 */

/** The variable standing for the return URL. */
export const RETURN_URL_VARIABLE = 'OAUTH_ENDPOINT_OAUTH_RETURN';

/** Variables every definition may use; the protocol client supplies them at run time. */
export const RUNTIME_VARIABLES: readonly string[] = [
  'client_id',
  'client_secret',
  'redirect_uri',
  'code',
  'refresh_token',
  'access_token',
  'scope',
  'state',
  'code_verifier',
  'code_challenge',
  'code_challenge_method',
  'token',
];

/** Keys a template pair may not use: they would reach an object prototype. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface TemplateContext {
  /** Run-time `{name}` values. */
  variables: Record<string, string | undefined>;
  /** `{{{<env>.NAME}}}` -> credentials[NAME]. */
  credentials: Record<string, string | undefined>;
  /** `{OAUTH_ENDPOINT_OAUTH_RETURN}`. */
  returnUrl: string;
}

/** A template referenced a variable (or credential) that has no value. Never carries a value. */
export class TemplateError extends Error {
  variable: string;

  constructor(variable: string, message?: string) {
    super(message ?? `template variable {${variable}} has no value`);
    this.name = 'TemplateError';
    this.variable = variable;
  }
}

/** A template-list entry is not a one-key JSON object whose value is a string. */
export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

export interface TemplateReferences {
  variables: string[];
  credentials: { env: string; name: string }[];
  returnUrl: boolean;
}

// `{{{env.NAME}}}` (group 1) or `{name}` (group 2). Anything else in braces is literal text.
const REFERENCE = /\{\{\{([^{}]*)\}\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function splitCredential(inner: string): { env: string; name: string } {
  const trimmed = inner.trim();
  const dot = trimmed.indexOf('.');
  return dot < 0 ? { env: '', name: trimmed } : { env: trimmed.slice(0, dot), name: trimmed.slice(dot + 1) };
}

function lookup(record: Record<string, string | undefined>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

// Thousands of providers share the same template entries; parsing them once keeps loads linear and cheap.
const CACHE_LIMIT = 10_000;
const pairCache = new Map<string, readonly [string, string]>();
const referenceCache = new Map<string, TemplateReferences>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/** Parses one template-list entry into its key and (unrendered) value; throws TemplateSyntaxError. */
export function parseTemplatePair(entry: string): [string, string] {
  if (typeof entry !== 'string') throw new TemplateSyntaxError('a template entry must be a string');
  const cached = pairCache.get(entry);
  if (cached) return [cached[0], cached[1]];
  const [key, value] = parsePair(entry);
  remember(pairCache, entry, [key, value] as const);
  return [key, value];
}

function parsePair(entry: string): [string, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry);
  } catch {
    throw new TemplateSyntaxError('a template entry must be a JSON object string such as "{\\"client_id\\":\\"{client_id}\\"}"');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TemplateSyntaxError('a template entry must be a JSON object with one key');
  }
  const keys = Object.keys(parsed);
  if (keys.length !== 1) throw new TemplateSyntaxError(`a template entry must have exactly one key (it has ${keys.length})`);
  const key = keys[0];
  if (key === '') throw new TemplateSyntaxError('a template entry key must not be empty');
  if (FORBIDDEN_KEYS.has(key)) throw new TemplateSyntaxError(`a template entry key must not be "${key}"`);
  const value: unknown = (parsed as Record<string, unknown>)[key];
  if (typeof value !== 'string') throw new TemplateSyntaxError(`the value of template entry "${key}" must be a string`);
  return [key, value];
}

/** A template with every reference (`{name}`, `{{{env.NAME}}}`) taken out: its literal text. */
export function literalText(template: string): string {
  return template.includes('{') ? template.replace(REFERENCE, '') : template;
}

/** Lists what a template string refers to: run-time variables, credentials, the return URL. */
export function templateReferences(template: string): TemplateReferences {
  const cached = referenceCache.get(template) ?? remember(referenceCache, template, findReferences(template));
  return { variables: [...cached.variables], credentials: cached.credentials.map((c) => ({ ...c })), returnUrl: cached.returnUrl };
}

function findReferences(template: string): TemplateReferences {
  const variables: string[] = [];
  const credentials: { env: string; name: string }[] = [];
  let returnUrl = false;
  if (!template.includes('{')) return { variables, credentials, returnUrl };
  for (const match of template.matchAll(REFERENCE)) {
    if (match[1] !== undefined) {
      const credential = splitCredential(match[1]);
      if (!credentials.some((c) => c.env === credential.env && c.name === credential.name)) credentials.push(credential);
    } else if (match[2] === RETURN_URL_VARIABLE) {
      returnUrl = true;
    } else if (!variables.includes(match[2])) {
      variables.push(match[2]);
    }
  }
  return { variables, credentials, returnUrl };
}

function render(template: string, ctx: TemplateContext, emptyIsMissing: boolean): string {
  if (!template.includes('{')) return template;
  return template.replace(REFERENCE, (_whole: string, credential: string | undefined, variable: string | undefined) => {
    if (credential !== undefined) {
      const { env, name } = splitCredential(credential);
      const value = lookup(ctx.credentials, name);
      if (value === undefined || (emptyIsMissing && value === '')) throw new TemplateError(`${env}.${name}`, `credential {{{${env}.${name}}}} has no value`);
      return value;
    }
    const name = variable as string;
    if (name === RETURN_URL_VARIABLE) return ctx.returnUrl;
    const value = lookup(ctx.variables, name);
    if (value === undefined || (emptyIsMissing && value === '')) throw new TemplateError(name);
    return value;
  });
}

/** Renders a template string; throws TemplateError naming the first variable without a value. */
export function renderString(template: string, ctx: TemplateContext): string {
  return render(template, ctx, false);
}

/**
 * Renders a template list into ordered [key, value] pairs. A pair whose value refers to a variable
 * that is undefined or empty is dropped: that is how optional parameters (pfidpadapterid, user_scope)
 * are left out. Throws TemplateSyntaxError on a malformed entry.
 */
export function renderPairs(list: string[] | undefined, ctx: TemplateContext): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!list) return pairs;
  for (const entry of list) {
    const [key, template] = parseTemplatePair(entry);
    try {
      pairs.push([key, render(template, ctx, true)]);
    } catch (error: unknown) {
      if (!(error instanceof TemplateError)) throw error;
    }
  }
  return pairs;
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Renders a definition URL; a relative one is joined to the rendered base URL
 * (base `.../oauth2` + `/token` -> `.../oauth2/token`). Throws TemplateError when a variable is missing
 * or a relative URL has no base.
 */
export function resolveUrl(url: string, baseUrl: string | undefined, ctx: TemplateContext): string {
  const rendered = renderString(url, ctx);
  if (ABSOLUTE_URL.test(rendered)) return rendered;
  if (baseUrl === undefined || baseUrl === '') throw new TemplateError('base_url', `relative URL "${url}" needs a base_url`);
  const base = renderString(baseUrl, ctx).replace(/\/+$/, '');
  if (rendered === '') return base;
  const first = rendered[0];
  return first === '/' || first === '?' || first === '#' ? base + rendered : `${base}/${rendered}`;
}

/**
 * Renders `env_<env>_params` of a definition into variable values (client_id, client_secret,
 * redirect_uri, ...). Without such a list the defaults are CLIENT_ID, CLIENT_SECRET and the return URL;
 * list entries override them, and entries whose credential is missing are left out.
 */
export function environmentVariables(def: ConnectorDefinition, env: DeploymentEnvironment, ctx: TemplateContext): Record<string, string> {
  const values: Record<string, string> = {};
  const clientId = lookup(ctx.credentials, 'CLIENT_ID');
  const clientSecret = lookup(ctx.credentials, 'CLIENT_SECRET');
  if (clientId !== undefined) values['client_id'] = clientId;
  if (clientSecret !== undefined) values['client_secret'] = clientSecret;
  values['redirect_uri'] = ctx.returnUrl;
  for (const [key, value] of renderPairs(def[environmentParamsField(env)], ctx)) values[key] = value;
  return values;
}
