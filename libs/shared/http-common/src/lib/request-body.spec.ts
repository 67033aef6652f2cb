import { ApiError } from './api-error';
import { MAX_JSON_DEPTH, parseJsonObject } from './request-body';

function refusal(text: string): { status: number; body: unknown } {
  try {
    parseJsonObject(text);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.getStatus(), body: error.getResponse() };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseJsonObject', () => {
  const nested = (n: number) => `${'{"k":'.repeat(n - 1)}{}${'}'.repeat(n - 1)}`;

  it(`reads an object nested ${MAX_JSON_DEPTH} levels`, () => {
    expect(parseJsonObject(nested(MAX_JSON_DEPTH))).toEqual(JSON.parse(nested(MAX_JSON_DEPTH)));
  });

  it('refuses one level more with a 400 naming the JSON pointer, and 100,000 levels without overflowing the stack', () => {
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toEqual({
      status: 400,
      body: { error: 'invalid_request', message: `Body is nested more than 64 levels deep (at ${'/k'.repeat(MAX_JSON_DEPTH)}).` },
    });
    const huge = refusal(`{"x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(huge.status).toBe(400);
    expect((huge.body as { message: string }).message).toMatch(/^Body is nested more than 64 levels deep \(at \/x\/0\/0/);
  });

  it('still refuses prototype keys at any depth', () => {
    expect(refusal('{"a/b": {"__proto__": {"polluted": true}}}')).toEqual({ status: 400, body: { error: 'invalid_request', message: 'Key "__proto__" is not allowed (at /a~1b).' } });
  });
});
