import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A user of the connector API; only a hash of the key is stored. */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name!: string;

  @Index('uq_users_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
