import { ConnectorEntity, type SqlDialect, sqlDialect, updatedRowCount } from '@flow-oauth/persistence';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * The refresh's own reads and writes of one connector row, as plain SQL built once per data source
 * from the entity's column map. TypeORM's query builder took about a fifth of token-refresher's CPU
 * time per refresh in bench/refresh (building the same three statements again for every refresh);
 * these statements are the same ones, built once. Every column of ConnectorEntity is a string, an
 * integer or null on both databases, so rows map to the entity by name alone.
 */
export class ConnectorSql {
  private static readonly byDataSource = new WeakMap<DataSource, ConnectorSql>();
  private readonly dialect: SqlDialect;
  /** property name -> column name */
  private readonly columns: Map<string, string>;
  private readonly selectById: string;
  private readonly updates = new Map<string, string>();

  private constructor(dataSource: DataSource) {
    this.dialect = sqlDialect(dataSource);
    this.columns = new Map(dataSource.getMetadata(ConnectorEntity).columns.map((c) => [c.propertyName, c.databaseName]));
    const list = [...this.columns].map(([property, column]) => `${column} AS "${property}"`).join(', ');
    this.selectById = `SELECT ${list} FROM connectors WHERE id = ${this.dialect.param(1)}`;
  }

  /** The statements of a data source (built on first use). */
  static of(dataSource: DataSource): ConnectorSql {
    let sql = ConnectorSql.byDataSource.get(dataSource);
    if (!sql) ConnectorSql.byDataSource.set(dataSource, (sql = new ConnectorSql(dataSource)));
    return sql;
  }

  /** One connector by id, or undefined. */
  async findById(manager: EntityManager, id: string): Promise<ConnectorEntity | undefined> {
    const [row] = (await manager.query(this.selectById, [id])) as Array<Record<string, unknown>>;
    return row ? Object.assign(new ConnectorEntity(), row, { tokenVersion: Number(row['tokenVersion']) }) : undefined;
  }

  /**
   * UPDATE connectors SET <values> WHERE id = :id AND token_version = :tokenVersion (AND status =
   * 'active' with `activeOnly`); resolves with the number of rows changed (0 or 1).
   */
  async update(manager: EntityManager, values: Partial<ConnectorEntity>, where: { id: string; tokenVersion: number; activeOnly?: boolean }): Promise<number> {
    const keys = Object.keys(values).filter((k) => (values as Record<string, unknown>)[k] !== undefined);
    const shape = `${keys.join(',')}|${where.activeOnly ? 'a' : ''}`;
    let sql = this.updates.get(shape);
    if (!sql) {
      const set = keys.map((key, i) => {
        const column = this.columns.get(key);
        if (!column) throw new Error(`connectors has no column for ${key}`);
        return `${column} = ${this.dialect.param(i + 1)}`;
      });
      const n = keys.length;
      sql = `UPDATE connectors SET ${set.join(', ')} WHERE id = ${this.dialect.param(n + 1)} AND token_version = ${this.dialect.param(n + 2)}${where.activeOnly ? " AND status = 'active'" : ''} RETURNING id`;
      this.updates.set(shape, sql);
    }
    const params = keys.map((k) => (values as Record<string, unknown>)[k]);
    return updatedRowCount(await manager.query(sql, [...params, where.id, where.tokenVersion]));
  }
}
