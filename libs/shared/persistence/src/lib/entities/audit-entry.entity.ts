import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One line of the audit trail: who did what, to what, with what outcome. Append-only (a database
 * trigger refuses updates); only the retention prune deletes. Never holds a secret or a token.
 */
@Entity({ name: 'audit_entries' })
export class AuditEntryEntity {
  /** Increasing: the order entries were written in. */
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** ISO 8601. */
  @Index('ix_audit_entries_at')
  @Column({ type: 'varchar', length: 32 })
  at!: string;

  /** `admin`, `service`, `system` or `user:<name>`. */
  @Index('ix_audit_entries_actor')
  @Column({ type: 'varchar', length: 80 })
  actor!: string;

  /** What happened: `configuration.load`, `connector.created`, `user.key_issued` ... */
  @Index('ix_audit_entries_type')
  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** What it happened to: `connector:<id>`, `provider:<type>/<name>`, `user:<name>`, `configuration`, `encryption_key`. */
  @Column({ type: 'varchar', length: 200 })
  subject!: string;

  /** `ok`, `dry_run`, `refused`, `invalid`. */
  @Column({ type: 'varchar', length: 20 })
  outcome!: string;

  /** JSON object of secret-free details (a load's plan, a connector's label, a reason). */
  @Column({ type: 'text' })
  detail!: string;
}
