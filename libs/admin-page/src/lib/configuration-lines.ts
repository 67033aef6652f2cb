import { isSecretName, jsonPointerLines } from '@flow-oauth/connector-definitions';

/** A validation error of a configuration file, placed on the line of the text it is about. */
export interface PlacedError {
  path: string;
  message: string;
  /** 1-based line of the text; undefined when it cannot be told. */
  line?: number;
  /** That line, every secret value in it masked. */
  text?: string;
}

const MAX_LINE_CHARS = 240;
// `"key": "value"` (escapes allowed in the value), and the escaped form inside a template string (`\"key\":\"value\"`).
const MEMBER = /"([^"\\]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
const ESCAPED_MEMBER = /\\"([^"\\]*)\\"(\s*:\s*)\\"(.*?)\\"/g;

/**
 * The line a validation error is about: its JSON pointer's member, or the nearest member above it
 * (a missing parameter is reported under its provider), or the line a syntax error names.
 */
export function placeErrors(text: string, errors: ReadonlyArray<{ path: string; message: string }>): PlacedError[] {
  const lines = jsonPointerLines(text);
  const textLines = text.split(/\r?\n/);
  return errors.map((error) => {
    let line: number | undefined;
    for (let path = error.path; line === undefined && path !== ''; path = path.slice(0, Math.max(0, path.lastIndexOf('/')))) line = lines.get(path);
    line ??= Number(/\bline (\d+)\b/.exec(error.message)?.[1]) || undefined;
    const raw = line !== undefined ? textLines[line - 1] : undefined;
    return { ...error, line, text: raw === undefined ? undefined : maskSecretValues(raw).trim().slice(0, MAX_LINE_CHARS) };
  });
}

/**
 * A line of a configuration file with the value of every member named like a secret (CLIENT_SECRET,
 * CONSUMER_SECRET, password, api_key ... also inside a template string) replaced by `********`: the
 * admin page shows the lines an error is about, and must never send a secret back.
 */
export function maskSecretValues(line: string): string {
  return line
    .replace(ESCAPED_MEMBER, (member, key: string, colon: string) => (isSecretName(key) ? `\\"${key}\\"${colon}\\"********\\"` : member))
    .replace(MEMBER, (member, key: string, colon: string) => (isSecretName(key) ? `"${key}"${colon}"********"` : member));
}
