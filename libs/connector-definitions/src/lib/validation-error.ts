/** One problem found in a configuration file or a definition, located by a JSON pointer (RFC 6901). */
export interface ValidationError {
  path: string;
  message: string;
}

const NEEDS_ESCAPE = /[~/]/;

/** Escapes one reference token for a JSON pointer (RFC 6901: `~` -> `~0`, `/` -> `~1`). */
export function escapePointerToken(token: string | number): string {
  const text = typeof token === 'number' ? String(token) : token;
  return NEEDS_ESCAPE.test(text) ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

/** Appends reference tokens to a JSON pointer (`''` is the whole document). */
export function jsonPointer(base: string, ...tokens: Array<string | number>): string {
  let pointer = base;
  for (const token of tokens) pointer += `/${escapePointerToken(token)}`;
  return pointer;
}
