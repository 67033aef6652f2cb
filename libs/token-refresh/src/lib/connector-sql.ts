import { ConnectorEntity, type SqlDialect, sqlDialect, SqliteStatements, updatedRowCount } from '@flow-oauth/persistence';
import type { DataSource, EntityManager } from 'typeorm';

/** At most this many rows per batched statement. */
const MAX_BATCH = 100;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface UpdateItem extends Waiter<number> {
  id: string;
  tokenVersion: number;
  params: unknown[];
}

interface UpdateBatch {
  keys: string[];
  activeOnly: boolean;
  items: UpdateItem[];
}

/**
 * The refresh's own reads and writes of connector rows, as plain SQL built once per data source
 * from the entity's column map, and batched: the reads and the guarded writes that concurrent
 * refreshes of one process make in the same turn of the event loop go to the database as one
 * statement each (`WHERE id IN (...)`, `UPDATE ... FROM (VALUES ...)`), each refresh still getting
 * its own row and its own guarded outcome (RETURNING id). On PostgreSQL every statement is a round
 * trip to another process, on SQLite a commit: per refresh they were most of the database's cost in
 * bench/refresh, and TypeORM's query builder a fifth of token-refresher's CPU time. A batch that
 * fails fails each of its refreshes as a refused write would (nothing asked of the provider, or its
 * answer kept in the pending store), so the guarantees are those of one statement per refresh.
 * Hand-written: the batching is a few lines around the driver; a DataLoader-style library would not
 * do guarded UPDATEs. Every column of ConnectorEntity is a string, an integer or null on both
 * databases, so rows map to the entity by name alone.
 */
export class ConnectorSql {
  private static readonly byDataSource = new WeakMap<DataSource, ConnectorSql>();
  private readonly dialect: SqlDialect;
  /** property name -> column name */
  private readonly columns: Map<string, string>;
  private readonly integerColumns = new Set<string>();
  private readonly selectList: string;
  private readonly statements = new Map<string, string>();
  private reads = new Map<string, Array<Waiter<ConnectorEntity | undefined>>>();
  private updates = new Map<string, UpdateBatch>();
  private flushQueued = false;
  /** SQLite: the batched statements run without freezing the process on another process's write lock. */
  private sqlite: SqliteStatements | undefined | null = null;

  private constructor(private readonly dataSource: DataSource) {
    this.dialect = sqlDialect(dataSource);
    const columns = dataSource.getMetadata(ConnectorEntity).columns;
    this.columns = new Map(columns.map((c) => [c.propertyName, c.databaseName]));
    for (const c of columns) if (String(c.type) === 'integer') this.integerColumns.add(c.propertyName);
    this.selectList = [...this.columns].map(([property, column]) => `${column} AS "${property}"`).join(', ');
  }

  /** The statements of a data source (built on first use). */
  static of(dataSource: DataSource): ConnectorSql {
    let sql = ConnectorSql.byDataSource.get(dataSource);
    if (!sql) ConnectorSql.byDataSource.set(dataSource, (sql = new ConnectorSql(dataSource)));
    return sql;
  }

  /** One connector by id, or undefined. */
  findById(manager: EntityManager, id: string): Promise<ConnectorEntity | undefined> {
    if (manager !== this.dataSource.manager) return this.readNow(manager, [id]).then((rows) => rows.get(id));
    return new Promise((resolve, reject) => {
      const waiting = this.reads.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.reads.set(id, [{ resolve, reject }]);
      this.queueFlush();
    });
  }

  /**
   * UPDATE connectors SET <values> WHERE id = :id AND token_version = :tokenVersion (AND status =
   * 'active' with `activeOnly`); resolves with the number of rows changed (0 or 1).
   */
  update(manager: EntityManager, values: Partial<ConnectorEntity>, where: { id: string; tokenVersion: number; activeOnly?: boolean }): Promise<number> {
    const keys = Object.keys(values).filter((k) => (values as Record<string, unknown>)[k] !== undefined);
    for (const key of keys) if (!this.columns.has(key)) return Promise.reject(new Error(`connectors has no column for ${key}`));
    const params = keys.map((k) => (values as Record<string, unknown>)[k]);
    const activeOnly = where.activeOnly === true;
    if (manager !== this.dataSource.manager) return this.updateOne(manager, keys, activeOnly, params, where);
    const shape = `${keys.join(',')}|${activeOnly ? 'active' : ''}`;
    return new Promise((resolve, reject) => {
      let batch = this.updates.get(shape);
      if (!batch) this.updates.set(shape, (batch = { keys, activeOnly, items: [] }));
      // One connector twice in one statement would be ambiguous: the second write goes on its own.
      if (batch.items.some((item) => item.id === where.id)) {
        this.updateOne(manager, keys, activeOnly, params, where).then(resolve, reject);
        return;
      }
      batch.items.push({ id: where.id, tokenVersion: where.tokenVersion, params, resolve, reject });
      this.queueFlush();
    });
  }

  /**
   * Claims for this process, until `claim.until`, those of `ids` that are still due at `claim.now`
   * and that no process holds a claim on; resolves with the ids it claimed. A claim ending after
   * `claim.horizon` is not held: no process sets one that far ahead, so it was written by a host
   * whose clock runs ahead of this one, and it is ignored rather than keep the connector from
   * everyone for as long as the clocks differ (the connector lock still keeps the refresh single).
   * One guarded UPDATE: of two processes claiming the same connector, one changes the row and the
   * other's condition no longer holds (PostgreSQL re-checks it on the row the first one wrote). Its rows
   * are locked in id order (PostgreSQL's index scan takes an IN list sorted; the ids are sorted here
   * too, for any plan), as the batched writes' are (flushUpdates), so no two statements deadlock. It also
   * writes `claim.mark` into refresh_started_at where that is empty (never over an earlier
   * attempt's mark): the refresh that finds its claim's own mark there knows no earlier attempt of
   * that token version reached the provider (RefreshOptions.claimMark), and needs no write of its
   * own before calling it.
   */
  async claim(ids: string[], claim: { now: string; until: string; horizon: string; mark: string }): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const d = this.dialect;
    const sql = this.statement(`claim:${ids.length}`, () => {
      let n = 0;
      const p = () => d.param(++n);
      const until = p();
      const started = p();
      const idList = ids.map(() => p()).join(', ');
      return (
        `UPDATE connectors SET refresh_claimed_until = ${until}, refresh_started_at = COALESCE(refresh_started_at, ${started}) WHERE id IN (${idList}) ` +
        `AND (refresh_claimed_until IS NULL OR refresh_claimed_until <= ${p()} OR refresh_claimed_until > ${p()}) AND COALESCE(refresh_retry_at, next_refresh_at) <= ${p()} RETURNING id`
      );
    });
    const result = await this.query(this.dataSource.manager, sql, [claim.until, claim.mark, ...[...ids].sort(), claim.now, claim.horizon, claim.now]);
    return new Set(returnedRows(result).map((row) => row['id'] as string));
  }

  /**
   * Moves a claim's end (this process tries the connector again then, or holds it longer while its
   * refresh runs), or ends it (`toIso` null: another process may take the connector at once); only
   * a claim still held as `fromIso`. Resolves with whether it was.
   */
  async moveClaim(id: string, fromIso: string, toIso: string | null): Promise<boolean> {
    const d = this.dialect;
    const result = await this.query(this.dataSource.manager, `UPDATE connectors SET refresh_claimed_until = ${d.param(1)} WHERE id = ${d.param(2)} AND refresh_claimed_until = ${d.param(3)} RETURNING id`, [toIso, id, fromIso]);
    return returnedRows(result).length === 1;
  }

  /** Everything asked in this turn of the event loop goes out at the end of it. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      const reads = this.reads;
      const updates = this.updates;
      this.reads = new Map();
      this.updates = new Map();
      if (reads.size > 0) void this.flushReads(reads);
      for (const batch of updates.values()) void this.flushUpdates(batch);
    });
  }

  private async flushReads(reads: Map<string, Array<Waiter<ConnectorEntity | undefined>>>): Promise<void> {
    const ids = [...reads.keys()];
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const chunk = ids.slice(i, i + MAX_BATCH);
      try {
        const rows = await this.readNow(this.dataSource.manager, chunk);
        for (const id of chunk) for (const waiter of reads.get(id) ?? []) waiter.resolve(rows.get(id));
      } catch (error) {
        for (const id of chunk) for (const waiter of reads.get(id) ?? []) waiter.reject(error);
      }
    }
  }

  private async readNow(manager: EntityManager, ids: string[]): Promise<Map<string, ConnectorEntity>> {
    const sql = this.statement(`read:${ids.length}`, () => `SELECT ${this.selectList} FROM connectors WHERE id IN (${this.dialect.params(ids.length)})`);
    const rows = (await this.query(manager, sql, ids)) as Array<Record<string, unknown>>;
    return new Map(rows.map((row) => [row['id'] as string, Object.assign(new ConnectorEntity(), row, { tokenVersion: Number(row['tokenVersion']) })]));
  }

  private async flushUpdates(batch: UpdateBatch): Promise<void> {
    // In id order, as the claim's: two statements of two processes then lock shared rows in one order (no deadlock on PostgreSQL).
    batch.items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < batch.items.length; i += MAX_BATCH) {
      const items = batch.items.slice(i, i + MAX_BATCH);
      if (items.length === 1) {
        const [item] = items;
        await this.updateOne(this.dataSource.manager, batch.keys, batch.activeOnly, item.params, item).then(item.resolve, item.reject);
        continue;
      }
      try {
        const changed = await this.updateMany(batch.keys, batch.activeOnly, items);
        for (const item of items) item.resolve(changed.has(item.id) ? 1 : 0);
      } catch (error) {
        for (const item of items) item.reject(error);
      }
    }
  }

  private async updateOne(manager: EntityManager, keys: string[], activeOnly: boolean, params: unknown[], where: { id: string; tokenVersion: number }): Promise<number> {
    const sql = this.statement(`update:${keys.join(',')}|${activeOnly}`, () => {
      const set = keys.map((key, i) => `${this.columns.get(key)} = ${this.dialect.param(i + 1)}`);
      const n = keys.length;
      return `UPDATE connectors SET ${set.join(', ')} WHERE id = ${this.dialect.param(n + 1)} AND token_version = ${this.dialect.param(n + 2)}${activeOnly ? " AND status = 'active'" : ''} RETURNING id`;
    });
    return updatedRowCount(await this.query(manager, sql, [...params, where.id, where.tokenVersion]));
  }

  /** One guarded UPDATE for many rows; resolves with the ids it changed. */
  private async updateMany(keys: string[], activeOnly: boolean, items: UpdateItem[]): Promise<Set<string>> {
    const sql = this.statement(`many:${keys.join(',')}|${activeOnly}|${items.length}`, () => {
      const pg = this.dialect.kind === 'postgres';
      // PostgreSQL types a VALUES list from its first row: say what each column is.
      const cast = (property: string) => (pg ? (this.integerColumns.has(property) ? '::integer' : '::text') : '');
      const width = keys.length + 2;
      let n = 0;
      const rows = items.map(() => {
        const cells = [`${this.dialect.param(++n)}${pg ? '::text' : ''}`, `${this.dialect.param(++n)}${pg ? '::integer' : ''}`];
        for (const key of keys) cells.push(`${this.dialect.param(++n)}${cast(key)}`);
        return `(${cells.join(', ')})`;
      });
      if (n !== width * items.length) throw new Error('batched update: parameter count');
      const names = ['v_id', 'v_version', ...keys.map((_, i) => `v_${i}`)];
      const set = keys.map((key, i) => `${this.columns.get(key)} = v.v_${i}`);
      return (
        `WITH v(${names.join(', ')}) AS (VALUES ${rows.join(', ')}) ` +
        `UPDATE connectors SET ${set.join(', ')} FROM v WHERE connectors.id = v.v_id AND connectors.token_version = v.v_version` +
        `${activeOnly ? " AND connectors.status = 'active'" : ''} RETURNING connectors.id`
      );
    });
    const params: unknown[] = [];
    for (const item of items) params.push(item.id, item.tokenVersion, ...item.params);
    const result = await this.query(this.dataSource.manager, sql, params);
    return new Set(returnedRows(result).map((row) => row['id'] as string));
  }

  /** Runs a statement: the data source's own connection on SQLite without its busy wait; a transaction's manager as it is. */
  private query(manager: EntityManager, sql: string, params: unknown[]): Promise<unknown> {
    // Looked up at the first statement: the data source is initialized by then.
    if (this.sqlite === null) this.sqlite = SqliteStatements.of(this.dataSource);
    return this.sqlite && manager === this.dataSource.manager ? this.sqlite.rows(sql, params) : manager.query(sql, params);
  }

  private statement(key: string, build: () => string): string {
    let sql = this.statements.get(key);
    if (sql === undefined) {
      sql = build();
      // Bounded: one per shape and batch size (at most MAX_BATCH sizes of a few shapes).
      this.statements.set(key, sql);
    }
    return sql;
  }
}

/** The rows an `UPDATE ... RETURNING` returned, as `DataSource.query` answers it (PostgreSQL: `[rows, count]`). */
function returnedRows(result: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(result)) return [];
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Array<Record<string, unknown>>;
  return result as Array<Record<string, unknown>>;
}
