import type { ProviderParameter } from './definition.types';
import { describeJsonType, truncateForMessage } from './json-value';

/** A value with < or > is a template placeholder left in (`<client id here>`). */
export const PLACEHOLDER = /[<>]/;

const ABSOLUTE_HTTP_URL = /^https?:\/\/[^\s/?#@]+(?:[/?#]\S*)?$/i;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** The outcome of checking one parameter value: the normalised value, or why it is refused. */
export interface CheckedValue {
  value?: unknown;
  error?: string;
}

/** The message for a placeholder left in; a secret's value (no `shownValue`) is never shown. */
export function placeholderMessage(key: string, shownValue?: string): string {
  const what = shownValue === undefined ? 'a template placeholder (a value with < or >)' : `the template placeholder "${truncateForMessage(shownValue)}"`;
  return `${key} still holds ${what}: put the real value in`;
}

/** Checks and normalises one declared parameter value. Secret values never appear in a message. */
export function checkParameterValue(parameter: ProviderParameter, key: string, value: unknown): CheckedValue {
  // A URL with `user:password@` carries credentials: never echoed either.
  const show = (text: string): string => (parameter.secret || text.includes('@') ? '' : ` (got "${truncateForMessage(text)}")`);
  let text: string;
  if (parameter.format === 'scopes' && Array.isArray(value)) {
    if (!value.every((s) => typeof s === 'string')) return { error: `${key} must be a string of scopes or an array of strings` };
    text = value.join(' ');
  } else if (typeof value !== 'string') {
    return { error: `${key} must be a string, not ${describeJsonType(value)}` };
  } else {
    text = value;
  }
  if (text.trim() === '') return { error: parameter.required ? `${key} is required and must not be empty` : `${key} is empty: give a value or leave it out` };
  if (PLACEHOLDER.test(text)) {
    return { error: parameter.secret ? placeholderMessage(key) : placeholderMessage(key, text) };
  }
  if (text !== text.trim()) return { error: `${key} has spaces at the start or the end` };
  switch (parameter.format) {
    case 'url':
      if (!ABSOLUTE_HTTP_URL.test(text)) return { error: `${key} must be an absolute http(s) URL${show(text)}` };
      break;
    case 'hostname':
      if (!HOST_NAME.test(text)) return { error: `${key} must be a host name such as login.salesforce.com, without https:// or a path${show(text)}` };
      break;
    default:
      break;
  }
  if (parameter.values && !parameter.values.includes(text)) return { error: `${key} must be one of ${parameter.values.map((v) => `"${v}"`).join(', ')}${show(text)}` };
  if (parameter.strip_suffix) {
    let stripped = text.replace(/\/+$/, '');
    if (stripped.endsWith(parameter.strip_suffix)) stripped = stripped.slice(0, -parameter.strip_suffix.length).replace(/\/+$/, '');
    if (!ABSOLUTE_HTTP_URL.test(stripped)) return { error: `${key} must be an absolute http(s) URL${show(text)}` };
    text = stripped;
  }
  return { value: text };
}
