/**
 * A stable offset in [0, spreadMs) derived from an id (its first 8 hex digits; other ids by their
 * characters), so work scheduled per connector (its first health check) spreads evenly over an
 * interval instead of landing all at once, and the same id always lands at the same place.
 */
export function spreadOf(id: string, spreadMs: number): number {
  const hex = id.replace(/[^0-9a-f]/gi, '').slice(0, 8);
  const n = hex.length === 8 ? Number.parseInt(hex, 16) : [...id].reduce((sum, ch) => (sum * 31 + ch.charCodeAt(0)) >>> 0, 7);
  return Math.floor((n / 0x1_0000_0000) * Math.max(0, spreadMs));
}
