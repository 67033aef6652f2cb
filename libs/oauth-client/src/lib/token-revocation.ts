import type { ConnectorDefinition, TemplateContext } from '@flow-oauth/connector-definitions';
import { assertConnectionParamsSafe } from './connection-params';
import type { HttpRequest } from './http-transport';
import type { RevokeRequest, RevokeResult } from './oauth-client-requests';
import { OAuthProtocolError } from './oauth-protocol-error';
import { revokeOAuth1Token } from './oauth1-legs';
import { type ProviderCalls, secretValues } from './provider-calls';
import type { ProviderRecord } from './provider-record';
import { basicAuthorization } from './token-request';
import { type RuntimeValues, endpointTemplate, renderUrl } from './template-variables';

/** Revocation at the provider: RFC 7009 and the providers' own variants (`oauth2_revoke_method`), and OAuth 1.0a's. */

type RevokeMethod = NonNullable<ConnectorDefinition['oauth2_revoke_method']>;

interface RevokeTarget {
  label: string;
  hint: 'refresh_token' | 'access_token';
  token: string;
}

/**
 * Revokes at the provider where the definition has a revocation endpoint: the refresh token first (it
 * ends the grant), then the access token. Never throws for a provider failure; the result says what happened.
 */
export async function revokeTokens(calls: ProviderCalls, provider: ProviderRecord, req: RevokeRequest): Promise<RevokeResult> {
  try {
    assertConnectionParamsSafe(provider, req.connectionParams);
    if (provider.definition.oauth_type === 'OAuth1') return await revokeOAuth1Token(calls, provider, req);
    const template = endpointTemplate(provider, 'revoke');
    if (template === undefined) return { revoked: false, detail: 'provider has no revocation endpoint' };
    const method = provider.definition.oauth2_revoke_method ?? 'post_form';
    const targets: RevokeTarget[] = [];
    const bearerOnly = method === 'delete_bearer' || method === 'post_bearer' || method === 'delete_basic_json';
    if (req.refreshToken && !bearerOnly) targets.push({ label: 'refresh token', hint: 'refresh_token', token: req.refreshToken });
    if (req.accessToken) targets.push({ label: 'access token', hint: 'access_token', token: req.accessToken });
    if (targets.length === 0) {
      return { revoked: false, detail: bearerOnly ? 'this provider revokes with the access token, and there is none' : 'no token to revoke' };
    }
    const details: string[] = [];
    let allRevoked = true;
    for (const target of targets) {
      const runtime: RuntimeValues = {
        token: target.token,
        access_token: req.accessToken,
        refresh_token: req.refreshToken,
      };
      const ctx = calls.context(provider, req.connectionParams, runtime);
      const url = renderUrl(provider, template, ctx, 'revocation URL');
      const request = revocationRequest(provider, method, url, target, ctx);
      const outcome = await calls.attempt(request, secretValues(provider, ctx));
      if (outcome.ok) {
        details.push(`${target.label} revoked`);
      } else {
        allRevoked = false;
        details.push(`${target.label} not revoked: ${outcome.detail}`);
      }
    }
    return { revoked: allRevoked, detail: details.join('; ') };
  } catch (error: unknown) {
    if (error instanceof OAuthProtocolError) return { revoked: false, detail: error.message };
    throw error;
  }
}

function revocationRequest(provider: ProviderRecord, method: RevokeMethod, url: string, target: RevokeTarget, ctx: TemplateContext): HttpRequest {
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'flow-oauth' };
  switch (method) {
    case 'delete_bearer':
      return { method: 'DELETE', url, headers: { ...headers, Authorization: `Bearer ${target.token}` } };
    case 'post_bearer':
      return { method: 'POST', url, headers: { ...headers, Authorization: `Bearer ${target.token}` } };
    case 'delete_basic_json': {
      const clientId = ctx.variables['client_id'];
      const clientSecret = ctx.variables['client_secret'];
      if (!clientId || !clientSecret) throw new OAuthProtocolError('config', 'revocation needs a client id and a client secret');
      return {
        method: 'DELETE',
        url,
        headers: { ...headers, Authorization: basicAuthorization(clientId, clientSecret), 'Content-Type': 'application/json' },
        body: JSON.stringify({ access_token: target.token }),
      };
    }
    case 'post_form':
    case 'post_form_client_auth':
    default: {
      // RFC 7009: token + token_type_hint, form-encoded; with the client authentication when the method says so.
      const pairs: Array<[string, string]> = [
        ['token', target.token],
        ['token_type_hint', target.hint],
      ];
      const formHeaders: Record<string, string> = { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' };
      if (method === 'post_form_client_auth') {
        const clientId = ctx.variables['client_id'];
        const clientSecret = ctx.variables['client_secret'];
        if (!clientId || !clientSecret) throw new OAuthProtocolError('config', 'revocation needs a client id and a client secret');
        if (provider.definition.oauth2_client_auth === 'client_secret_basic') {
          formHeaders['Authorization'] = basicAuthorization(clientId, clientSecret);
        } else {
          pairs.push(['client_id', clientId], ['client_secret', clientSecret]);
        }
      }
      return { method: 'POST', url, headers: formHeaders, body: new URLSearchParams(pairs).toString() };
    }
  }
}
