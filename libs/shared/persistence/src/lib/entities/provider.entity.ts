import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * `credentials_rejected`: the provider refused Flow's client credentials at a refresh
 * (invalid_client / unauthorized_client); its connectors' refreshes pause until a load changes it.
 */
export type ProviderState = 'ok' | 'credentials_rejected';

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

  @Column({ type: 'varchar', length: 32, default: 'ok' })
  state!: ProviderState;

  /** ISO 8601 of the refusal that set `credentials_rejected`. */
  @Column({ name: 'rejected_at', type: 'varchar', length: 32, nullable: true })
  rejectedAt!: string | null;

  /** The provider's error code of that refusal (e.g. invalid_client). */
  @Column({ name: 'rejected_error', type: 'varchar', length: 64, nullable: true })
  rejectedError!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
