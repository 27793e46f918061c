/** A bounded list of problems for a message: a broken file of 100,000 lines must not print 100,000. */

/** How many problems a message lists before it counts the rest. */
export const LISTED_PROBLEMS = 20;

/**
 * The problems as indented `  - ` lines: the first `max`, then how many more and
 * the last of them (where reading stopped, when it did).
 */
export function listProblems(problems: readonly string[], max = LISTED_PROBLEMS): string {
  const lines = problems.slice(0, max).map((p) => `  - ${p}`);
  const more = problems.length - max;
  if (more > 0) {
    lines.push(`  … and ${more} more; the last: ${problems[problems.length - 1] ?? ''}`);
  }
  return lines.join('\n');
}
