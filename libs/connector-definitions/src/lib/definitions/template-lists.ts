import type { ConnectorDefinition, DeploymentEnvironment } from '../definition.types';
import { DEPLOYMENT_ENVIRONMENTS, environmentParamsField } from '../deployment-environments';

/** One template-list entry: a one-key JSON string, `{"client_id":"{client_id}"}`. */
export function pair(key: string, value: string): string {
  return JSON.stringify({ [key]: value });
}

/** A template list from ordered [key, value] pairs. */
export function pairs(entries: ReadonlyArray<readonly [string, string]>): string[] {
  return entries.map(([key, value]) => pair(key, value));
}

/** A scope map (`oauth2_params_scope`): scope value -> human title. */
export function scopeMap(scopes: ReadonlyArray<readonly [string, string]>): string[] {
  return pairs(scopes);
}

/** The authorize query every authorization-code definition starts with, followed by `extra`. */
export function authorizationQuery(extra: ReadonlyArray<readonly [string, string]> = [], scope = '{scope}'): string[] {
  return pairs([
    ['client_id', '{client_id}'],
    ['response_type', 'code'],
    ['redirect_uri', '{redirect_uri}'],
    ['scope', scope],
    ...extra,
  ]);
}

/** Code exchange with client_secret_post, followed by `extra`. */
export function tokenData(extra: ReadonlyArray<readonly [string, string]> = []): string[] {
  return pairs([
    ['grant_type', 'authorization_code'],
    ['code', '{code}'],
    ['redirect_uri', '{redirect_uri}'],
    ['client_id', '{client_id}'],
    ['client_secret', '{client_secret}'],
    ...extra,
  ]);
}

/** Refresh with client_secret_post, followed by `extra`. */
export function refreshData(extra: ReadonlyArray<readonly [string, string]> = []): string[] {
  return pairs([
    ['grant_type', 'refresh_token'],
    ['refresh_token', '{refresh_token}'],
    ['client_id', '{client_id}'],
    ['client_secret', '{client_secret}'],
    ...extra,
  ]);
}

/** `Authorization: Bearer {access_token}` for the validate (Test) call. */
export const BEARER_HEADERS: readonly string[] = pairs([['Authorization', 'Bearer {access_token}']]);

/** `Accept: application/json` for token endpoints that answer form-encoded otherwise. */
export const ACCEPT_JSON_HEADERS: readonly string[] = pairs([['Accept', 'application/json']]);

type EnvironmentParams = Pick<ConnectorDefinition, `env_${DeploymentEnvironment}_params`>;

/**
 * `env_<env>_params` for every environment, as in the seed: each variable is the loaded credential of
 * that environment (`{{{production.CLIENT_ID}}}`), and redirect_uri is the return URL.
 */
export function environmentParams(
  credentials: ReadonlyArray<readonly [variable: string, parameter: string]> = [
    ['client_id', 'CLIENT_ID'],
    ['client_secret', 'CLIENT_SECRET'],
  ],
): EnvironmentParams {
  const params: EnvironmentParams = {};
  for (const env of DEPLOYMENT_ENVIRONMENTS) {
    params[environmentParamsField(env)] = pairs([
      ...credentials.map(([variable, parameter]): [string, string] => [variable, `{{{${env}.${parameter}}}}`]),
      ['redirect_uri', '{OAUTH_ENDPOINT_OAUTH_RETURN}'],
    ]);
  }
  return params;
}
