/** A parsed JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether the object has the key itself (inherited names such as `constructor` do not count). */
export function hasOwnKey(object: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** What kind of JSON value this is, for a message: `null`, `an array`, `an object`, `a number` ... (never the value). */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A value short enough to quote in a message. */
export function truncateForMessage(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
