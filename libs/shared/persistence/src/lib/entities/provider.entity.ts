import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A loaded OAuth provider: one app registration (client id/secret) for a connector type. */
@Entity({ name: 'providers' })
@Index('uq_providers_type_name', ['type', 'name'], { unique: true })
export class ProviderEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** JSON of every non-secret parameter (custom definitions of generic types included). */
  @Column({ type: 'text' })
  settings!: string;

  /** SecretBox-sealed JSON of the secret parameters (CLIENT_SECRET / CONSUMER_SECRET). */
  @Column({ type: 'text' })
  secrets!: string;

  /** SHA-256 over the canonical non-secret settings: cheap change detection on re-load. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
