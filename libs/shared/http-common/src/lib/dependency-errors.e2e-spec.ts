import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { holdSqliteWriteLock, startTcpProxy, TEST_POSTGRES_URL, TEST_REDIS_URL } from '@flow-oauth/testing';
import type { ArgumentsHost } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ApiExceptionFilter } from './api-exception.filter';
import { isDependencyError } from './dependency-errors';

// The errors the real drivers raise when the database or Redis goes away or is busy: each must be a
// dependency error (503, "try again shortly"), and an error of the request itself must not be.

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the work to fail');
}

/** What the API filter answers for an error: its status and error code. */
function answerFor(error: unknown): { status: number; error: string } {
  const sent: { status: number; error: string } = { status: 0, error: '' };
  const response = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: { error: string }) {
      sent.error = body.error;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(error, host);
  return sent;
}

describe('isDependencyError, with the errors real drivers raise', () => {
  it('PostgreSQL: a connection reset in the middle of a query (read ECONNRESET), then a refused connection, are 503s', async () => {
    const server = new URL(TEST_POSTGRES_URL);
    const proxy = await startTcpProxy({ targetHost: server.hostname, targetPort: Number(server.port || 5432) });
    const ds = await new DataSource({ type: 'postgres', url: proxy.urlThrough(TEST_POSTGRES_URL), extra: { max: 1, connectionTimeoutMillis: 2000 } }).initialize();
    try {
      const running = failure(() => ds.query('SELECT pg_sleep(10)'));
      const sent = proxy.turns();
      while (proxy.turns() === sent) await new Promise((resolve) => setTimeout(resolve, 10));
      await proxy.cut();
      const reset = await running;
      const refused = await failure(() => ds.query('SELECT 1'));
      for (const error of [reset, refused]) {
        expect({ message: (error as Error).message, dependency: isDependencyError(error) }).toEqual({ message: (error as Error).message, dependency: true });
        expect(answerFor(error)).toEqual({ status: 503, error: 'dependency_unavailable' });
      }
    } finally {
      await ds.destroy().catch(() => undefined);
      await proxy.stop();
    }
  });

  it('SQLite: a write while another process holds the write lock (SQLITE_BUSY, "database is locked") is a 503; a constraint violation is not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-dependency-errors-'));
    const file = path.join(dir, 'busy.sqlite');
    const ds = await new DataSource({ type: 'better-sqlite3', database: file, enableWAL: true, timeout: 50 }).initialize();
    try {
      await ds.query('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      await ds.query('INSERT INTO t (id) VALUES (1)');
      const lock = await holdSqliteWriteLock(file);
      const busy = await failure(() => ds.query('INSERT INTO t (id) VALUES (2)'));
      await lock.release();
      const duplicate = await failure(() => ds.query('INSERT INTO t (id) VALUES (1)'));
      expect(isDependencyError(busy)).toBe(true);
      expect(answerFor(busy)).toEqual({ status: 503, error: 'dependency_unavailable' });
      expect(isDependencyError(duplicate)).toBe(false);
      expect(answerFor(duplicate)).toEqual({ status: 500, error: 'internal_error' });
    } finally {
      await ds.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Redis: a command on a closed connection is a 503; a programming error is not', async () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    await redis.ping();
    redis.disconnect();
    const closed = await failure(() => redis.get('anything'));
    expect(isDependencyError(closed)).toBe(true);
    expect(isDependencyError(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
  });
});
