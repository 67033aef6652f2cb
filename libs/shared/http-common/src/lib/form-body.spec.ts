import { Readable } from 'node:stream';
import type { Request } from 'express';
import { ApiError } from './api-error';
import { readFormFields } from './form-body';

/** A request stream with headers, as Express hands it over with the body parser off. */
function request(body: string | string[], headers: Record<string, string>): Request {
  const stream = Readable.from((Array.isArray(body) ? body : [body]).map((part) => Buffer.from(part)));
  return Object.assign(stream, { headers }) as unknown as Request;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return { status: error.getStatus(), code: error.code };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('readFormFields', () => {
  it('decodes an urlencoded form', async () => {
    const fields = await readFormFields(request('id=abc-_1&csrf_token=x%2By+z&empty=', FORM), { limitBytes: 100 });
    expect({ ...fields }).toEqual({ id: 'abc-_1', csrf_token: 'x+y z', empty: '' });
  });

  it('refuses another content type (415), a body over the limit whether declared or streamed (413), and a repeated field (400)', async () => {
    expect(await failure(readFormFields(request('{"id":"x"}', { 'content-type': 'application/json' }), { limitBytes: 100 }))).toEqual({ status: 415, code: 'unsupported_media_type' });
    expect(await failure(readFormFields(request('id=x', { ...FORM, 'content-length': '101' }), { limitBytes: 100 }))).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await failure(readFormFields(request(['id=', 'x'.repeat(60), 'y'.repeat(60)], FORM), { limitBytes: 100 }))).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await failure(readFormFields(request('id=a&id=b', FORM), { limitBytes: 100 }))).toEqual({ status: 400, code: 'invalid_request' });
  });

  it('gives fields no prototype to pollute', async () => {
    const fields = await readFormFields(request('__proto__=x&constructor=y', FORM), { limitBytes: 100 });
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(fields['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
