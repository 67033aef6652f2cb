import { ApiError } from '@flow-oauth/http-common';
import { AUDIT_DEFAULT_LIMIT, parseAuditFilter } from './audit-filter';

const NOW = Date.parse('2026-11-30T12:00:00.000Z');

function problems(query: Record<string, unknown>): string {
  try {
    parseAuditFilter(query, NOW);
  } catch (error) {
    if (error instanceof ApiError && error.getStatus() === 400) return error.message;
    throw error;
  }
  throw new Error('expected a 400');
}

describe('GET /api/audit filters', () => {
  it('reads since and until as ISO times or durations back from now', () => {
    expect(parseAuditFilter({ since: '2026-11-29T08:30:00Z', until: '2026-11-30' }, NOW)).toEqual({ since: '2026-11-29T08:30:00.000Z', until: '2026-11-30T00:00:00.000Z', limit: AUDIT_DEFAULT_LIMIT });
    expect(parseAuditFilter({ since: '24h' }, NOW).since).toBe('2026-11-29T12:00:00.000Z');
    expect(parseAuditFilter({ since: '7d' }, NOW).since).toBe('2026-11-23T12:00:00.000Z');
    expect(parseAuditFilter({ since: '90m' }, NOW).since).toBe('2026-11-30T10:30:00.000Z');
  });

  it('takes an exact type or a family, an actor, a subject, a page cursor and a limit', () => {
    expect(parseAuditFilter({ type: 'connector.*', actor: 'user:alice', subject: 'connector:1f0c', after: '42', limit: '10' }, NOW)).toEqual({
      type: 'connector.*',
      actor: 'user:alice',
      subject: 'connector:1f0c',
      after: 42,
      limit: 10,
    });
    expect(parseAuditFilter({ type: 'configuration.load' }, NOW).type).toBe('configuration.load');
  });

  it('refuses what does not parse, naming each parameter', () => {
    const message = problems({ since: 'yesterday', type: "connector.created' OR 1=1", actor: 'x'.repeat(300), limit: '0', after: '-1' });
    for (const name of ['since must be', 'type must be', 'actor must be', 'limit must be', 'after must be']) expect(message).toContain(name);
  });

  it('refuses unknown parameters and repeated ones', () => {
    expect(problems({ sinse: '24h' })).toContain('unknown parameter sinse');
    expect(problems({ type: ['connector.created', 'connector.deleted'] })).toContain('type must be given once');
  });
});
