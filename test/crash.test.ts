/**
 * Crash test: the real clock (built CLI) on a real SQLite file, killed with
 * SIGKILL hundreds of times at random points — while taps arrive, inside a
 * commit's transaction, between a commit and its feedback — and restarted on
 * the same data. Every tap whose feedback was shown must be in the store,
 * nothing may be duplicated, and the database must pass integrity_check.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

const CLI = resolve(__dirname, '../dist/src/cli.js');
const PRELOAD = resolve(__dirname, 'support/crashPoints.cjs');
const CARDS = Array.from({ length: 12 }, (_, i) => `C0DE${String(i).padStart(4, '0')}`);

interface Shown {
  type: string;
  at: string;
  card: string;
  session?: string;
}

type Mode = 'external' | 'commit' | 'feedback';

/** One life of the clock: start, feed taps, die. Returns the feedback it showed. */
function life(dataDir: string, mode: Mode, rng: () => number): Promise<Shown[]> {
  return new Promise((resolveLife, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', PRELOAD, CLI, 'run', '--json', '--data-dir', dataDir, '--tz', 'UTC'],
      {
        env: {
          PATH: process.env.PATH,
          // Every line is a tap that toggles: no debounce, no guard.
          BADGECLOCK_DEBOUNCE_SECONDS: '0',
          BADGECLOCK_GUARD_SECONDS: '0',
          BADGECLOCK_READER_NAME: 'crash',
          CRASH_MODE: mode === 'external' ? '' : mode,
          // Per statement (commit mode: a tap's commit has several) or per feedback line.
          CRASH_PROBABILITY: mode === 'commit' ? '0.04' : '0.1',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const shown: Shown[] = [];
    let buffer = '';
    let started = false;
    let answered = 0;
    // An external kill comes a few random milliseconds in, or a few after the k-th answer:
    // the second kind lands in the middle of the life however slow the machine is (a loaded
    // machine answered nothing in most of the first kind's lives), so the test always has
    // enough shown to mean something.
    let killAfterAnswers = 0;
    const killDelay = Math.floor(rng() * 120);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      // Only complete lines count as shown: a half-written line was not seen by anyone.
      for (const line of lines) {
        const event = JSON.parse(line) as Shown;
        shown.push(event);
        if (event.type !== 'clock-in' && event.type !== 'clock-out') continue;
        answered += 1;
        if (answered === killAfterAnswers) setTimeout(() => child.kill('SIGKILL'), killDelay % 10);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (!started && chunk.includes('badgeclock ')) {
        started = true;
        // Distinct cards in one life: two taps of one card in the same millisecond would be two
        // real taps with the same (at, card), indistinguishable from a tap stored twice.
        const taps = 1 + Math.floor(rng() * 8);
        const deck = [...CARDS];
        for (let i = 0; i < taps; i++) {
          const [card = ''] = deck.splice(Math.floor(rng() * deck.length), 1);
          child.stdin.write(`${card}\n`);
        }
        // External kill: during the taps, their commits or their feedback.
        if (rng() < 0.5) setTimeout(() => child.kill('SIGKILL'), killDelay);
        else killAfterAnswers = 1 + Math.floor(rng() * taps);
      }
    });
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      resolveLife(shown);
    });
  });
}

/** Deterministic randomness for the test's own choices (the kill points stay random). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('crash safety', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('no accepted tap is lost or duplicated across hundreds of kill -9 at random points', async () => {
    const LIVES_PER_WORKER = 60;
    const modes: Mode[] = ['external', 'commit', 'feedback'];
    const workers = modes.map(async (mode, w) => {
      const dataDir = mkdtempSync(join(tmpdir(), `badgeclock-crash-${mode}-`));
      dirs.push(dataDir);
      const rng = seeded(1234 + w);
      const shown: Shown[] = [];
      for (let i = 0; i < LIVES_PER_WORKER; i++) shown.push(...(await life(dataDir, mode, rng)));
      return { mode, dataDir, shown };
    });
    const results = await Promise.all(workers);

    if (process.env.CRASH_DEBUG !== undefined) {
      console.log(results.map((r) => `${r.mode}: ${r.shown.length} shown`).join('; '));
    }
    for (const { mode, dataDir, shown } of results) {
      const db = new Database(join(dataDir, 'badgeclock.db'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const sessions = db
          .prepare('SELECT id, card, in_at, out_at, status FROM sessions')
          .all() as {
          id: string;
          card: string;
          in_at: number;
          out_at: number | null;
          status: string;
        }[];
        const byId = new Map(sessions.map((s) => [s.id, s]));

        // Every clock-in and clock-out whose feedback was shown is in the store, exactly as shown.
        const ins = shown.filter((e) => e.type === 'clock-in');
        const outs = shown.filter((e) => e.type === 'clock-out');
        // Enough shown to make the test mean something.
        expect(ins.length + outs.length).toBeGreaterThanOrEqual(10);
        for (const event of ins) {
          expect({
            mode,
            session: event.session,
            in: byId.get(event.session ?? '')?.in_at,
          }).toEqual({
            mode,
            session: event.session,
            in: Date.parse(event.at),
          });
        }
        for (const event of outs) {
          expect({
            mode,
            session: event.session,
            out: byId.get(event.session ?? '')?.out_at,
          }).toEqual({
            mode,
            session: event.session,
            out: Date.parse(event.at),
          });
        }
        // Every shown tap is stored once, and no tap is stored twice.
        const tapKeys = (
          db.prepare('SELECT at, card FROM taps').all() as { at: number; card: string }[]
        ).map((t) => `${t.at}|${t.card}`);
        expect(new Set(tapKeys).size).toBe(tapKeys.length);
        const stored = new Set(tapKeys);
        for (const event of shown.filter((e) => e.type === 'tap')) {
          expect(stored.has(`${Date.parse(event.at)}|${event.card}`)).toBe(true);
        }
        // No card is clocked in twice at once; each session has its outbox entries (same transaction).
        const doubleOpen = db
          .prepare(
            "SELECT card FROM sessions WHERE status = 'in' GROUP BY card HAVING count(*) > 1",
          )
          .all();
        expect(doubleOpen).toEqual([]);
        const missingOpen = db
          .prepare(
            "SELECT id FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'open:' || s.id)",
          )
          .all();
        const missingClose = db
          .prepare(
            "SELECT id FROM sessions s WHERE s.status <> 'in' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'close:' || s.id)",
          )
          .all();
        expect({ missingOpen, missingClose }).toEqual({ missingOpen: [], missingClose: [] });
        // Sessions of one card never overlap: each clock-in follows the previous clock-out.
        const perCard = new Map<string, typeof sessions>();
        for (const s of sessions) perCard.set(s.card, [...(perCard.get(s.card) ?? []), s]);
        for (const list of perCard.values()) {
          list.sort((a, b) => a.in_at - b.in_at);
          for (let i = 1; i < list.length; i++) {
            expect(list[i - 1]?.out_at ?? Infinity).toBeLessThanOrEqual(list[i]?.in_at ?? 0);
          }
        }
      } finally {
        db.close();
      }
    }
  }, 120_000);
});
