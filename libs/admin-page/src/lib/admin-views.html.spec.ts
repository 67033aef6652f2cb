import { connectorSetupGuide } from '@flow-oauth/setup-guide';
import { auditSection, deliveriesSection, renderSetupGuide, setupGuideSection } from './admin-views.html';

describe('admin page views', () => {
  it('offers every connector type in the setup-guide form, a labelled select posted by GET', () => {
    const html = setupGuideSection('/flow');
    expect(html).toContain('<form method="get" action="/flow/admin/setup"');
    expect(html).toContain('<label for="setup-type">');
    expect(html.match(/<option /g)).toHaveLength(26);
  });

  it('renders a guide with the redirect URI, quirks and the fragment, escaping what it shows and holding no secret', () => {
    const guide = connectorSetupGuide('google_gmail', {
      redirectUri: 'https://flow.example.com/Thingworx/Oauths/oauth/return',
      loadedProviders: { 'Gmail <b>': { CLIENT_ID: 'client-1', CLIENT_SECRET: '********', state: 'ok' } },
    });
    if (!guide) throw new Error('no guide');
    const html = renderSetupGuide(guide, '');
    expect(html).toContain('<output id="redirect-uri" class="secret-once">https://flow.example.com/Thingworx/Oauths/oauth/return</output>');
    expect(html).toContain('7 days');
    expect(html).toContain('&#34;CLIENT_SECRET&#34;: &#34;&#60;client secret here&#62;&#34;');
    expect(html).toContain('Gmail &#60;b&#62;');
    expect(html).not.toContain('********');
    expect(html).not.toMatch(/<script|\sstyle=|<style/i);
  });

  it('shows deliveries with their outcome, keeps the filter in its form, and shows a refused filter as the API said it', () => {
    const form = { deliveries_status: 'failed' };
    const delivery = {
      id: 'd-1', event: 'connector.needs_reauth', subject: 'connector:c-1', sequence: 2, status: 'failed' as const, attempts: 8,
      createdAt: '2026-11-30T10:00:00.000Z', lastAttemptAt: '2026-11-30T11:00:00.000Z', nextAttemptAt: null, lastStatus: 503, lastError: 'receiver answered 503', deliveredAt: null,
      payload: { connector: { label: 'Mail_1', type: 'google_gmail', provider: 'Gmail', owner: 'alice' } },
    };
    const html = deliveriesSection('', { form, rows: [delivery] });
    expect(html).toContain('<option value="failed" selected>failed</option>');
    expect(html).toContain('Mail_1');
    expect(html).toContain('HTTP 503: receiver answered 503');
    const refused = deliveriesSection('', { form: { deliveries_status: 'lost' }, rows: { error: 'invalid_request', message: 'status must be one of pending, delivered, failed' } });
    expect(refused).toContain('status must be one of pending, delivered, failed');
    expect(refused).not.toContain('deliveries-table');
  });

  it('shows the audit trail newest first with its filter values', () => {
    const entry = (id: number, type: string) => ({ id, at: `2026-11-30T10:0${id}:00.000Z`, actor: 'admin', type, subject: 'user:alice', outcome: 'ok', detail: { name: 'alice' } });
    const html = auditSection('', { form: { audit_since: '7d', audit_actor: 'admin' }, rows: [entry(1, 'user.key_issued'), entry(2, 'user.key_revoked')] });
    expect(html.indexOf('user.key_revoked')).toBeLessThan(html.indexOf('user.key_issued'));
    expect(html).toContain('id="audit-since" name="audit_since" value="7d"');
    expect(html).toContain('{&#34;name&#34;:&#34;alice&#34;}');
  });
});
