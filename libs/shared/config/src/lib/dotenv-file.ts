import * as fs from 'node:fs';
import { parseEnv } from 'node:util';

/** The variables of a `.env` file, and what in it is not a `NAME=value` line; an absent file gives nothing. */
export interface DotEnvFile {
  values: Record<string, string>;
  /** Messages for lines that are not `NAME=value` (never a value: a stray line may be a pasted secret). */
  problems: string[];
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Reads a `.env` file with Node's own parser (`util.parseEnv`: comments, quotes, `export`, multi-line values). */
export function readDotEnv(file: string): DotEnvFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { values: {}, problems: [] };
  }
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined) continue;
    if (VARIABLE_NAME.test(name)) {
      values[name] = value;
      continue;
    }
    // parseEnv joins a line without "=" to the next one, whose variable is then lost: say so.
    const next = name.split('\n').pop()?.trim() ?? '';
    problems.push(`${file} has a line that is not NAME=value${VARIABLE_NAME.test(next) ? ` (before or at ${next}, which is not read)` : ''}`);
  }
  return { values, problems };
}
