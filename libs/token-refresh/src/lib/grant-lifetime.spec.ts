import { reauthDue, type ReauthDueInput } from './grant-lifetime';

const T0 = new Date('2026-11-01T10:00:00.000Z');
const days = (n: number, from = T0) => new Date(from.getTime() + n * 86_400_000).toISOString();
const hour = new Date(T0.getTime() + 3_600_000);

function input(change: Partial<ReauthDueInput>): ReauthDueInput {
  return { type: 'odata', parameters: {}, refreshes: true, tokens: { refreshToken: 'rt', expiresAt: hour }, obtainedAt: T0, ...change };
}

describe('reauthDueAt', () => {
  it("takes the provider's refresh_token_expires_in over any rule of the type", () => {
    const at = new Date('2027-05-01T00:00:00.000Z');
    expect(reauthDue(input({ type: 'google_gmail', parameters: { PUBLISHING_STATUS: 'testing' }, tokens: { refreshToken: 'rt', refreshTokenExpiresAt: at, expiresAt: hour } }))).toEqual({
      reauthDueAt: at.toISOString(),
      reauthDueBasis: 'provider',
    });
  });

  it('keeps the life the provider gave when a refresh keeps the same refresh token', () => {
    const previous = { reauthDueAt: days(20), reauthDueBasis: 'provider', hasRefreshToken: true, grantedAt: T0.toISOString() };
    expect(reauthDue(input({ tokens: { expiresAt: hour }, obtainedAt: new Date(days(5)), previous }))).toEqual({ reauthDueAt: days(20), reauthDueBasis: 'provider' });
  });

  it('gives a Google app in testing 7 days from the sign-in, kept across refreshes (Google does not rotate)', () => {
    const first = reauthDue(input({ type: 'google_sheet', parameters: { PUBLISHING_STATUS: 'testing' } }));
    expect(first).toEqual({ reauthDueAt: days(7), reauthDueBasis: 'google_testing' });
    const later = reauthDue(input({ type: 'google_sheet', parameters: { PUBLISHING_STATUS: 'testing' }, tokens: { expiresAt: hour }, obtainedAt: new Date(days(3)), previous: { ...first, hasRefreshToken: true, grantedAt: T0.toISOString() } }));
    expect(later).toEqual(first);
  });

  it('dates a Google testing grant from the sign-in when the status is set after the connector exists', () => {
    const previous = { reauthDueAt: days(182), reauthDueBasis: 'idle_limit', hasRefreshToken: true, grantedAt: T0.toISOString() };
    expect(reauthDue(input({ type: 'youtube', parameters: { PUBLISHING_STATUS: 'testing' }, tokens: { expiresAt: hour }, obtainedAt: new Date(days(2)), previous }))).toEqual({
      reauthDueAt: days(7),
      reauthDueBasis: 'google_testing',
    });
  });

  it('moves an idle limit forward with every refresh (Google in production: 6 months unused; Microsoft 90 days)', () => {
    expect(reauthDue(input({ type: 'google_gmail', parameters: { PUBLISHING_STATUS: 'production' } }))).toEqual({ reauthDueAt: days(182), reauthDueBasis: 'idle_limit' });
    const refreshedAt = new Date(days(30));
    expect(reauthDue(input({ type: 'excel', tokens: { refreshToken: 'rt2', expiresAt: hour }, obtainedAt: refreshedAt, previous: { reauthDueAt: days(90), reauthDueBasis: 'idle_limit', hasRefreshToken: true, grantedAt: T0.toISOString() } }))).toEqual({
      reauthDueAt: days(90, refreshedAt),
      reauthDueBasis: 'idle_limit',
    });
  });

  it('is the access token expiry when nothing can renew it, and unknown when that is unknown too', () => {
    expect(reauthDue(input({ tokens: { expiresAt: hour } }))).toEqual({ reauthDueAt: hour.toISOString(), reauthDueBasis: 'access_token_expiry' });
    expect(reauthDue(input({ refreshes: false, tokens: { refreshToken: 'secret', expiresAt: null } }))).toEqual({ reauthDueAt: null, reauthDueBasis: null });
  });

  it('is unknown for a type nothing is known about (Salesforce, Dropbox, a generic provider)', () => {
    for (const type of ['salesforce', 'dropbox', 'odata', 'windchill']) expect(reauthDue(input({ type }))).toEqual({ reauthDueAt: null, reauthDueBasis: null });
  });
});
