import type { Request } from 'express';
import { ApiError } from './api-error';

/**
 * Reads a small `application/x-www-form-urlencoded` body (an HTML form post) into its fields.
 * Nest's body parser is off in every app (bodies are read where they are used, with their own
 * limit), so this reads the stream itself; URLSearchParams does the decoding. Refuses another
 * type (415), a body over the limit (413) and a field sent twice (400).
 */
export async function readFormFields(req: Request, options: { limitBytes: number }): Promise<Record<string, string>> {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'The form must be sent as application/x-www-form-urlencoded.');
  }
  const tooLarge = () => new ApiError(413, 'payload_too_large', `The form is larger than ${options.limitBytes} bytes.`, { limit: options.limitBytes });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.limitBytes) {
      // The rest is not read: the connection cannot carry another request after it.
      req.res?.setHeader('connection', 'close');
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const fields: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (name in fields) throw new ApiError(400, 'invalid_request', `The form field "${name.slice(0, 40)}" was sent twice.`);
    fields[name] = value;
  }
  return fields;
}
