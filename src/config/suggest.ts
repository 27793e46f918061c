/**
 * "did you mean X?" for a mistyped setting name, so a typo in the config file,
 * an environment variable or a flag is told with its likely fix.
 */

/** Levenshtein distance, case-insensitive: how far a typo is from a known name. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(
        Math.min(
          (previous[j] ?? 0) + 1,
          (row[j - 1] ?? 0) + 1,
          (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
        ),
      );
    }
    previous = row;
  }
  return previous[y.length] ?? 0;
}

/** "did you mean X?" for a near miss, else the list of known names. */
export function suggest(name: string, known: readonly string[]): string {
  const [best] = [...known].sort((a, b) => distance(name, a) - distance(name, b));
  return best !== undefined && distance(name, best) <= Math.max(2, Math.floor(best.length / 4))
    ? `did you mean ${best}?`
    : `known: ${known.join(', ')}`;
}
