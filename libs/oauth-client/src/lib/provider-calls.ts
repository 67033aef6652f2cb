import type { TemplateContext } from '@flow-oauth/connector-definitions';
import { type HttpRequest, type HttpResponse, HttpTransport, TransportError } from './http-transport';
import { OAuthProtocolError, redact, sanitizeErrorCode } from './oauth-protocol-error';
import type { OAuthClientOptions, ProviderRecord } from './provider-record';
import { type RuntimeValues, stepContext } from './template-variables';
import { parseResponseBody } from './token-response';

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** A call whose failure is a result, not an error (revoke, validate). */
export interface CallOutcome {
  ok: boolean;
  status?: number;
  detail: string;
}

/**
 * What every protocol step shares: the template context of one step, and the HTTP exchange with
 * the provider, whose failures never carry a secret or a token.
 */
export class ProviderCalls {
  private readonly transport: HttpTransport;

  constructor(private readonly options: OAuthClientOptions) {
    this.transport = new HttpTransport({
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
  }

  /** The template context of one step: provider, environment, connection parameters and run-time values. */
  context(provider: ProviderRecord, connectionParams: Record<string, string>, runtime: RuntimeValues): TemplateContext {
    return stepContext(provider, this.options.env, this.options.returnUrl, connectionParams, runtime);
  }

  /** Sends a request whose failure is an error (token endpoints). */
  async send(request: HttpRequest, what: string): Promise<HttpResponse> {
    try {
      return await this.transport.send(request);
    } catch (error: unknown) {
      throw transportFailure(error, what);
    }
  }

  /** Sends a request whose failure is a result (revoke, validate); provider text is redacted of `secrets`. */
  async attempt(request: HttpRequest, secrets: ReadonlyArray<string | undefined>): Promise<CallOutcome> {
    let response: HttpResponse;
    try {
      response = await this.transport.send(request);
    } catch (error: unknown) {
      if (error instanceof TransportError) return { ok: false, detail: `provider unreachable: ${error.message}` };
      throw error;
    }
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, detail: `provider answered ${response.status}` };
    const body = parseResponseBody(response);
    const code = sanitizeErrorCode(body?.['error']);
    const description = body?.['error_description'];
    const text = typeof description === 'string' && description !== '' ? `: ${redact(description, secrets)}` : '';
    return { ok: false, status: response.status, detail: `provider answered ${response.status}${code ? ` ${code}` : ''}${text}` };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.transport.close();
  }
}

const SECRET_VARIABLES = ['client_secret', 'code', 'code_verifier', 'refresh_token', 'access_token', 'token'];

/** Every value of a request that must never be echoed: redacted from provider text before it reaches a message. */
export function secretValues(provider: ProviderRecord, ctx: TemplateContext): string[] {
  const values: string[] = Object.values(provider.secrets).filter((value) => typeof value === 'string' && value !== '');
  for (const name of SECRET_VARIABLES) {
    const value = ctx.variables[name];
    if (value) values.push(value);
  }
  return values;
}

function transportFailure(error: unknown, what: string): unknown {
  if (!(error instanceof TransportError)) return error;
  if (error.reason === 'invalid_url' || error.reason === 'invalid_request') return new OAuthProtocolError('config', `${what} failed: ${error.message}`);
  if (error.reason === 'too_large') return new OAuthProtocolError('rejected', `${what} failed: ${error.message}`);
  return new OAuthProtocolError('transient', `${what} failed: ${error.message}`);
}
