import { type RequiredParameter, renderString, templateReferences } from '@flow-oauth/connector-definitions';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';
import { stringParameters, urlTemplates } from './template-variables';

export interface ConnectionParamError {
  param: string;
  message: string;
}

export interface ConnectionParamsResult {
  values: Record<string, string>;
  errors: ConnectionParamError[];
}

const MAX_LENGTH = 2048;

/** Where a connection parameter lands in the provider's URL templates. */
export interface UrlUse {
  /** The value starts a URL (`{resource}/api/...`): it must itself be a plain http(s) origin with an optional path. */
  prefix: boolean;
  /** The value is a piece of a host or path (`https://x/{tenant}/oauth2`, `https://{subdomain}.zendesk.com`). */
  segment: boolean;
}

/** How each variable is used inside the provider's URL templates. */
export function urlUses(provider: ProviderRecord): Map<string, UrlUse> {
  const uses = new Map<string, UrlUse>();
  for (const template of urlTemplates(provider)) {
    const trimmed = template.trimStart();
    for (const variable of templateReferences(template).variables) {
      const use = uses.get(variable) ?? { prefix: false, segment: false };
      // A variable that opens the template decides the origin; anywhere else it sits inside a host or path.
      if (trimmed.startsWith(`{${variable}}`)) use.prefix = true;
      else use.segment = true;
      uses.set(variable, use);
    }
  }
  return uses;
}

const SEGMENT_FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/\//, '"/"'],
  [/\\/, '"\\"'],
  [/\?/, '"?"'],
  [/#/, '"#"'],
  [/@/, '"@"'],
  [/:/, '":"'],
  [/%/, '"%"'],
  [/\s/, 'white space'],
];

/**
 * Why a value cannot sit inside a host or path segment, or undefined when it can. Only unreserved URL
 * characters are allowed, without `..`: the value cannot leave its segment, change the host or add a query.
 */
export function segmentProblem(value: string): string | undefined {
  for (const [pattern, label] of SEGMENT_FORBIDDEN) if (pattern.test(value)) return `must not contain ${label}`;
  if (value.includes('..')) return 'must not contain ".."';
  if (value === '.') return 'must not be "."';
  if (!/^[A-Za-z0-9._~-]+$/.test(value)) return 'may only contain letters, digits, ".", "-", "_" and "~"';
  return undefined;
}

/** Why a value cannot open a URL (`{resource}/api/...`), or undefined when it is a plain http(s) origin with an optional path. */
export function prefixProblem(value: string): string | undefined {
  if (/\s/.test(value)) return 'must not contain white space';
  if (value.includes('\\')) return 'must not contain "\\"';
  if (value.includes('@')) return 'must not contain "@"';
  if (value.includes('?')) return 'must not contain "?"';
  if (value.includes('#')) return 'must not contain "#"';
  if (value.includes('..')) return 'must not contain ".."';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.hostname === '') return 'must name a host';
  if (!/^https?:\/\/[^/]/i.test(value)) return 'must be an absolute http(s) URL';
  return undefined;
}

function anchored(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    try {
      return new RegExp(`^(?:${pattern})$`);
    } catch {
      return undefined;
    }
  }
}

function defaultValue(spec: RequiredParameter, provider: ProviderRecord): string | undefined {
  const parameters = stringParameters(provider);
  if (spec.provider_default !== undefined) {
    const fromProvider = parameters[spec.provider_default];
    if (fromProvider !== undefined && fromProvider !== '') return fromProvider;
  }
  if (spec.default === undefined || spec.default === '') return undefined;
  if (!spec.default.includes('{')) return spec.default;
  // A default may name a provider parameter ("{{{provider.TENANT}}}"); without it there is no default.
  try {
    const rendered = renderString(spec.default, { variables: parameters, credentials: parameters, returnUrl: '' });
    return rendered === '' ? undefined : rendered;
  } catch {
    return undefined;
  }
}

/** Checks one value against its definition entry and its place in the URL templates; returns the first problem. */
export function connectionValueProblem(spec: RequiredParameter, value: string, use: UrlUse | undefined): string | undefined {
  if (value.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters';
  if (use?.segment) {
    const problem = segmentProblem(value);
    if (problem) return problem;
  }
  if (use?.prefix) {
    const problem = prefixProblem(value);
    if (problem) return problem;
  }
  if (spec.pattern !== undefined && spec.pattern !== '') {
    const pattern = anchored(spec.pattern);
    if (!pattern) return 'cannot be checked: the definition has an invalid pattern';
    if (!pattern.test(value)) return `must be ${spec.pattern_description ?? `a value matching ${spec.pattern}`}`;
  }
  return undefined;
}

/**
 * Validates what a user gives before the redirect against the definition's `oauth2_required` entries:
 * fills defaults (`provider_default`, then `default`), applies each `pattern` (anchored), refuses values
 * that could bend a URL (host or path injection) even where a definition has no pattern, and refuses
 * unknown parameters.
 */
export function validateConnectionParams(provider: ProviderRecord, input: Record<string, unknown>): ConnectionParamsResult {
  const values: Record<string, string> = {};
  const errors: ConnectionParamError[] = [];
  const specs = provider.definition.oauth2_required ?? [];
  const known = new Set(specs.map((spec) => spec.id));
  const uses = urlUses(provider);

  for (const key of Object.keys(input)) {
    if (!known.has(key)) errors.push({ param: key, message: `unknown parameter for ${provider.type}` });
  }

  for (const spec of specs) {
    const raw = Object.prototype.hasOwnProperty.call(input, spec.id) ? input[spec.id] : undefined;
    let value: string | undefined;
    let fromDefault = false;
    if (raw === undefined || raw === null || raw === '') {
      value = defaultValue(spec, provider);
      fromDefault = value !== undefined;
    } else if (typeof raw === 'string') {
      value = raw;
    } else {
      errors.push({ param: spec.id, message: `${spec.title} must be a string` });
      continue;
    }
    if (value === undefined) {
      if (!spec.optional) errors.push({ param: spec.id, message: `${spec.title} is required` });
      continue;
    }
    const problem = connectionValueProblem(spec, value, uses.get(spec.id));
    if (problem) {
      errors.push({ param: spec.id, message: `${spec.title}${fromDefault ? ' (default)' : ''} ${problem}` });
      continue;
    }
    values[spec.id] = value;
  }
  return { values, errors };
}

/** Connection parameters are checked again at use: a stored value must still be unable to bend a URL. */
export function assertConnectionParamsSafe(provider: ProviderRecord, connectionParams: Record<string, string>): void {
  const uses = urlUses(provider);
  for (const [key, value] of Object.entries(connectionParams)) {
    const use = uses.get(key);
    if (!use) continue;
    if (typeof value !== 'string') throw new OAuthProtocolError('config', `connection parameter ${key} must be a string`);
    const problem = (use.segment ? segmentProblem(value) : undefined) ?? (use.prefix ? prefixProblem(value) : undefined);
    if (problem) throw new OAuthProtocolError('config', `connection parameter ${key} ${problem}`);
  }
}
