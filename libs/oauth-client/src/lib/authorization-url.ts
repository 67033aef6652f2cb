import { createHash, randomBytes } from 'node:crypto';
import type { TemplateContext } from '@flow-oauth/connector-definitions';
import { OAuthProtocolError } from './oauth-protocol-error';
import type { ProviderRecord } from './provider-record';
import { addIfAbsent, addIncludes } from './token-request';
import { endpointUrl, pairsOf } from './template-variables';

function pair(key: string, value: string): string {
  return JSON.stringify({ [key]: value });
}

/** The authorize query when a definition has no `oauth2_auth_query`. */
export const STANDARD_AUTH_QUERY: readonly string[] = [
  pair('client_id', '{client_id}'),
  pair('response_type', 'code'),
  pair('redirect_uri', '{redirect_uri}'),
  pair('scope', '{scope}'),
  pair('state', '{state}'),
];

export type PkceMethod = 'S256' | 'plain';

/** The definition's PKCE method (default S256), or undefined when `oauth2_pkce` is false. */
export function pkceMethod(provider: ProviderRecord): PkceMethod | undefined {
  const value = provider.definition.oauth2_pkce;
  if (value === false) return undefined;
  return value === 'plain' ? 'plain' : 'S256';
}

/** A fresh PKCE pair (RFC 7636): a 43-character verifier from 32 random bytes and its challenge. */
export function createPkce(method: PkceMethod): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return { verifier, challenge };
}

/**
 * The authorize URL: the endpoint (joined to base_url, variables rendered) with `oauth2_auth_query`
 * (else the standard query), `oauth2_include` values, `state` unless `oauth2_no_state`, and the PKCE
 * challenge; keys the templates already set are not repeated. Pairs whose variables are empty are left out.
 */
export function buildAuthorizationUrlFrom(provider: ProviderRecord, ctx: TemplateContext): string {
  const def = provider.definition;
  const url = new URL(endpointUrl(provider, 'authorization', ctx));
  const pairs = pairsOf(def.oauth2_auth_query ?? [...STANDARD_AUTH_QUERY], ctx, 'authorization query');
  addIncludes(provider, pairs, ctx);
  if (def.oauth2_no_state === true) {
    for (let i = pairs.length - 1; i >= 0; i--) if (pairs[i][0] === 'state') pairs.splice(i, 1);
  } else {
    const state = ctx.variables['state'];
    if (!state) throw new OAuthProtocolError('config', 'the authorization request needs a state');
    addIfAbsent(pairs, 'state', state);
  }
  addIfAbsent(pairs, 'code_challenge', ctx.variables['code_challenge']);
  addIfAbsent(pairs, 'code_challenge_method', ctx.variables['code_challenge_method']);
  for (const [key, value] of pairs) url.searchParams.append(key, value);
  return url.toString();
}
