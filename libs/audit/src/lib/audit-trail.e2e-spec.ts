import { buildDataSourceOptions } from '@flow-oauth/persistence';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '@flow-oauth/testing';
import { DataSource } from 'typeorm';
import { parseAuditFilter } from './audit-filter';
import { assertSecretFree, AuditTrail } from './audit-trail';

describe.each(TEST_DATABASE_KINDS)('audit trail on %s', (kind) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let trail: AuditTrail;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    dataSource = await new DataSource(buildDataSourceOptions(db.settings)).initialize();
    await dataSource.runMigrations();
    trail = new AuditTrail(dataSource);
    await trail.append([
      { at: '2026-11-01T10:00:00.000Z', type: 'configuration.load', actor: 'admin', subject: 'configuration', outcome: 'ok', detail: { added: ['slack/Slack-1'] } },
      { at: '2026-11-02T10:00:00.000Z', type: 'connector.created', actor: 'user:alice', subject: 'connector:c1', outcome: 'ok', detail: { label: 'MySlack' } },
      { at: '2026-11-03T10:00:00.000Z', type: 'connector.needs_reauth', actor: 'system', subject: 'connector:c1', outcome: 'ok', detail: { reason: 'invalid_grant' } },
      { at: '2026-11-04T10:00:00.000Z', type: 'user.key_revoked', actor: 'admin', subject: 'user:alice', outcome: 'ok', detail: { name: 'alice' } },
    ]);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const types = async (query: Record<string, unknown>) => (await trail.query(parseAuditFilter(query))).map((e) => e.type);

  it('answers entries oldest first with their detail', async () => {
    const all = await trail.query(parseAuditFilter({}));
    expect(all.map((e) => [e.type, e.actor, e.subject, e.outcome])).toEqual([
      ['configuration.load', 'admin', 'configuration', 'ok'],
      ['connector.created', 'user:alice', 'connector:c1', 'ok'],
      ['connector.needs_reauth', 'system', 'connector:c1', 'ok'],
      ['user.key_revoked', 'admin', 'user:alice', 'ok'],
    ]);
    expect(all[0].detail).toEqual({ added: ['slack/Slack-1'] });
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
  });

  it('filters by time, type (exact or family), actor and subject, and pages by id', async () => {
    expect(await types({ since: '2026-11-02T10:00:00Z', until: '2026-11-04T00:00:00Z' })).toEqual(['connector.created', 'connector.needs_reauth']);
    expect(await types({ type: 'connector.*' })).toEqual(['connector.created', 'connector.needs_reauth']);
    expect(await types({ type: 'connector.created' })).toEqual(['connector.created']);
    expect(await types({ actor: 'admin' })).toEqual(['configuration.load', 'user.key_revoked']);
    expect(await types({ subject: 'connector:c1', actor: 'system' })).toEqual(['connector.needs_reauth']);
    const [first] = await trail.query(parseAuditFilter({ limit: '1' }));
    expect(await types({ after: String(first.id), limit: '2' })).toEqual(['connector.created', 'connector.needs_reauth']);
  });

  it('is append-only: the database refuses an update of an entry', async () => {
    await expect(dataSource.query("UPDATE audit_entries SET actor = 'someone-else'")).rejects.toThrow(/append-only/);
    expect(await types({ actor: 'someone-else' })).toEqual([]);
  });

  it('refuses an entry that names a secret or a token, and writes nothing', async () => {
    const before = (await trail.query(parseAuditFilter({}))).length;
    await expect(trail.append([{ type: 'configuration.load', actor: 'admin', subject: 'configuration', outcome: 'ok', detail: { providers: [{ CLIENT_SECRET: 'x' }] } }])).rejects.toThrow(/must not hold detail.providers\[0\].CLIENT_SECRET/);
    expect(() => assertSecretFree({ refresh_token: 'x' })).toThrow();
    expect(() => assertSecretFree({ accessToken: 'x' })).toThrow();
    expect(() => assertSecretFree({ reason: 'invalid_grant', keyId: 'abc', connectors: ['A'], resealed: { tokens: 3 } })).not.toThrow();
    expect((await trail.query(parseAuditFilter({}))).length).toBe(before);
  });

  it('prunes entries older than the retention, keeping the rest', async () => {
    expect(await trail.prune(new Date('2026-11-02T00:00:00Z'))).toBe(1);
    expect(await types({})).toEqual(['connector.created', 'connector.needs_reauth', 'user.key_revoked']);
  });
});
