import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeFingerprint, readLedger, standing, type LedgerLine } from './sim/ledger';

/** A git repository in a temporary folder with a clock file, a README and a lock file. */
function repository(): { root: string; commit: (message: string) => string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'badgeclock-ledger-'));
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('config', 'user.email', 'sim@example.invalid');
  git('config', 'user.name', 'sim');
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'app.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'README.md'), 'readme\n');
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  return {
    root,
    commit: (message) => {
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', '--short', 'HEAD');
    },
    done: () => {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const line = (seed: number, commit: string, passed = true): LedgerLine => ({
  seed,
  days: 120,
  people: 300,
  events: 2,
  passed,
  cpuMs: 1000,
  taps: 10,
  sessions: 5,
  traceHash: 'h',
  commit,
  finishedAt: '2026-12-02T00:00:00.000Z',
});

describe('the long run ledger: a seed counts only for the code it ran on', () => {
  it('keeps the fingerprint across a commit that changes only files the simulation does not run', () => {
    const repo = repository();
    try {
      const first = repo.commit('first');
      const files = ['src/app.ts'];
      const code = codeFingerprint(repo.root, first, files);
      expect(code).toMatch(/^[0-9a-f]{12}$/);
      writeFileSync(join(repo.root, 'README.md'), 'readme, edited\n');
      const docs = repo.commit('docs');
      expect(codeFingerprint(repo.root, docs, files)).toBe(code);
      expect(codeFingerprint(repo.root, 'HEAD', files)).toBe(code);

      writeFileSync(join(repo.root, 'src', 'app.ts'), 'export const a = 2;\n');
      // Uncommitted changes to the code cannot be named: nothing they run counts.
      expect(codeFingerprint(repo.root, 'HEAD', files)).toBeNull();
      const fix = repo.commit('fix');
      expect(codeFingerprint(repo.root, fix, files)).not.toBe(code);

      writeFileSync(join(repo.root, 'package-lock.json'), '{"lockfileVersion":3}\n');
      const bump = repo.commit('dependencies');
      expect(codeFingerprint(repo.root, bump, files)).not.toBe(
        codeFingerprint(repo.root, fix, files),
      );
      // A file the simulation starts to load is missing at an older commit: another code.
      expect(codeFingerprint(repo.root, first, ['src/app.ts', 'src/new.ts'])).not.toBe(code);
      expect(codeFingerprint(repo.root, 'no-such-commit', files)).toBeNull();
    } finally {
      repo.done();
    }
  });

  it('counts the passed seeds of the same code, their last line each, and no line of other code', () => {
    const repo = repository();
    try {
      const old = repo.commit('old');
      writeFileSync(join(repo.root, 'src', 'app.ts'), 'export const a = 3;\n');
      const now = repo.commit('now');
      writeFileSync(join(repo.root, 'README.md'), 'later docs\n');
      const docs = repo.commit('docs');
      const file = join(repo.root, 'ledger.jsonl');
      const lines = [
        line(1, old),
        line(2, now, false),
        line(2, docs),
        line(3, docs, false),
        { ...line(4, now), days: 30 },
        line(5, 'unknown'),
      ];
      writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const codeOf = (commit: string): string | null =>
        codeFingerprint(repo.root, commit, ['src/app.ts']);
      const read = readLedger(file, { days: 120, maxPeople: 300, eventsPerDay: 2 }, codeOf);
      expect(read.map((l) => l.seed)).toEqual([1, 2, 2, 3, 5]);
      const counted = standing(read, codeOf(docs));
      expect(counted.map((l) => [l.seed, l.passed])).toEqual([
        [2, true],
        [3, false],
      ]);
      expect(standing(read, null)).toEqual([]);
      // A line that names its code is taken at its word.
      const named = { ...line(6, old), code: codeOf(docs) };
      writeFileSync(file, `${JSON.stringify(named)}\n`);
      expect(
        standing(
          readLedger(file, { days: 120, maxPeople: 300, eventsPerDay: 2 }, codeOf),
          codeOf(docs),
        ),
      ).toHaveLength(1);
    } finally {
      repo.done();
    }
  });

  it('names a line that is not JSON with its file and line number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badgeclock-ledger-'));
    try {
      const file = join(dir, 'ledger.jsonl');
      writeFileSync(file, `${JSON.stringify(line(1, 'x'))}\n{"seed": 2,\n`);
      expect(() =>
        readLedger(file, { days: 120, maxPeople: 300, eventsPerDay: 2 }, () => null),
      ).toThrow(/ledger\.jsonl line 2 is not a ledger line/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
