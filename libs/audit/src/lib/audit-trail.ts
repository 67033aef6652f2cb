import { Injectable } from '@nestjs/common';
import { AuditEntryEntity, nowIso } from '@flow-oauth/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditActor } from './audit-actor';
import type { AuditFilter } from './audit-filter';

/** What an audit entry says; `detail` is a secret-free object. */
export interface AuditEntryInput {
  type: string;
  actor: AuditActor;
  subject: string;
  outcome: AuditOutcome;
  detail?: Record<string, unknown>;
  /** Defaults to now. */
  at?: string;
}

/** `ok` done; `dry_run` shown, not written; `refused` a conflict refused it; `invalid` bad input refused it. */
export type AuditOutcome = 'ok' | 'dry_run' | 'refused' | 'invalid';

/** An audit entry as `GET /api/audit` shows it. */
export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  type: string;
  subject: string;
  outcome: string;
  detail: Record<string, unknown>;
}

/**
 * A key that names a secret or a token: an entry holding one is a bug, refused before it is written
 * (entries are built from names, labels, counts and reasons only; this is the last line of defence).
 */
const SECRET_KEY = /secret|password|passwd|^(access_?token|refresh_?token|id_?token|oauth_token|token|api_?key|key|code)$/i;

/** Throws when a detail object names a secret anywhere in it. */
export function assertSecretFree(detail: unknown, path = 'detail'): void {
  if (Array.isArray(detail)) detail.forEach((item, i) => assertSecretFree(item, `${path}[${i}]`));
  else if (detail !== null && typeof detail === 'object') {
    for (const [key, value] of Object.entries(detail)) {
      if (SECRET_KEY.test(key)) throw new Error(`an audit entry must not hold ${path}.${key}`);
      assertSecretFree(value, `${path}.${key}`);
    }
  }
}

/**
 * The append-only audit trail: who did what, to what, with what outcome. Written in the caller's
 * transaction when it has one (the entry commits or rolls back with the change); read with filters;
 * pruned after FLOW_AUDIT_RETENTION_DAYS. Nothing updates an entry (the database refuses it).
 */
@Injectable()
export class AuditTrail {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends entries, in the given transaction's manager or on their own. */
  async append(entries: AuditEntryInput[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    if (entries.length === 0) return;
    const at = nowIso();
    const rows = entries.map((entry) => {
      const detail = entry.detail ?? {};
      assertSecretFree(detail);
      return { at: entry.at ?? at, actor: entry.actor, type: entry.type, subject: entry.subject.slice(0, 200), outcome: entry.outcome, detail: JSON.stringify(detail) };
    });
    await manager.insert(AuditEntryEntity, rows);
  }

  /** Entries matching the filter, oldest first. */
  async query(filter: AuditFilter): Promise<AuditEntryView[]> {
    const q = this.dataSource.getRepository(AuditEntryEntity).createQueryBuilder('e');
    if (filter.since !== undefined) q.andWhere('e.at >= :since', { since: filter.since });
    if (filter.until !== undefined) q.andWhere('e.at < :until', { until: filter.until });
    if (filter.type !== undefined) {
      if (filter.type.endsWith('.*')) q.andWhere('e.type LIKE :family', { family: `${filter.type.slice(0, -1)}%` });
      else q.andWhere('e.type = :type', { type: filter.type });
    }
    if (filter.actor !== undefined) q.andWhere('e.actor = :actor', { actor: filter.actor });
    if (filter.subject !== undefined) q.andWhere('e.subject = :subject', { subject: filter.subject });
    if (filter.after !== undefined) q.andWhere('e.id > :after', { after: filter.after });
    const rows = await q.orderBy('e.id', 'ASC').limit(filter.limit).getMany();
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at,
      actor: row.actor,
      type: row.type,
      subject: row.subject,
      outcome: row.outcome,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    }));
  }

  /** Deletes entries older than `before` (retention); returns how many. */
  async prune(before: Date): Promise<number> {
    const result = await this.dataSource.createQueryBuilder().delete().from(AuditEntryEntity).where('at < :before', { before: before.toISOString() }).execute();
    return result.affected ?? 0;
  }
}
