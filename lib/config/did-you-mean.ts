/** Levenshtein distance between two words. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** The candidate closest to `word` (case-insensitive), when it is close enough to be a typo of it. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const scored = candidates.map((c) => ({ c, d: distance(c.toLowerCase(), word.toLowerCase()) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  const prefix = candidates.find((c) => c.toLowerCase().startsWith(word.toLowerCase()) && word.length >= 3);
  if (prefix) return prefix;
  return best && best.d <= Math.max(2, Math.floor(word.length / 4)) ? best.c : undefined;
}
