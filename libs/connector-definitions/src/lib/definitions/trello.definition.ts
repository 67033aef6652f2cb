import type { ConnectorDefinition } from '../definition.types';
import { SCOPES } from './provider-parameters';
import { environmentParams, pairs, scopeMap } from './template-lists';

/** Trello: OAuth 1.0a (HMAC-SHA1); tokens requested with `expiration=never` and never refreshed. */
export const TRELLO_DEFINITION: ConnectorDefinition = {
  name: 'trello',
  title: 'Trello',
  oauth_type: 'OAuth1',
  oauth1_request_token_url: 'https://trello.com/1/OAuthGetRequestToken',
  oauth1_authorize_url: 'https://trello.com/1/OAuthAuthorizeToken',
  oauth1_access_token_url: 'https://trello.com/1/OAuthGetAccessToken',
  oauth1_revoke_url: 'https://api.trello.com/1/tokens/{token}?key={consumer_key}&token={token}',
  oauth1_signature_method: 'HMAC-SHA1',
  // Validation: a signed GET of the member the token belongs to.
  oauth2_validate_url: 'https://api.trello.com/1/members/me',
  oauth1_auth_query: pairs([
    ['name', 'Flow OAuth'],
    ['scope', '{scope}'],
    ['expiration', 'never'],
  ]),
  oauth2_params_scope: scopeMap([
    ['read', 'Read your boards'],
    ['write', 'Change your boards'],
  ]),
  oauth2_scope_separator: ',',
  refresh_token_rotates: 'no',
  refreshable: false,
  provider_parameters: [
    { name: 'CONSUMER_KEY', required: true, format: 'string', description: 'Trello API key.' },
    { name: 'CONSUMER_SECRET', required: true, secret: true, format: 'string', description: 'Trello API secret.' },
    SCOPES,
  ],
  ...environmentParams([
    ['consumer_key', 'CONSUMER_KEY'],
    ['consumer_secret', 'CONSUMER_SECRET'],
  ]),
};
