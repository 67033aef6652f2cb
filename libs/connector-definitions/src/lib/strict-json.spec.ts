import { MAX_CONFIGURATION_DEPTH, parseJson } from './strict-json';

describe('parseJson', () => {
  it.each([
    ['an object', '{"a": 1, "b": [true, false, null], "c": {"d": "e"}}'],
    ['numbers', '[0, -1, 3.25, 1e3, -2.5E-2, 10]'],
    ['escapes', String.raw`{"s": "a\"b\\c\/d\n\t\u00e9\ud83d\ude00"}`],
    ['an empty object and array', '{"a": {}, "b": []}'],
    ['a top-level string', '"hello"'],
    ['a byte-order mark', '\ufeff{"a": 1}'],
  ])('reads %s exactly as JSON.parse does', (_label, text) => {
    const result = parseJson(text);
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual(JSON.parse(text.replace(/^\ufeff/, '')));
  });

  describe('tolerance for pasted snippets', () => {
    it('accepts trailing commas in objects and arrays', () => {
      expect(parseJson('{"a": [1, 2,], "b": 2,}')).toEqual({ value: { a: [1, 2], b: 2 }, errors: [] });
    });

    it('accepts a missing comma between members on separate lines', () => {
      expect(parseJson('{\n"CLIENT_ID": "x"\n"CLIENT_SECRET": "y"\n}')).toEqual({ value: { CLIENT_ID: 'x', CLIENT_SECRET: 'y' }, errors: [] });
    });

    it('reads a top-level fragment of members as an object', () => {
      expect(parseJson('"google_gmail": {\n"Gmail": {"CLIENT_ID": "x"}\n},\n"box": {}')).toEqual({
        value: { google_gmail: { Gmail: { CLIENT_ID: 'x' } }, box: {} },
        errors: [],
      });
    });

    it('accepts a comma after the whole document', () => {
      expect(parseJson('{"a": 1},\n')).toEqual({ value: { a: 1 }, errors: [] });
    });

    it('still refuses a missing comma on the same line', () => {
      const result = parseJson('{"a": "x" "b": "y"}');
      expect(result.value).toBeUndefined();
      expect(result.errors[0].message).toMatch(/line 1, column 11/);
    });

    it('is strict when asked', () => {
      expect(parseJson('{"a": 1,}', { tolerant: false }).errors[0].message).toMatch(/trailing comma/);
      expect(parseJson('"a": 1', { tolerant: false }).errors[0].message).toMatch(/after the end/);
    });
  });

  describe('errors', () => {
    it.each([
      ['an unclosed object', '{"a": 1', /line 1, column 8/],
      ['plain words', 'not json', /line 1, column 1: expected a JSON value/],
      ['an empty body', '', /the configuration is empty/],
      ['white space only', '  \n ', /the configuration is empty/],
      ['a line break inside a string', '{"a": "x\n"}', /line 1, column 9/],
      ['a bad escape', '{"a": "\\x"}', /invalid escape/],
      ['a bad number', '{"a": 01}', /expected "," or "}"/],
      ['text after the value', '{"a": 1} {"b": 2}', /after the end/],
      ['single quotes', "{'a': 1}", /expected a quoted key/],
    ])('reports %s with its position', (_label, text, message) => {
      const result = parseJson(text);
      expect(result.value).toBeUndefined();
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0].message).toMatch(message);
    });

    it('counts lines and columns from 1', () => {
      const result = parseJson('{\n  "a": 1,\n  "b": ?\n}');
      expect(result.errors).toEqual([{ path: '/b', message: 'not valid JSON at line 3, column 8: expected a JSON value but found "?"' }]);
    });

    it('reports a duplicate key with its JSON pointer and keeps parsing', () => {
      const result = parseJson('{"google_gmail": {"Gmail-1": {"CLIENT_ID": "a"}, "Gmail-1": {"CLIENT_ID": "b"}}, "box": {"x": 1, "x": 2}}');
      expect(result.errors).toEqual([
        { path: '/google_gmail/Gmail-1', message: 'duplicate key "Gmail-1": it appears more than once in the same object' },
        { path: '/box/x', message: 'duplicate key "x": it appears more than once in the same object' },
      ]);
    });

    it('escapes ~ and / in pointers (RFC 6901)', () => {
      expect(parseJson('{"a/b": {"c~d": 1, "c~d": 2}}').errors[0].path).toBe('/a~1b/c~0d');
    });

    it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s and never assigns it', (key) => {
      const result = parseJson(`{"slack": {"${key}": {"polluted": true}}}`);
      expect(result.errors).toEqual([{ path: `/slack/${key}`, message: `the key "${key}" is not allowed` }]);
      const slack = (result.value as Record<string, object>)['slack'];
      expect(Object.prototype.hasOwnProperty.call(slack, key)).toBe(false);
      expect(Object.getPrototypeOf(slack)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it('limits nesting depth instead of overflowing the stack, naming where the limit was passed', () => {
      const result = parseJson('['.repeat(100000));
      expect(result.value).toBeUndefined();
      expect(result.errors).toEqual([{ path: `/${Array(64).fill('0').join('/')}`, message: expect.stringMatching(/^the JSON is nested more than 64 levels deep \(line 1, column 65\)/) }]);
      const objects = parseJson(`{"odata": {"P": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`);
      expect(objects.errors).toHaveLength(1);
      expect(objects.errors[0].path).toBe(`/odata/P/${Array(62).fill('a').join('/')}`);
    });

    it('reads nesting up to the limit', () => {
      const deepest = `${'{"a":'.repeat(MAX_CONFIGURATION_DEPTH)}1${'}'.repeat(MAX_CONFIGURATION_DEPTH)}`;
      expect(parseJson(deepest)).toEqual({ value: JSON.parse(deepest), errors: [] });
      expect(parseJson(`[${deepest}]`).errors[0].message).toMatch(/nested more than 64 levels/);
    });
  });
});
