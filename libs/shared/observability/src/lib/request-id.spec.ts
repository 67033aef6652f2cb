import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId } from './request-id';

function exchange(headers: Record<string, string>) {
  const sent: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => void (sent[name] = value) } as unknown as ServerResponse;
  const id = assignRequestId({ headers } as unknown as IncomingMessage, res);
  return { id, sent };
}

describe('assignRequestId', () => {
  it("keeps a caller's sane X-Request-Id and sends it back", () => {
    expect(exchange({ 'x-request-id': 'trace-7f3a:01.b' })).toEqual({ id: 'trace-7f3a:01.b', sent: { 'X-Request-Id': 'trace-7f3a:01.b' } });
  });

  it.each([
    ['absent', {}],
    ['empty', { 'x-request-id': '' }],
    ['with spaces and quotes', { 'x-request-id': 'a b"c' }],
    ['longer than 128 characters', { 'x-request-id': 'x'.repeat(129) }],
    ['a line break (log injection)', { 'x-request-id': 'id\n{"level":"fatal"}' }],
    ["the caller's API key", { 'x-request-id': 'user-key-0123456789', appkey: 'user-key-0123456789' }],
    ["part of the caller's bearer key", { 'x-request-id': 'svc-key-0123456789', authorization: 'Bearer svc-key-0123456789' }],
  ])('generates a UUID when the incoming id is %s', (_what, headers) => {
    const { id, sent } = exchange(headers as Record<string, string>);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent['X-Request-Id']).toBe(id);
  });
});
