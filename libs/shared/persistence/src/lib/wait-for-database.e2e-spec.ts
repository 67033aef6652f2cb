import { startTcpProxy, TEST_POSTGRES_URL, type TcpProxy } from '@flow-oauth/testing';
import { waitForDatabase } from './wait-for-database';

describe('waiting for the database at start-up', () => {
  let proxy: TcpProxy;

  beforeEach(async () => {
    const target = new URL(TEST_POSTGRES_URL);
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
  });
  afterEach(async () => {
    await proxy.stop();
  });

  it('waits in-process while PostgreSQL is unreachable, names DATABASE_URL with its password masked, and goes on once it answers', async () => {
    await proxy.cut();
    const withPassword = new URL(proxy.urlThrough(TEST_POSTGRES_URL));
    withPassword.password = 'pg-password-never-logged';
    const lines: string[] = [];
    let settled = false;
    const logger = {
      warn: (message: string) => {
        lines.push(`warn ${message}`);
        // The outage ends after the process has said so twice.
        if (lines.length === 2) void proxy.restore();
      },
      log: (message: string) => lines.push(`log ${message}`),
    };
    const waiting = waitForDatabase({ type: 'postgres', url: withPassword.toString() }, logger, 20).then(() => {
      settled = true;
    });
    await waiting;
    expect(settled).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toContain('(DATABASE_URL) is not reachable');
    expect(lines[0]).toContain('Start PostgreSQL or set DATABASE_URL');
    expect(lines[0]).toContain(`:***@127.0.0.1:${proxy.port}/`);
    expect(lines.join('\n')).not.toContain('pg-password-never-logged');
    expect(lines[lines.length - 1]).toBe('log The database is reachable again; starting.');
  });

  it('returns at once, saying nothing, when PostgreSQL answers or the database is an SQLite file', async () => {
    const lines: string[] = [];
    const logger = { warn: (m: string) => lines.push(m), log: (m: string) => lines.push(m) };
    await waitForDatabase({ type: 'postgres', url: proxy.urlThrough(TEST_POSTGRES_URL) }, logger, 20);
    await waitForDatabase({ type: 'sqlite', file: '/nonexistent-dir/flow.sqlite' }, logger, 20);
    expect(lines).toEqual([]);
    expect(proxy.connectionsForwarded).toBeGreaterThan(0);
  });
});
