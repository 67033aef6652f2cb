import { type ProviderSettings, validateConfiguration } from '@flow-oauth/connector-definitions';
import { planLoad, providerKey, settingsFingerprint, type StoredProvider } from './load-plan';

/** Providers as a load hands them to the planner: through the real file validation. */
function settingsOf(file: Record<string, unknown>): ProviderSettings[] {
  const { providers, errors } = validateConfiguration(file);
  expect(errors).toEqual([]);
  return providers;
}

/** What the database holds for one provider, as the service reads it for the planner. */
function stored(settings: ProviderSettings, connectorLabels: string[] = [], id = `id-${settings.name}`): StoredProvider {
  return { id, type: settings.type, name: settings.name, fingerprint: settingsFingerprint(settings.parameters), secrets: { ...settings.secrets }, connectorLabels };
}

function storedMap(...providers: StoredProvider[]): Map<string, StoredProvider> {
  return new Map(providers.map((p) => [providerKey(p.type, p.name), p]));
}

const SLACK = { CLIENT_ID: 'slack-id', CLIENT_SECRET: 'slack-secret' };
const ZENDESK = { CLIENT_ID: 'zd-id', CLIENT_SECRET: 'zd-secret', SUBDOMAIN: 'acme' };

describe('planLoad', () => {
  it('adds a provider that is not stored, and writes it with the fingerprint of its settings', () => {
    const [slack] = settingsOf({ slack: { 'Slack-1': SLACK } });
    const { plan, writes } = planLoad([slack], new Map());
    expect(plan).toEqual({ added: [{ type: 'slack', provider: 'Slack-1' }], updated: [], unchanged: [], conflicts: [] });
    expect(writes).toEqual([{ kind: 'add', settings: slack, fingerprint: settingsFingerprint(slack.parameters) }]);
  });

  it('leaves a provider sent again unchanged, and writes nothing', () => {
    const [slack] = settingsOf({ slack: { 'Slack-1': SLACK } });
    expect(planLoad([slack], storedMap(stored(slack, ['In_use'])))).toEqual({
      plan: { added: [], updated: [], unchanged: [{ type: 'slack', provider: 'Slack-1' }], conflicts: [] },
      writes: [],
    });
  });

  it('updates a provider no connector uses when its settings change, keeping its stored id', () => {
    const [before] = settingsOf({ zendesk: { 'ZD-1': ZENDESK } });
    const [after] = settingsOf({ zendesk: { 'ZD-1': { ...ZENDESK, SUBDOMAIN: 'acme-eu' } } });
    const { plan, writes } = planLoad([after], storedMap(stored(before, [], 'stored-zd-1')));
    expect(plan).toEqual({ added: [], updated: [{ type: 'zendesk', provider: 'ZD-1' }], unchanged: [], conflicts: [] });
    expect(writes).toEqual([{ kind: 'update', id: 'stored-zd-1', settings: after, fingerprint: settingsFingerprint(after.parameters) }]);
  });

  it('lets an in-use provider rotate its secret only: an update, and its connectors keep it', () => {
    const [before] = settingsOf({ slack: { 'Slack-1': SLACK } });
    const [rotated] = settingsOf({ slack: { 'Slack-1': { ...SLACK, CLIENT_SECRET: 'slack-secret-2' } } });
    const { plan, writes } = planLoad([rotated], storedMap(stored(before, ['Team_a'])));
    expect(plan).toEqual({ added: [], updated: [{ type: 'slack', provider: 'Slack-1' }], unchanged: [], conflicts: [] });
    expect(writes).toEqual([{ kind: 'update', id: 'id-Slack-1', settings: rotated, fingerprint: stored(before).fingerprint }]);
    expect(writes[0].settings.secrets).toEqual({ CLIENT_SECRET: 'slack-secret-2' });
  });

  it('refuses any other change to an in-use provider as a conflict naming its connectors, sorted, and plans no write for it', () => {
    const [before] = settingsOf({ zendesk: { 'ZD-1': ZENDESK } });
    // The secret changes too: a rotation does not excuse a settings change.
    const [changed] = settingsOf({ zendesk: { 'ZD-1': { ...ZENDESK, SUBDOMAIN: 'other', CLIENT_SECRET: 'zd-secret-2' } } });
    const { plan, writes } = planLoad([changed], storedMap(stored(before, ['Zeta', 'Alpha', 'mid'])));
    expect(plan).toEqual({ added: [], updated: [], unchanged: [], conflicts: [{ type: 'zendesk', provider: 'ZD-1', connectors: ['Alpha', 'Zeta', 'mid'] }] });
    expect(writes).toEqual([]);
  });

  it('does not care about key order: the same settings written in another order are unchanged', () => {
    const odata = {
      CLIENT_ID: 'od-id',
      CLIENT_SECRET: 'od-secret',
      AUTH_URL: 'https://idp.example.com/authorize',
      TOKEN_URL: 'https://idp.example.com/token',
      oauth2_params_other: ['{"audience":"api"}'],
      oauth2_required: [{ id: 'resource', title: 'Resource', pattern: '^[a-z]+$' }],
    };
    const reordered = {
      oauth2_required: [{ pattern: '^[a-z]+$', title: 'Resource', id: 'resource' }],
      TOKEN_URL: odata.TOKEN_URL,
      oauth2_params_other: odata.oauth2_params_other,
      CLIENT_SECRET: odata.CLIENT_SECRET,
      AUTH_URL: odata.AUTH_URL,
      CLIENT_ID: odata.CLIENT_ID,
    };
    const [first] = settingsOf({ odata: { 'OData-1': odata } });
    const [again] = settingsOf({ odata: { 'OData-1': reordered } });
    expect(Object.keys(again.parameters)).not.toEqual(Object.keys(first.parameters));
    expect(settingsFingerprint(again.parameters)).toBe(settingsFingerprint(first.parameters));
    expect(planLoad([again], storedMap(stored(first, ['In_use']))).plan.unchanged).toEqual([{ type: 'odata', provider: 'OData-1' }]);
    // Array order is meaning (template lists render in order): it does change the fingerprint.
    const swapped = settingsOf({ odata: { 'OData-1': { ...odata, oauth2_params_other: ['{"b":"2"}', '{"a":"1"}'] } } })[0];
    const original = settingsOf({ odata: { 'OData-1': { ...odata, oauth2_params_other: ['{"a":"1"}', '{"b":"2"}'] } } })[0];
    expect(settingsFingerprint(swapped.parameters)).not.toBe(settingsFingerprint(original.parameters));
  });

  it('plans each provider of a mixed file on its own, and never touches stored providers the file does not name', () => {
    const [slack1, slack2, zendesk] = settingsOf({ slack: { 'Slack-1': SLACK, 'Slack-2': { ...SLACK, CLIENT_ID: 'slack-2' } }, zendesk: { 'ZD-1': ZENDESK } });
    const [other] = settingsOf({ slack: { 'Not-In-File': SLACK } });
    const { plan, writes } = planLoad([slack1, slack2, zendesk], storedMap(stored(slack1, ['Used_1']), stored(other, ['Used_2'])));
    expect(plan).toEqual({
      added: [
        { type: 'slack', provider: 'Slack-2' },
        { type: 'zendesk', provider: 'ZD-1' },
      ],
      updated: [],
      unchanged: [{ type: 'slack', provider: 'Slack-1' }],
      conflicts: [],
    });
    expect(writes.map((w) => `${w.kind} ${w.settings.name}`)).toEqual(['add Slack-2', 'add ZD-1']);
  });
});
