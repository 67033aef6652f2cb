/** Edit distance (insert, delete, substitute) between two strings. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `input` (case-insensitive), when it is close enough to be a likely typo.
 * `aliases` maps other likely spellings (a title, a product name) to a candidate.
 */
export function closestMatch(input: string, candidates: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const normalise = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = normalise(input);
  if (wanted === '') return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const consider = (spelling: string, candidate: string): void => {
    const distance = editDistance(wanted, normalise(spelling));
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  };
  for (const candidate of candidates) consider(candidate, candidate);
  for (const [spelling, candidate] of Object.entries(aliases)) consider(spelling, candidate);
  return bestDistance <= Math.max(2, Math.floor(wanted.length / 3)) ? best : undefined;
}
