/**
 * Every place a sealed value may live: table -> its sealed columns. Values held in Redis use the
 * pseudo-table `redis`, their purpose as the column and their key as the row. A new kind of sealed
 * value is added here first, so the type checker refuses a place nobody declared.
 */
export const SEALED_COLUMNS = {
  providers: ['secrets'],
  connectors: ['access_token', 'refresh_token'],
  flow_meta: ['value'],
  redis: ['oauth-state', 'pending-tokens'],
} as const;

export type SealedTable = keyof typeof SEALED_COLUMNS;

/**
 * Where a sealed value lives: table, column and the row's key. It is the AEAD additional data, so
 * a ciphertext copied to another row, column or table does not open.
 */
export type SealedPlace = { [T in SealedTable]: { table: T; column: (typeof SEALED_COLUMNS)[T][number]; row: string } }[SealedTable];

/** `table.column.row`, the way errors and logs name a place (never secret: ids and key names only). */
export function describePlace(place: SealedPlace): string {
  return `${place.table}.${place.column}.${place.row}`;
}

/** Refuses a place the union does not allow (callers in plain JS) or one without a row. */
export function checkPlace(place: SealedPlace): void {
  const columns = (SEALED_COLUMNS as Record<string, readonly string[]>)[place?.table];
  if (!columns || !columns.includes(place.column)) throw new TypeError(`not a declared place for sealed values: ${String(place?.table)}.${String(place?.column)}`);
  // A value sealed before its row has a key could never be opened again: refuse it at once.
  if (typeof place.row !== 'string' || place.row === '') throw new TypeError(`a value sealed into ${place.table}.${place.column} needs the key of its row`);
}
