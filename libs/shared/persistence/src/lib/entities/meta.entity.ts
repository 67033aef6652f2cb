import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Small key/value facts about the database itself (which encryption key sealed its secrets). */
@Entity({ name: 'flow_meta' })
export class MetaEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key!: string;

  @Column({ type: 'text' })
  value!: string;
}
