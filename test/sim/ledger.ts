/**
 * The long run's ledger: one JSON line per finished seed, so a run of many
 * hours can stop and go on later, in another session and on a later commit.
 *
 * A seed counts as passed only for the code it ran on. That code is named by
 * a fingerprint: the git blob ids of every source file the simulation loads
 * (found from its module graph, not from a list kept by hand), of
 * package-lock.json and of the compiler settings. A commit that changes only
 * README, another test or a command the simulation never loads keeps the
 * fingerprint, and the seeds passed before it still count; a commit that
 * changes one line the simulation runs starts the count again. A working tree
 * with uncommitted changes to those files has no fingerprint: what it runs
 * cannot be named, so it records nothing that counts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';

/** One finished seed in a ledger file. */
export interface LedgerLine {
  readonly seed: number;
  readonly days: number;
  readonly people: number;
  readonly events: number;
  readonly passed: boolean;
  readonly cpuMs: number;
  readonly taps: number;
  readonly sessions: number;
  /** The run's fingerprint: a seed with the same hash on another commit ran event for event the same. */
  readonly traceHash: string | null;
  /** The commit the seed ran on (`git rev-parse HEAD`), when known. */
  readonly commit: string;
  /** The code's fingerprint (see above); lines written before it existed get it from their commit. */
  readonly code?: string | null;
  readonly finishedAt: string;
}

/** What the ledger's lines are matched on besides the code. */
export interface LedgerKey {
  readonly days: number;
  readonly maxPeople: number;
  readonly eventsPerDay: number;
}

/** Files outside the module graph that change what the simulation runs. */
const ALWAYS = ['package-lock.json', 'tsconfig.json', 'test/sim/tsconfig.json'];

const git = (cwd: string, args: readonly string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/**
 * The repository's source files (paths relative to `root`, `/`-separated)
 * that `entry`, a module already loaded from the build in `distDir`, loads
 * itself or through the modules it imports, packages in node_modules left out
 * (package-lock.json stands for them).
 */
export function loadedSources(entry: NodeJS.Module, distDir: string, root: string): string[] {
  const seen = new Set<NodeJS.Module>();
  const sources = new Set<string>();
  const visit = (module: NodeJS.Module): void => {
    if (seen.has(module) || module.filename.includes(`${sep}node_modules${sep}`)) return;
    seen.add(module);
    const built = relative(distDir, module.filename);
    if (!built.startsWith('..') && built.endsWith('.js')) {
      const source = `${built.slice(0, -'.js'.length)}.ts`;
      if (existsSync(resolve(root, source))) sources.add(source.split(sep).join('/'));
    }
    for (const child of module.children) visit(child);
  };
  visit(entry);
  return [...sources].sort();
}

/**
 * The fingerprint of `files` at `commit` in the repository at `root`: a hash
 * of their blob ids (a file missing at that commit counts as missing), or null
 * when git cannot tell (no repository, an unknown commit), or when `commit` is
 * HEAD and the working tree has uncommitted changes to one of the files.
 */
export function codeFingerprint(
  root: string,
  commit: string,
  files: readonly string[],
): string | null {
  const paths = [...new Set([...files, ...ALWAYS])].sort();
  try {
    if (commit === 'HEAD' && git(root, ['status', '--porcelain', '--', ...paths]).trim() !== '') {
      return null;
    }
    const blobs = new Map<string, string>();
    for (const line of git(root, ['ls-tree', '-r', '--full-tree', commit, '--', ...paths]).split(
      '\n',
    )) {
      const match = /^\d+ blob ([0-9a-f]+)\t(.+)$/.exec(line);
      if (match !== null) blobs.set(match[2] ?? '', match[1] ?? '');
    }
    const listed = paths.map((path) => `${path} ${blobs.get(path) ?? 'missing'}`).join('\n');
    return createHash('sha256').update(listed).digest('hex').slice(0, 12);
  } catch {
    return null;
  }
}

/** The ledger's lines for these days, people and events, each with its code's fingerprint. */
export function readLedger(
  file: string,
  key: LedgerKey,
  codeOf: (commit: string) => string | null,
): LedgerLine[] {
  if (!existsSync(file)) return [];
  const known = new Map<string, string | null>();
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as LedgerLine;
      } catch {
        throw new Error(`${file} line ${i + 1} is not a ledger line: ${line.slice(0, 80)}`);
      }
    })
    .filter(
      (l) => l.days === key.days && l.people === key.maxPeople && l.events === key.eventsPerDay,
    )
    .map((l) => {
      if (l.code !== undefined) return l;
      if (!known.has(l.commit))
        known.set(l.commit, l.commit === 'unknown' ? null : codeOf(l.commit));
      return { ...l, code: known.get(l.commit) ?? null };
    });
}

/** Each seed's last line at `code`: what that code has shown so far. Lines of other code do not count. */
export function standing(lines: readonly LedgerLine[], code: string | null): LedgerLine[] {
  if (code === null) return [];
  const atCode = lines.filter((l) => l.code === code);
  return [...new Map(atCode.map((line) => [line.seed, line])).values()];
}
