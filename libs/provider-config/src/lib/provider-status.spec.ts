import { withoutProviderStatus } from './provider-configuration.service';

describe('withoutProviderStatus (the redacted read loaded back as a file)', () => {
  it('drops state, rejectedAt and rejectedError from every provider, and nothing else', () => {
    const read = {
      slack: {
        'Slack-1': { CLIENT_ID: 'a', CLIENT_SECRET: 'real', state: 'credentials_rejected', rejectedAt: '2026-11-30T10:00:00.000Z', rejectedError: 'invalid_client' },
        'Slack-2': { CLIENT_ID: 'b', CLIENT_SECRET: 'real', state: 'ok' },
      },
    };
    expect(withoutProviderStatus(read)).toEqual({ slack: { 'Slack-1': { CLIENT_ID: 'a', CLIENT_SECRET: 'real' }, 'Slack-2': { CLIENT_ID: 'b', CLIENT_SECRET: 'real' } } });
    // The caller's document is not changed.
    expect(read.slack['Slack-2'].state).toBe('ok');
  });

  it('leaves a value that is not a status for the validator to judge', () => {
    expect(withoutProviderStatus({ box: { B: { state: 'on', rejectedAt: 5 } } })).toEqual({ box: { B: { state: 'on', rejectedAt: 5 } } });
  });

  it('keeps keys such as __proto__ as data for the validator to refuse, and passes non-objects through', () => {
    const doc = JSON.parse('{"__proto__": {"x": {"state": "ok"}}, "slack": {"__proto__": {"state": "ok"}}}');
    const out = withoutProviderStatus(doc) as Record<string, Record<string, unknown>>;
    expect(Object.keys(out)).toEqual(['__proto__', 'slack']);
    // An own property, not the object's prototype.
    expect((out as Record<string, unknown>)['x']).toBeUndefined();
    expect(Object.keys(out['slack'])).toEqual(['__proto__']);
    expect(withoutProviderStatus([1, 2])).toEqual([1, 2]);
    expect(withoutProviderStatus('text')).toBe('text');
  });
});
