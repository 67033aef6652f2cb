/**
 * When a connector will need its user again (`reauthDueAt`): the pure decision, from what the
 * provider said about its refresh token and what `providers.md` knows about refresh-token life per
 * connector type. Facts only, each with its source:
 * - `provider`: the token answer gave the refresh token's life (`refresh_token_expires_in`: GitHub
 *   apps, Zendesk; `refresh_expires_in`: Keycloak). Always wins.
 * - `google_testing`: a Google app whose consent screen is in "Testing" gets refresh tokens that
 *   lapse 7 days after consent, used or not (GOOG). Google does not say so in the token answer, so the
 *   operator does: `PUBLISHING_STATUS: "testing"` on the provider. Refreshes keep the same refresh
 *   token, so the date stays that of the sign-in.
 * - `idle_limit`: the refresh token lapses after a time without use, and each refresh uses (or
 *   replaces) it: Google 6 months unused (GOOG), Microsoft 90 days (MS-RT), Box 60 days (BOX-RT),
 *   Zendesk 30 days by default (ZD-TTL). The date moves forward with every refresh; it comes near
 *   only when refreshes stop (the provider fails for weeks, or its credentials stay rejected).
 * - `access_token_expiry`: no refresh token (or a type that never refreshes) and an expiring access
 *   token: the user is needed when it expires.
 * Anything else (Salesforce "valid until revoked", Dropbox, PingFederate policies, Slack) is unknown: null.
 */

export type ReauthBasis = 'provider' | 'google_testing' | 'idle_limit' | 'access_token_expiry';

/** The columns a token write sets: when the grant needs its user again, and why we think so. */
export interface ReauthDue {
  reauthDueAt: string | null;
  reauthDueBasis: ReauthBasis | null;
}

const DAY_MS = 86_400_000;
export const GOOGLE_TESTING_REFRESH_TOKEN_DAYS = 7;

const GOOGLE_TYPES = ['google_gmail', 'google_drive', 'google_form', 'google_sheet', 'google_task', 'google_translator', 'youtube'];
const MICROSOFT_TYPES = ['azure', 'dynamics365', 'excel', 'microsoft_365', 'onedrive'];

/** Days a refresh token lives without use, per connector type (see above). */
export const IDLE_REFRESH_TOKEN_DAYS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(GOOGLE_TYPES.map((type) => [type, 182])),
  ...Object.fromEntries(MICROSOFT_TYPES.map((type) => [type, 90])),
  box: 60,
  zendesk: 30,
};

export interface ReauthDueInput {
  type: string;
  /** The provider's non-secret settings (`PUBLISHING_STATUS`). */
  parameters: Record<string, unknown>;
  /** Whether connectors of this definition refresh at all. */
  refreshes: boolean;
  /** The token answer being written. */
  tokens: { refreshToken?: string; refreshTokenExpiresAt?: Date; expiresAt: Date | null };
  obtainedAt: Date;
  /** The connector before this write, when it is a refresh of the same grant; absent for a new grant. */
  previous?: { reauthDueAt: string | null; reauthDueBasis: string | null; hasRefreshToken: boolean; grantedAt: string };
}

/** When the grant of a token answer needs its user again; null when nothing says. */
export function reauthDue(input: ReauthDueInput): ReauthDue {
  const none: ReauthDue = { reauthDueAt: null, reauthDueBasis: null };
  const newRefreshToken = input.tokens.refreshToken !== undefined;
  const hasRefreshToken = newRefreshToken || input.previous?.hasRefreshToken === true;
  if (!input.refreshes || !hasRefreshToken) {
    return input.tokens.expiresAt ? { reauthDueAt: input.tokens.expiresAt.toISOString(), reauthDueBasis: 'access_token_expiry' } : none;
  }
  if (input.tokens.refreshTokenExpiresAt) return { reauthDueAt: input.tokens.refreshTokenExpiresAt.toISOString(), reauthDueBasis: 'provider' };
  const previous = input.previous;
  // The same refresh token goes on: the life it was given stays (a fixed date is not moved by use).
  if (!newRefreshToken && previous?.reauthDueAt && (previous.reauthDueBasis === 'provider' || previous.reauthDueBasis === 'google_testing')) {
    return { reauthDueAt: previous.reauthDueAt, reauthDueBasis: previous.reauthDueBasis };
  }
  if (GOOGLE_TYPES.includes(input.type) && input.parameters['PUBLISHING_STATUS'] === 'testing') {
    const since = newRefreshToken || !previous ? input.obtainedAt.getTime() : Date.parse(previous.grantedAt);
    return { reauthDueAt: new Date(since + GOOGLE_TESTING_REFRESH_TOKEN_DAYS * DAY_MS).toISOString(), reauthDueBasis: 'google_testing' };
  }
  const idleDays = IDLE_REFRESH_TOKEN_DAYS[input.type];
  if (idleDays !== undefined) return { reauthDueAt: new Date(input.obtainedAt.getTime() + idleDays * DAY_MS).toISOString(), reauthDueBasis: 'idle_limit' };
  return none;
}
