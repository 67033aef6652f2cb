import {
  type ConnectorDefinition,
  type DeploymentEnvironment,
  type TemplateContext,
  TemplateError,
  TemplateSyntaxError,
  buildTemplateContext,
  parseTemplatePair,
  renderPairs,
  renderString,
  resolveUrl,
} from '@flow-oauth/connector-definitions';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';

/** Run-time values of one protocol step (`{code}`, `{refresh_token}`...). */
export type RuntimeValues = Partial<
  Record<
    'scope' | 'state' | 'code' | 'refresh_token' | 'access_token' | 'code_verifier' | 'code_challenge' | 'code_challenge_method' | 'token',
    string
  >
>;

/** The string-valued provider parameters (numbers and booleans as text; anything else is not a template value). */
export function stringParameters(provider: ProviderRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(provider.parameters)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

/**
 * The variables of one protocol step, by the definitions lib's precedence (provider parameters,
 * `env_<env>_params` client_id / client_secret / redirect_uri, connection parameters, default scope),
 * with the step's run-time values on top.
 */
export function stepContext(
  provider: ProviderRecord,
  env: DeploymentEnvironment,
  returnUrl: string,
  connectionParams: Record<string, string>,
  runtime: RuntimeValues,
): TemplateContext {
  const base = baseContext(provider, env, returnUrl, connectionParams);
  return { variables: { ...base.variables, ...runtime }, credentials: base.credentials, returnUrl: base.returnUrl };
}

/** Per provider object (a load makes new ones): the step contexts without run-time values, by environment, return URL and connection parameters. */
const baseContexts = new WeakMap<ProviderRecord, Map<string, TemplateContext>>();
const BASE_CONTEXTS_PER_PROVIDER = 256;

/**
 * The part of a step's context that does not change between its calls (everything but the run-time
 * values, which come last in the precedence and are laid over it): built once per provider object
 * and connection parameters instead of at every refresh, where it was a twentieth of a background
 * refresh's CPU in bench/refresh. Its values are never changed after it is built.
 */
function baseContext(provider: ProviderRecord, env: DeploymentEnvironment, returnUrl: string, connectionParams: Record<string, string>): TemplateContext {
  let byKey = baseContexts.get(provider);
  if (!byKey) baseContexts.set(provider, (byKey = new Map()));
  const key = `${env}\n${returnUrl}\n${JSON.stringify(connectionParams)}`;
  let base = byKey.get(key);
  if (!base) {
    base = guard('template variables', () =>
      buildTemplateContext({ definition: provider.definition, environment: env, parameters: provider.parameters, secrets: provider.secrets, returnUrl, connection: connectionParams }),
    );
    if (byKey.size >= BASE_CONTEXTS_PER_PROVIDER) byKey.clear();
    byKey.set(key, base);
  }
  return base;
}

/** Runs a template operation; template failures become `config` errors naming the variable (never a value). */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error: unknown) {
    if (error instanceof TemplateError) {
      throw new OAuthProtocolError('config', `cannot build the ${what}: ${error.message}`);
    }
    if (error instanceof TemplateSyntaxError) {
      throw new OAuthProtocolError('config', `cannot build the ${what}: ${error.message}`);
    }
    throw error;
  }
}

export type EndpointName = 'authorization' | 'token' | 'refresh' | 'validate' | 'revoke';

const ENDPOINT_FIELDS: Record<EndpointName, { field: keyof ConnectorDefinition; parameter: string }> = {
  authorization: { field: 'oauth2_auth_url', parameter: 'AUTH_URL' },
  token: { field: 'oauth2_token_url', parameter: 'TOKEN_URL' },
  refresh: { field: 'oauth2_refresh_url', parameter: 'REFRESH_URL' },
  validate: { field: 'oauth2_validate_url', parameter: 'VALIDATE_URL' },
  revoke: { field: 'oauth2_revoke_url', parameter: 'REVOKE_URL' },
};

/** The unrendered URL template of an endpoint: the definition's field, else the provider's plain parameter (generic types). */
export function endpointTemplate(provider: ProviderRecord, endpoint: EndpointName): string | undefined {
  const { field, parameter } = ENDPOINT_FIELDS[endpoint];
  const fromDefinition = provider.definition[field];
  if (typeof fromDefinition === 'string' && fromDefinition !== '') return fromDefinition;
  const fromParameter = provider.parameters[parameter];
  if (typeof fromParameter === 'string' && fromParameter !== '') return fromParameter;
  if (endpoint === 'refresh') return endpointTemplate(provider, 'token');
  return undefined;
}

/** The base for relative endpoint URLs: the definition's base_url, else the provider's base_url parameter. */
export function baseUrlTemplate(provider: ProviderRecord): string | undefined {
  const fromDefinition = provider.definition.base_url;
  if (typeof fromDefinition === 'string' && fromDefinition !== '') return fromDefinition;
  const fromParameter = provider.parameters['base_url'];
  return typeof fromParameter === 'string' && fromParameter !== '' ? fromParameter : undefined;
}

/** Renders a URL template (joined to base_url when relative) and checks that the result is a plain http(s) URL. */
export function renderUrl(provider: ProviderRecord, template: string, ctx: TemplateContext, what: string): string {
  const rendered = guard(what, () => resolveUrl(template, baseUrlTemplate(provider), ctx));
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new OAuthProtocolError('config', `the ${what} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OAuthProtocolError('config', `the ${what} must be an http(s) URL`);
  if (url.username !== '' || url.password !== '') throw new OAuthProtocolError('config', `the ${what} must not carry credentials`);
  return rendered;
}

/** Renders the URL of a named endpoint; a `config` error when the provider has none. */
export function endpointUrl(provider: ProviderRecord, endpoint: EndpointName, ctx: TemplateContext): string {
  const template = endpointTemplate(provider, endpoint);
  if (template === undefined) throw new OAuthProtocolError('config', `provider has no ${endpoint} endpoint`);
  return renderUrl(provider, template, ctx, `${endpoint} URL`);
}

/** Renders a template list into pairs; `config` error on a malformed entry. */
export function pairsOf(list: string[] | undefined, ctx: TemplateContext, what: string): Array<[string, string]> {
  return guard(what, () => renderPairs(list, ctx));
}

/** Renders one template string; `config` error when a variable is missing. */
export function renderOne(template: string, ctx: TemplateContext, what: string): string {
  return guard(what, () => renderString(template, ctx));
}

/** The keys of a template list (`oauth2_params_scope` keys are the scope values). */
export function templateKeys(list: string[] | undefined, what: string): string[] {
  if (!list) return [];
  return guard(what, () => list.map((entry) => parseTemplatePair(entry)[0]));
}

/** Every URL template a provider's requests can use: what a connection parameter must not be able to bend. */
export function urlTemplates(provider: ProviderRecord): string[] {
  const def = provider.definition;
  const candidates: unknown[] = [
    def.base_url,
    def.oauth2_auth_url,
    def.oauth2_token_url,
    def.oauth2_refresh_url,
    def.oauth2_validate_url,
    def.oauth2_revoke_url,
    def.oauth1_request_token_url,
    def.oauth1_authorize_url,
    def.oauth1_access_token_url,
    def.oauth1_revoke_url,
    provider.parameters['base_url'],
    provider.parameters['AUTH_URL'],
    provider.parameters['TOKEN_URL'],
    provider.parameters['REFRESH_URL'],
    provider.parameters['VALIDATE_URL'],
    provider.parameters['REVOKE_URL'],
  ];
  return candidates.filter((value): value is string => typeof value === 'string' && value !== '');
}
