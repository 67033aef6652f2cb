import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

const queues = new WeakMap<DataSource, Promise<unknown>>();
const current = new AsyncLocalStorage<EntityManager>();

/**
 * Runs `work` in a transaction. On SQLite, TypeORM shares one connection per process, so two
 * transactions that overlap in time would nest and break each other's atomicity: they are queued
 * one after the other here, and each holds the database's write lock from its start (see below).
 * PostgreSQL gives each transaction its own pooled connection.
 */
export function runInTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type === 'postgres') return dataSource.transaction(work);
  // Called from inside a queued transaction: waiting for the queue would wait for ourselves.
  const outer = current.getStore();
  if (outer) return work(outer);
  const previous = queues.get(dataSource) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() =>
    dataSource.transaction(async (manager) => {
      // Take the write lock first (a write that changes nothing): a deferred transaction that read
      // first cannot write once another process committed meanwhile (SQLITE_BUSY_SNAPSHOT in WAL
      // mode, not waited for). Holding it from the start, other writers wait under the busy timeout.
      await manager.query('UPDATE flow_meta SET value = value WHERE 1 = 0');
      return current.run(manager, () => work(manager));
    }),
  );
  queues.set(dataSource, next.catch(() => undefined));
  return next;
}
