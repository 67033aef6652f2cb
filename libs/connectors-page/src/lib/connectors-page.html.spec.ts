import type { ConnectorView } from '@flow-oauth/connectors';
import { renderAddForm, renderConnectorList, statusReason } from './connectors-page.html';

const connector = (over: Partial<ConnectorView>): ConnectorView => ({
  id: '11111111-2222-4333-8444-555555555555',
  label: 'Gmail_1',
  type: 'google_gmail',
  provider: 'Gmail-1',
  owner: 'alice',
  status: 'active',
  expiresAt: '2026-11-30T10:00:00.000Z',
  expiry: 'valid',
  reauthDueAt: null,
  reauthDueBasis: null,
  health: 'unknown',
  healthDetail: null,
  lastCheckedAt: null,
  lastRefreshedAt: null,
  nextRefreshAt: null,
  refreshAttempts: 0,
  refreshRetryAt: null,
  createdAt: '2026-11-30T09:00:00.000Z',
  updatedAt: '2026-11-30T09:00:00.000Z',
  scope: null,
  params: {},
  metadata: {},
  lastError: null,
  ...over,
});

describe('connectors page rendering', () => {
  const spec = { csrfToken: 'csrf-token-value', basePath: '' };

  it('a needs_reauth connector shows a warning with its reason and a Reconnect button; an active one neither', () => {
    const html = renderConnectorList({ ...spec, connectors: [connector({ status: 'needs_reauth', expiresAt: null, lastError: 'invalid_grant' }), connector({ id: 'a'.repeat(8) + '-2222-4333-8444-555555555555', label: 'Ok_1' })] });
    const [reauth, ok] = html.split('<tr id="connector-').slice(1);
    expect(reauth).toContain('class="warning"');
    expect(reauth).toContain('Needs sign-in again: the provider no longer accepts its grant');
    expect(reauth).toContain('aria-label="Reconnect Gmail_1"');
    expect(reauth).toContain('<td>no token</td>');
    expect(ok).not.toContain('warning');
    expect(ok).not.toContain('Reconnect');
    expect(ok).toContain('<time datetime="2026-11-30T10:00:00.000Z">2026-11-30 10:00 UTC</time>');
    expect(statusReason({ status: 'refresh_failed', lastError: 'provider answered 503' })).toBe('Refreshes keep failing: provider answered 503. Flow keeps retrying; it turns active by itself.');
  });

  it('says "expiry unknown" and "never" when the provider gave no expiry and nothing refreshed yet; every form carries the CSRF token', () => {
    const html = renderConnectorList({ ...spec, connectors: [connector({ expiresAt: null })] });
    expect(html).toContain('<td>expiry unknown</td><td>never</td>');
    const forms = html.match(/<form method="post"/g) ?? [];
    expect(forms).toHaveLength(2);
    expect(html.match(/name="csrf_token" value="csrf-token-value"/g)).toHaveLength(2);
  });

  it('highlights the connector a sign-in just created', () => {
    const html = renderConnectorList({ ...spec, connectors: [connector({})], highlight: '11111111-2222-4333-8444-555555555555' });
    expect(html).toContain('<tr id="connector-11111111-2222-4333-8444-555555555555" data-label="Gmail_1" class="highlight" aria-current="true">');
  });

  it('escapes every value it shows (a reason, a typed label or parameter cannot add markup)', () => {
    const list = renderConnectorList({ ...spec, connectors: [connector({ status: 'refresh_failed', lastError: '<img src=x onerror=alert(1)>' })] });
    expect(list).not.toContain('<img');
    expect(list).toContain('&#60;img src=x onerror=alert(1)&#62;');
    const form = renderAddForm(
      { types: [{ type: 'azure', title: 'Azure', providers: ['Azure-1'] }], type: 'azure', provider: 'Azure-1', fields: [{ id: 'tenant', title: 'Tenant', optional: false }], label: '"><script>x</script>', values: { tenant: '"><b>' } },
      spec,
    );
    expect(form).not.toMatch(/<script|<b>/);
    expect(form).toContain('value="&#34;&#62;&#60;script&#62;x&#60;/script&#62;"');
    expect(form).toContain('name="param.tenant" value="&#34;&#62;&#60;b&#62;"');
  });

  it('walks the add form in three steps: type, provider, then label and the per-connection fields', () => {
    const types = [{ type: 'zendesk', title: 'Zendesk', providers: ['Zendesk-1', 'Zendesk-2'] }];
    expect(renderAddForm({ types }, spec)).toContain('Step 1 of 3');
    const second = renderAddForm({ types, type: 'zendesk' }, spec);
    expect(second).toContain('Step 2 of 3');
    expect(second).toContain('<option value="Zendesk-2">Zendesk-2</option>');
    const third = renderAddForm({ types, type: 'zendesk', provider: 'Zendesk-1', fields: [{ id: 'subdomain', title: 'Subdomain', description: 'your Zendesk subdomain', optional: false }] }, spec);
    expect(third).toContain('Step 3 of 3');
    expect(third).toContain('<form method="post" action="/connectors" class="stack" id="connect">');
    expect(third).toContain('<label for="param-subdomain">Subdomain <span class="hint">(your Zendesk subdomain; required)</span>');
    expect(renderAddForm({ types: [] }, spec)).toContain('No OAuth provider is loaded yet');
  });
});
