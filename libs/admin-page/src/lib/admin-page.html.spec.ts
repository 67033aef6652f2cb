import type { AdminOverviewData } from './admin-overview';
import { type AdminPageModel, renderAdminPage } from './admin-page.html';
import { renderRefreshChart, roundScale } from './refresh-chart';

const hour = (i: number, refreshed: number, failed: number) => ({ hourStart: new Date(Date.UTC(2026, 10, 30, i)).toISOString(), refreshed, failed, byOutcome: {} });

describe('refresh chart', () => {
  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 2, 3, 7, 10, 11, 240, 5000].map(roundScale)).toEqual([1, 1, 2, 5, 10, 10, 20, 500, 5000]);
  });

  it('draws two bars per hour scaled to the top of the scale, each with its title, and lists the figures; no script, no style', () => {
    const hours = Array.from({ length: 24 }, (_, i) => hour(i, i === 23 ? 4 : 0, i === 20 ? 1 : 0));
    const html = renderRefreshChart(hours);
    expect(html.match(/<rect /g)).toHaveLength(48);
    expect(html).toContain('<title>23:00 UTC: 4 refreshed</title>');
    expect(html).toContain('<title>20:00 UTC: 1 failed</title>');
    // 4 refreshed is the top of a scale of 5: 4/5 of the 160-pixel plot.
    expect(html).toMatch(/height="128\.0" fill="#198754"><title>23:00 UTC: 4 refreshed/);
    expect(html).toContain('4 refreshed and 1 failed in the last 24 hours');
    expect(html).toContain('<td>2026-11-30 23:00 UTC</td><td class="num">4</td><td class="num">0</td>');
    expect(html).not.toMatch(/<script|\sstyle=|<style/i);
  });
});

describe('admin page rendering', () => {
  const overview: AdminOverviewData = {
    providers: [{ type: 'slack', provider: 'Slack-1', state: 'credentials_rejected', rejectedAt: '2026-11-30T10:00:00.000Z', rejectedError: 'invalid_client', connectors: { active: 2, needs_reauth: 1, refresh_failed: 0 }, owners: ['alice', 'bob'] }],
    connectorsByStatus: { active: 2, needs_reauth: 1, refresh_failed: 0 },
    connectorsByOwner: { alice: 2, bob: 1 },
    hours: Array.from({ length: 24 }, (_, i) => hour(i, 0, 0)),
  };
  const model = (over: Partial<AdminPageModel> = {}): AdminPageModel => ({
    csrfToken: 'csrf',
    basePath: '',
    overview,
    providers: { slack: { 'Slack-1': { CLIENT_ID: '1234.5678', CLIENT_SECRET: '********', SCOPES: 'chat:write', state: 'credentials_rejected', rejectedAt: '2026-11-30T10:00:00.000Z', rejectedError: 'invalid_client' } } },
    users: [{ name: 'alice', createdAt: '2026-11-29T08:00:00.000Z' }],
    ...over,
  });

  it('puts the overview first: counts, the providers whose credentials were rejected, the chart, connectors by status per provider', () => {
    const html = renderAdminPage(model());
    expect(html.indexOf('id="overview"')).toBeLessThan(html.indexOf('id="configuration"'));
    expect(html).toContain('<div class="card" id="count-needs-reauth"><div class="figure fail">1</div>');
    expect(html).toContain('id="rejected-providers"');
    expect(html).toContain('<code>slack/Slack-1</code>: invalid_client since');
    expect(html).toContain('id="refresh-chart"');
    expect(html).toMatch(/<td class="num">2<\/td><td class="num fail">1<\/td><td class="num">0<\/td>/);
  });

  it('shows a provider by type, name, client id and state only: none of its other settings, never a secret field', () => {
    const html = renderAdminPage(model());
    expect(html).toContain('<code>1234.5678</code>');
    expect(html).not.toContain('********');
    expect(html).not.toContain('chat:write');
    expect(html).toContain('<option value="alice">alice</option><option value="bob">bob</option>');
  });

  it('a plan with conflicts says the load would be refused and offers no Apply; an unchanged file says nothing would change', () => {
    const conflict = renderAdminPage(
      model({
        configuration: {
          kind: 'plan',
          plan: { added: [], updated: [], unchanged: [], conflicts: [{ type: 'slack', provider: 'Slack-1', connectors: ['Chat_1'] }] },
          refusal: { error: 'provider_in_use', message: 'In-use providers can only have their secret changed; nothing was written.' },
        },
      }),
    );
    expect(conflict).toContain('id="plan-refused"');
    expect(conflict).toContain('<td>conflict</td><td><code>slack</code></td><td>Slack-1</td><td>Chat_1</td>');
    expect(conflict).not.toContain('id="apply"');
    const unchanged = renderAdminPage(model({ configuration: { kind: 'plan', plan: { added: [], updated: [], unchanged: [{ type: 'slack', provider: 'Slack-1' }], conflicts: [] } } }));
    expect(unchanged).toContain('id="plan-nothing"');
    expect(unchanged).not.toContain('id="apply"');
    const added = renderAdminPage(model({ configuration: { kind: 'plan', plan: { added: [{ type: 'slack', provider: 'Slack-2' }], updated: [], unchanged: [], conflicts: [] }, draftId: 'draft-id' } }));
    expect(added).toContain('<input type="hidden" name="draft" value="draft-id">');
  });

  it("says where config-loader's parts are missing instead of failing the page", () => {
    const html = renderAdminPage(model({ providers: 'config-loader did not answer at http://127.0.0.1:3001', users: 'config-loader did not answer at http://127.0.0.1:3001' }));
    expect(html.match(/config-loader did not answer/g)).toHaveLength(2);
    expect(html).toContain('id="overview"');
  });
});
