import { formatAudit, formatDeliveries, formatApiError, formatConfiguration, formatConnectorTypes, formatKeyRotation, formatPlan, formatTable, formatUsers, planCounts, redactSettings } from './cli-output';

describe('formatTable', () => {
  it('pads columns to the widest cell and rules the header', () => {
    expect(formatTable(['status', 'type'], [['added', 'google_gmail'], ['unchanged', 'x']])).toBe(
      ['status     type', '---------  ------------', 'added      google_gmail', 'unchanged  x'].join('\n'),
    );
  });
});

describe('formatPlan', () => {
  const plan = {
    added: [{ type: 'google_gmail', provider: 'Gmail-1' }],
    updated: [{ type: 'slack', provider: 'Slack-1' }],
    unchanged: [{ type: 'google_task', provider: 'Google Tasks' }],
    conflicts: [{ type: 'box', provider: 'Box-1', connectors: ['alice_box', 'bob_box'] }],
  };

  it('shows every provider as status | type | provider | connectors, conflicts first, with counts', () => {
    const text = formatPlan({ applied: false, plan });
    const lines = text.split('\n');
    expect(lines).toContain('status     type          provider      connectors');
    expect(lines).toContain('conflict   box           Box-1         alice_box, bob_box');
    expect(lines).toContain('added      google_gmail  Gmail-1');
    expect(lines).toContain('unchanged  google_task   Google Tasks');
    expect(text.indexOf('conflict ')).toBeLessThan(text.indexOf('added '));
    expect(lines[lines.length - 1]).toBe('1 added, 1 updated, 1 unchanged, 1 conflict');
    expect(lines[0]).toMatch(/^Dry run: nothing was written\. The load would be refused/);
  });

  it('says whether the load was applied or only planned', () => {
    const clean = { ...plan, conflicts: [] };
    expect(formatPlan({ applied: true, plan: clean }).split('\n')[0]).toBe('Loaded.');
    expect(formatPlan({ applied: false, plan: clean }).split('\n')[0]).toMatch(/^Dry run: nothing was written\./);
  });

  it('counts an empty plan', () => {
    expect(planCounts({})).toBe('0 added, 0 updated, 0 unchanged, 0 conflicts');
    expect(formatPlan({ applied: true, plan: { added: [], updated: [], unchanged: [], conflicts: [] } })).toContain('(the file names no providers)');
  });
});

describe('formatApiError', () => {
  it('lists every error of an invalid file as "<json pointer>  <message>", one per line', () => {
    const text = formatApiError(400, {
      error: 'invalid_configuration',
      message: 'The configuration has 3 error(s); nothing was loaded.',
      errors: [
        { path: '/slack/Slack-1/CLIENT_SECRET', message: 'is required' },
        { path: '/gmail', message: 'unknown connector type' },
        { path: '', message: 'must be a JSON object' },
      ],
    });
    expect(text.split('\n')).toEqual([
      'Invalid configuration: 3 errors; nothing was loaded.',
      '/slack/Slack-1/CLIENT_SECRET  is required',
      '/gmail                        unknown connector type',
      '(document)                    must be a JSON object',
    ]);
  });

  it('shows an in-use conflict as a table naming the connectors', () => {
    const text = formatApiError(409, {
      error: 'provider_in_use',
      message: 'In-use providers can only have their secret changed',
      conflicts: [{ type: 'google_gmail', provider: 'Gmail-1', connectors: ['my_gmail'] }],
    });
    expect(text).toMatch(/^Refused: /);
    expect(text).toContain('conflict  google_gmail  Gmail-1   my_gmail');
  });

  it('shows any other error as HTTP status, code and message', () => {
    expect(formatApiError(401, { error: 'unauthorized', message: 'The API key is not valid.' })).toBe('HTTP 401 unauthorized: The API key is not valid.');
    expect(formatApiError(502, '<html>Bad gateway</html>')).toBe('HTTP 502 error: <html>Bad gateway</html>');
    expect(formatApiError(500, undefined)).toBe('HTTP 500 error');
  });
});

describe('formatConfiguration', () => {
  it('never prints a secret, even one the server failed to redact', () => {
    const text = formatConfiguration({
      google_gmail: { 'Gmail-1': { CLIENT_ID: 'id-1', CLIENT_SECRET: 'leaked-secret' } },
      trello: { 'Trello-1': { CONSUMER_KEY: 'ck', CONSUMER_SECRET: '********' } },
    });
    expect(text).not.toContain('leaked-secret');
    expect(text).toContain('CLIENT_ID=id-1 CLIENT_SECRET=********');
    expect(text).toContain('CONSUMER_KEY=ck CONSUMER_SECRET=********');
    expect(text.split('\n').pop()).toBe('2 providers of 2 connector types');
  });

  it('keeps URL and template parameters that merely mention tokens', () => {
    expect(redactSettings({ TOKEN_URL: 'https://idp/token', oauth2_token_data: ['x'], CLIENT_SECRET: 's' })).toEqual({
      TOKEN_URL: 'https://idp/token',
      oauth2_token_data: ['x'],
      CLIENT_SECRET: '********',
    });
  });

  it('says so when nothing is loaded', () => {
    expect(formatConfiguration({})).toMatch(/No OAuth providers are loaded yet/);
  });

  it("shows each provider's state, and names the providers whose credentials were rejected with what to do", () => {
    const text = formatConfiguration({
      slack: {
        'Slack-1': { CLIENT_ID: 'id-1', CLIENT_SECRET: '********', state: 'ok' },
        'Slack-2': { CLIENT_ID: 'id-2', CLIENT_SECRET: '********', state: 'credentials_rejected', rejectedAt: '2026-11-30T10:00:00.000Z', rejectedError: 'invalid_client' },
      },
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^type\s+provider\s+state\s+parameters$/);
    expect(lines[2]).toMatch(/^slack\s+Slack-1\s+ok\s+CLIENT_ID=id-1 CLIENT_SECRET=\*{8}$/);
    expect(lines[3]).toMatch(/^slack\s+Slack-2\s+credentials_rejected \(invalid_client since 2026-11-30T10:00:00.000Z\)\s+CLIENT_ID=id-2 CLIENT_SECRET=\*{8}$/);
    expect(text).not.toContain('rejectedAt=');
    expect(text).toContain("1 provider refused Flow's client credentials: slack/Slack-2.");
    expect(lines.pop()).toBe('2 providers of 1 connector type');
  });
});

describe('formatConnectorTypes and formatUsers', () => {
  it('tabulates the catalog', () => {
    const text = formatConnectorTypes([
      { type: 'trello', title: 'Trello', protocol: 'OAuth1', requiredParameters: ['CONSUMER_KEY', 'CONSUMER_SECRET'], optionalParameters: [] },
      { type: 'windchill', title: 'Windchill', protocol: 'OAuth2', requiredParameters: ['CLIENT_ID'], optionalParameters: ['RESOURCE_URL'] },
    ]);
    expect(text).toContain('trello     Trello     OAuth1    CONSUMER_KEY, CONSUMER_SECRET');
    expect(text).toMatch(/windchill {2}Windchill {2}OAuth2 {4}CLIENT_ID\s+RESOURCE_URL/);
    expect(text.split('\n').pop()).toBe('2 connector types');
  });

  it('tabulates users without keys', () => {
    expect(formatUsers([{ name: 'alice', createdAt: '2026-01-01T00:00:00.000Z' }])).toContain('alice  2026-01-01T00:00:00.000Z');
    expect(formatUsers([])).toMatch(/No users yet/);
  });
});

describe('formatKeyRotation', () => {
  it('tabulates the values by key id before and after, the sealing key last and marked', () => {
    const text = formatKeyRotation({
      keyId: 'bbbbbbbbbbbb',
      resealed: { providers: 2, tokens: 7, canary: 1 },
      before: { aaaaaaaaaaaa: 10, bbbbbbbbbbbb: 1 },
      after: { bbbbbbbbbbbb: 11 },
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Re-sealed with key id bbbbbbbbbbbb: 2 provider secrets, 7 tokens, 1 key check (one transaction).');
    expect(lines).toContain('key id        before  after');
    expect(lines).toContain('aaaaaaaaaaaa  10      0');
    expect(lines).toContain('bbbbbbbbbbbb  1       11     FLOW_ENCRYPTION_KEY');
    expect(text.indexOf('aaaaaaaaaaaa  10')).toBeLessThan(text.indexOf('bbbbbbbbbbbb  1 '));
    expect(lines[lines.length - 1]).toMatch(/^All 11 stored values use key id bbbbbbbbbbbb\. Keep the old key in FLOW_ENCRYPTION_OLD_KEYS for 10 more minutes/);
  });

  it('says how many pending token sets in Redis were re-sealed, and how many no key opens', () => {
    const text = formatKeyRotation({ keyId: 'b', resealed: { providers: 0, tokens: 1, canary: 0 }, before: { a: 1 }, after: { b: 1 }, pendingTokenSets: { resealed: 2, unreadable: 1 } });
    expect(text.split('\n')[1]).toBe('Pending token sets in Redis: 2 re-sealed, 1 opened by no key of the ring (left to expire).');
    const none = formatKeyRotation({ keyId: 'b', resealed: { providers: 0, tokens: 1, canary: 0 }, before: { a: 1 }, after: { b: 1 }, pendingTokenSets: { resealed: 0, unreadable: 0 } });
    expect(none).not.toContain('Pending token sets');
  });

  it('warns not to remove a key that still seals something', () => {
    const text = formatKeyRotation({ keyId: 'b', resealed: { providers: 0, tokens: 0, canary: 0 }, before: { a: 1, b: 1 }, after: { a: 1, b: 1 } });
    expect(text.split('\n').pop()).toBe('Values under key id(s) a remain: do not remove those keys yet.');
  });
});

describe('formatAudit', () => {
  it('shows each entry as time | actor | type | subject | outcome | detail, a load by its counts', () => {
    const text = formatAudit([
      { id: 1, at: '2026-11-30T10:00:00.000Z', actor: 'admin', type: 'configuration.load', subject: 'configuration', outcome: 'dry_run', detail: { added: ['slack/S'], counts: { added: 1, updated: 0, unchanged: 2, conflicts: 0 } } },
      { id: 2, at: '2026-11-30T10:01:00.000Z', actor: 'system', type: 'connector.needs_reauth', subject: 'connector:c1', outcome: 'ok', detail: { label: 'MySlack', reason: 'invalid_grant' } },
      { id: 3, at: '2026-11-30T10:02:00.000Z', actor: 'admin', type: 'configuration.load', subject: 'configuration', outcome: 'invalid', detail: { dryRun: false, errors: 3 } },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^time\s+actor\s+type\s+subject\s+outcome\s+detail$/);
    expect(lines[2]).toMatch(/admin\s+configuration\.load\s+configuration\s+dry_run\s+1 added, 0 updated, 2 unchanged, 0 conflicts$/);
    expect(lines[3]).toMatch(/system\s+connector\.needs_reauth\s+connector:c1\s+ok\s+label=MySlack reason=invalid_grant$/);
    expect(lines[4]).toMatch(/invalid\s+3 errors$/);
    expect(lines[lines.length - 1]).toBe('3 entries');
    expect(formatAudit([])).toBe('No audit entries match.');
  });
});

describe('formatDeliveries', () => {
  it('shows each delivery with its status, attempts and last answer, and counts them by status', () => {
    const base = { subject: 'connector:c1', createdAt: '2026-11-30T10:00:00.000Z', lastAttemptAt: '2026-11-30T10:00:01.000Z' };
    const text = formatDeliveries([
      { ...base, id: 'd2', event: 'connector.deleted', sequence: 2, status: 'pending', attempts: 3, nextAttemptAt: '2026-11-30T10:05:00.000Z', lastStatus: null, lastError: 'network error (ECONNREFUSED)', deliveredAt: null },
      { ...base, id: 'd1', event: 'connector.created', sequence: 1, status: 'delivered', attempts: 1, nextAttemptAt: null, lastStatus: 204, lastError: null, deliveredAt: '2026-11-30T10:00:01.000Z' },
    ]);
    const lines = text.split('\n');
    expect(lines[2]).toMatch(/connector\.deleted\s+connector:c1\s+2\s+pending\s+3\s+network error \(ECONNREFUSED\)\s+2026-11-30T10:05:00.000Z\s+d2$/);
    expect(lines[3]).toMatch(/connector\.created\s+connector:c1\s+1\s+delivered\s+1\s+204\s+2026-11-30T10:00:01.000Z\s+d1$/);
    expect(lines[lines.length - 1]).toBe('1 pending, 1 delivered, 0 failed');
    expect(formatDeliveries([])).toBe('No webhook deliveries match.');
  });
});
