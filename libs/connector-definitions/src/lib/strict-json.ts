import { FORBIDDEN_KEYS } from './template-engine';
import { type ValidationError, jsonPointer } from './validation-error';

/**
 * A hand-written JSON parser for configuration files. Strict where JSON.parse is lax (duplicate keys
 * and prototype keys are errors, with the JSON pointer of the key), lenient where operators paste
 * documentation snippets (see `tolerant`). One pass, no regular expressions on the hot path.
 */

export interface JsonParseOptions {
  /**
   * Accept what the seed's snippets need (default true): trailing commas, a missing comma between
   * members or elements separated by a line break, and a top-level fragment of members without the
   * outer braces (`"google_gmail": { ... },`), read as an object.
   */
  tolerant?: boolean;
  /** Deepest nesting accepted (default MAX_CONFIGURATION_DEPTH). */
  maxDepth?: number;
  /**
   * Levels of a wrapper around the document (the ThingWorx `{ "oauthConfigurations": ... }` body: 1)
   * that do not count toward maxDepth, so a wrapped file nests as deep as the same file sent bare.
   */
  wrapperLevels?: number;
}

/**
 * Deepest nesting of a configuration file: the deepest real one (the seed's odata sample wrapped as a
 * provider, under the ThingWorx `oauthConfigurations` key) nests 6 levels. Every walk over the parsed
 * value recurses, so a bound keeps hostile nesting (10,000 levels in 60 KB) a clear 400, never a stack overflow.
 */
export const MAX_CONFIGURATION_DEPTH = 64;

export interface JsonParseResult {
  /** Undefined when the text is not JSON. */
  value?: unknown;
  errors: ValidationError[];
}

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly path: string,
    /** The text is JSON, only too deep: not reported as a syntax error. */
    readonly tooDeep = false,
  ) {
    super(message);
  }
}

// Character codes.
const TAB = 9;
const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const OPEN_BRACKET = 91;
const BACKSLASH = 92;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

const END_OF_TEXT = -1;
const EMPTY = 'the configuration is empty';

class Parser {
  private pos = 0;
  private depth = 0;
  /** Keys and indexes from the root to the value being read: the JSON pointer, built only when needed. */
  private readonly trail: Array<string | number> = [];
  readonly errors: ValidationError[] = [];

  constructor(
    private readonly text: string,
    private readonly tolerant: boolean,
    private readonly maxDepth: number,
    /** When given, receives the JSON pointer of every member and element with the offset where it starts (its key, for a member). */
    private readonly locate?: (pointer: string, offset: number) => void,
    private readonly wrapperLevels = 0,
  ) {}

  parseDocument(): unknown {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipWhitespace();
    if (this.pos >= this.text.length) throw new JsonSyntaxError(EMPTY, this.pos, '');
    let value: unknown;
    if (this.tolerant && this.peek() === QUOTE && this.startsFragment()) {
      value = this.parseMembers(END_OF_TEXT);
    } else {
      value = this.parseValue();
      this.skipWhitespace();
      if (this.tolerant && this.peek() === COMMA) {
        this.pos++; // `{ ... },` pasted from the documentation
        this.skipWhitespace();
      }
    }
    if (this.pos < this.text.length) throw this.syntaxError('unexpected text after the end of the JSON value');
    return value;
  }

  /** Whether the document is `"key": ...` (members without the outer braces). */
  private startsFragment(): boolean {
    const start = this.pos;
    try {
      this.parseString();
      this.skipWhitespace();
      return this.peek() === COLON;
    } catch {
      return false;
    } finally {
      this.pos = start;
    }
  }

  private peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : END_OF_TEXT;
  }

  /** Skips white space; tells whether a line break was crossed. */
  private skipWhitespace(): boolean {
    let newline = false;
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === SPACE || c === TAB) this.pos++;
      else if (c === LINE_FEED || c === CARRIAGE_RETURN) {
        newline = true;
        this.pos++;
      } else break;
    }
    return newline;
  }

  private syntaxError(message: string): JsonSyntaxError {
    return new JsonSyntaxError(message, this.pos, this.pointer());
  }

  private pointer(): string {
    return jsonPointer('', ...this.trail);
  }

  private found(): string {
    if (this.pos >= this.text.length) return 'the end of the text';
    const c = this.text[this.pos];
    // Copied from a web page or a word processor: typographic quotes look right but are not JSON.
    return '\u201c\u201d\u2018\u2019'.includes(c) ? `"${c}" (a typographic quote; JSON needs straight quotes ")` : `"${c}"`;
  }

  private parseValue(): unknown {
    const c = this.peek();
    switch (c) {
      case OPEN_BRACE:
        return this.nested(() => {
          this.pos++;
          return this.parseMembers(CLOSE_BRACE);
        });
      case OPEN_BRACKET:
        return this.nested(() => this.parseArray());
      case QUOTE:
        return this.parseString();
      case 116: // t
        return this.parseLiteral('true', true);
      case 102: // f
        return this.parseLiteral('false', false);
      case 110: // n
        return this.parseLiteral('null', null);
      default:
        if (c === MINUS || (c >= ZERO && c <= NINE)) return this.parseNumber();
        throw this.syntaxError(`expected a JSON value but found ${this.found()}`);
    }
  }

  private nested(parse: () => unknown): unknown {
    if (++this.depth > this.maxDepth + this.wrapperLevels) throw new JsonSyntaxError(`nested more than ${this.maxDepth} levels deep`, this.pos, this.pointer(), true);
    const value = parse();
    this.depth--;
    return value;
  }

  /** Members up to `closing` (`}` or the end of the text for a fragment); the opening brace is consumed. */
  private parseMembers(closing: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    const closer = closing === CLOSE_BRACE ? '"}"' : 'the end of the text';
    this.skipWhitespace();
    if (this.peek() === closing) {
      if (closing !== END_OF_TEXT) this.pos++;
      return object;
    }
    for (;;) {
      if (this.peek() !== QUOTE) throw this.syntaxError(`expected a quoted key but found ${this.found()}`);
      const keyStart = this.pos;
      const key = this.parseString();
      this.trail.push(key);
      this.locate?.(this.pointer(), keyStart);
      this.skipWhitespace();
      if (this.peek() !== COLON) throw this.syntaxError(`expected ":" after the key "${key}" but found ${this.found()}`);
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue();
      if (FORBIDDEN_KEYS.has(key)) {
        this.errors.push({ path: this.pointer(), message: `the key "${key}" is not allowed` });
      } else if (Object.prototype.hasOwnProperty.call(object, key)) {
        this.errors.push({ path: this.pointer(), message: `duplicate key "${key}": it appears more than once in the same object` });
      } else {
        object[key] = value;
      }
      this.trail.pop();
      const newline = this.skipWhitespace();
      const c = this.peek();
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
        if (this.peek() === closing) {
          if (!this.tolerant) throw this.syntaxError('a trailing comma is not allowed');
          if (closing !== END_OF_TEXT) this.pos++;
          return object;
        }
        continue;
      }
      if (c === closing) {
        if (closing !== END_OF_TEXT) this.pos++;
        return object;
      }
      if (this.tolerant && newline && c === QUOTE) continue; // a comma forgotten at the end of a line
      throw this.syntaxError(`expected "," or ${closer} but found ${this.found()}`);
    }
  }

  private parseArray(): unknown[] {
    this.pos++;
    const array: unknown[] = [];
    this.skipWhitespace();
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
      return array;
    }
    for (;;) {
      this.trail.push(array.length);
      this.locate?.(this.pointer(), this.pos);
      array.push(this.parseValue());
      this.trail.pop();
      const newline = this.skipWhitespace();
      const c = this.peek();
      if (c === COMMA) {
        this.pos++;
        this.skipWhitespace();
        if (this.peek() === CLOSE_BRACKET) {
          if (!this.tolerant) throw this.syntaxError('a trailing comma is not allowed');
          this.pos++;
          return array;
        }
        continue;
      }
      if (c === CLOSE_BRACKET) {
        this.pos++;
        return array;
      }
      if (this.tolerant && newline && c !== END_OF_TEXT && c !== CLOSE_BRACE) continue;
      throw this.syntaxError(`expected "," or "]" but found ${this.found()}`);
    }
  }

  private parseString(): string {
    const text = this.text;
    const start = ++this.pos;
    let i = start;
    // Fast path: no escapes.
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.pos = i + 1;
        return text.slice(start, i);
      }
      if (c === BACKSLASH) break;
      if (c < SPACE) {
        this.pos = i;
        throw this.syntaxError('a line break or control character inside a string (a closing quote is missing?)');
      }
    }
    let result = text.slice(start, i);
    this.pos = i;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) {
        this.pos++;
        return result;
      }
      if (c < SPACE) throw this.syntaxError('a line break or control character inside a string (a closing quote is missing?)');
      if (c !== BACKSLASH) {
        const runStart = this.pos;
        while (this.pos < text.length) {
          const d = text.charCodeAt(this.pos);
          if (d === QUOTE || d === BACKSLASH || d < SPACE) break;
          this.pos++;
        }
        result += text.slice(runStart, this.pos);
        continue;
      }
      const escape = text[this.pos + 1];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          result += escape;
          break;
        case 'b':
          result += '\b';
          break;
        case 'f':
          result += '\f';
          break;
        case 'n':
          result += '\n';
          break;
        case 'r':
          result += '\r';
          break;
        case 't':
          result += '\t';
          break;
        case 'u': {
          const hex = text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.syntaxError('invalid \\u escape in a string');
          result += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          throw this.syntaxError(`invalid escape "\\${escape ?? ''}" in a string`);
      }
      this.pos += 2;
    }
    throw this.syntaxError('a string is not closed (missing ")');
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    const digits = (): number => {
      const from = this.pos;
      while (this.pos < text.length) {
        const c = text.charCodeAt(this.pos);
        if (c < ZERO || c > NINE) break;
        this.pos++;
      }
      return this.pos - from;
    };
    if (this.peek() === MINUS) this.pos++;
    if (this.peek() === ZERO) this.pos++;
    else if (digits() === 0) throw this.syntaxError('invalid number');
    if (this.peek() === DOT) {
      this.pos++;
      if (digits() === 0) throw this.syntaxError('invalid number: digits must follow "."');
    }
    const e = this.peek();
    if (e === 101 || e === 69) {
      this.pos++;
      const sign = this.peek();
      if (sign === 43 || sign === MINUS) this.pos++;
      if (digits() === 0) throw this.syntaxError('invalid number: digits must follow the exponent');
    }
    return Number(text.slice(start, this.pos));
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    throw this.syntaxError(`expected a JSON value but found ${this.found()}`);
  }

  /** 1-based line and column of a position. */
  lineAndColumn(position: number): { line: number; column: number } {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(position, this.text.length);
    for (let i = 0; i < end; i++) {
      if (this.text.charCodeAt(i) === LINE_FEED) {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, column: end - lineStart + 1 };
  }
}

/** Parses JSON text, reporting syntax errors (with line and column), duplicate keys and prototype keys. */
export function parseJson(text: string, options: JsonParseOptions = {}): JsonParseResult {
  const parser = new Parser(text, options.tolerant ?? true, options.maxDepth ?? MAX_CONFIGURATION_DEPTH, undefined, options.wrapperLevels ?? 0);
  try {
    const value = parser.parseDocument();
    return { value, errors: parser.errors };
  } catch (error: unknown) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const { line, column } = parser.lineAndColumn(error.position);
    const message =
      error.message === EMPTY
        ? EMPTY
        : error.tooDeep
          ? `the JSON is ${error.message} (line ${line}, column ${column}); a configuration file needs only a few levels`
          : `not valid JSON at line ${line}, column ${column}: ${error.message}`;
    return { errors: [...parser.errors, { path: error.path, message }] };
  }
}

/**
 * The line (1-based) where each member and element of a JSON text starts, by JSON pointer, as the
 * configuration parser reads it (tolerant). A text that is not JSON gives the lines up to the
 * syntax error. For showing a validation error next to the line of the pasted text it is about.
 */
export function jsonPointerLines(text: string): Map<string, number> {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let [low, high] = [0, lineStarts.length - 1];
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const lines = new Map<string, number>();
  const parser = new Parser(text, true, MAX_CONFIGURATION_DEPTH, (pointer, offset) => {
    if (!lines.has(pointer)) lines.set(pointer, lineOf(offset));
  });
  try {
    parser.parseDocument();
  } catch (error: unknown) {
    if (!(error instanceof JsonSyntaxError)) throw error;
  }
  return lines;
}
