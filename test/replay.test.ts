/**
 * Replay at scale: the work a long tap log puts on the virtual scheduler, the
 * progress shown on a terminal, and results that do not depend on the
 * process's own TZ. The seconds are in `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualTimeScheduler } from 'rxjs';
import { loadConfig, type Config } from '../src/config';
import { terminalProgress } from '../src/replay/progress';
import { replayPeople } from '../src/commands/lastPeople';
import { prepareReplay, replayUntil } from '../src/replay/replayApp';
import type { CardRead } from '../streams/events';
import { CLI, logText, requireBuiltCli, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

function configOf(dir: string): Config {
  const result = loadConfig({
    env: {
      BADGECLOCK_TZ: 'Europe/Berlin',
      BADGECLOCK_READER_NAME: 'import',
      BADGECLOCK_PEOPLE_FILE: join(dir, 'people.csv'),
    },
    cwd: dir,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

/** `count` taps of 40 cards, 20 s apart: each card taps every 800 s, in and out. */
function manyReads(count: number): CardRead[] {
  const start = Date.parse('2026-03-02T07:00:00Z');
  return Array.from({ length: count }, (_, i) => ({
    type: 'cardRead',
    at: start + i * 20_000,
    card: `C${String(i % 40).padStart(7, '0')}`,
    reader: 'import',
  }));
}

describe('replaying a long tap log', () => {
  const dir = useTempDir('replay');

  it('keeps one tap timer pending on the scheduler at a time, however many taps the log has', () => {
    const config = configOf(dir());
    const reads = manyReads(2_000);
    const replay = prepareReplay(
      {
        reads,
        until: replayUntil(reads, config, Date.now()),
        people: replayPeople(config, () => undefined),
      },
      config,
      () => undefined,
    );
    // The replay's own virtual scheduler: the `this` of its first flush (jest records it on call).
    const spy = jest.spyOn(VirtualTimeScheduler.prototype, 'flush');
    let pending = 0;
    let events = 0;
    const subscription = replay.events$.subscribe({
      next: () => {
        events += 1;
        const virtual: unknown = spy.mock.contexts[0];
        if (virtual instanceof VirtualTimeScheduler) {
          pending = Math.max(pending, virtual.actions.length);
        }
      },
      error: (error: unknown) => {
        throw error;
      },
    });
    try {
      replay.flush();
    } finally {
      subscription.unsubscribe();
      spy.mockRestore();
    }
    expect(events).toBeGreaterThan(2_000);
    // The next tap and the next minute tick: nothing grows with the log.
    expect(pending).toBeLessThanOrEqual(2);
  });

  it('runs in slices, yielding to the event loop between them, and reports its progress', async () => {
    const config = configOf(dir());
    const reads = manyReads(5_000);
    const replay = prepareReplay(
      {
        reads,
        until: replayUntil(reads, config, Date.now()),
        people: replayPeople(config, () => undefined),
      },
      config,
      () => undefined,
    );
    const progress: number[] = [];
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    let events = 0;
    const subscription = replay.events$.subscribe({
      next: () => {
        events += 1;
      },
      error: (error: unknown) => {
        throw error;
      },
    });
    try {
      await replay.run({
        update: (done, total) => {
          expect(total).toBe(5_000);
          progress.push(done);
        },
      });
    } finally {
      counting = false;
      subscription.unsubscribe();
    }
    expect(events).toBeGreaterThan(5_000);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(5_000);
    // Other work ran while the replay did: it does not hold the event loop for the whole log.
    expect(turns).toBeGreaterThan(1);
  });
});

describe('replaying with a sheet configured', () => {
  const dir = useTempDir('replay-sheet');

  /** A config with a sheet (never reached here), and the People the clock cached from it. */
  function sheetConfig(cached: unknown): Config {
    writeFileSync(join(dir(), 'people-sheet.json'), JSON.stringify(cached));
    const result = loadConfig({
      env: {
        BADGECLOCK_TZ: 'Europe/Berlin',
        BADGECLOCK_READER_NAME: 'import',
        BADGECLOCK_DATA_DIR: dir(),
        BADGECLOCK_SPREADSHEET_ID: 'sheet-never-reached',
        BADGECLOCK_KEY_FILE: join(dir(), 'key.json'),
        BADGECLOCK_PEOPLE_FILE: join(dir(), 'people.csv'),
      },
      cwd: dir(),
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    return result.config;
  }

  /** The domain events of replaying `reads` to the end. */
  function replayed(config: Config, reads: CardRead[], warn: (message: string) => void) {
    const replay = prepareReplay(
      { reads, until: replayUntil(reads, config, Date.now()), people: replayPeople(config, warn) },
      config,
      warn,
    );
    const events: { type: string; card?: string; name?: string | null }[] = [];
    const subscription = replay.events$.subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => {
        throw error;
      },
    });
    replay.flush();
    subscription.unsubscribe();
    return events.filter((event) => ['clock-in', 'clock-out', 'auto-out'].includes(event.type));
  }

  const tap = (iso: string, card: string): CardRead => ({
    type: 'cardRead',
    at: Date.parse(iso),
    card,
    reader: 'import',
  });

  it("folds with the sheet's People as the clock cached them: an alias clocks its person out, not into a second session", () => {
    const config = sheetConfig([
      { card: 'A11CE000', name: 'Alice', active: true, aliases: ['A11CE0B2'] },
    ]);
    // The people file, which a site with a sheet does not keep, is not there.
    const warnings: string[] = [];
    const events = replayed(
      config,
      [tap('2026-03-23T08:00:00+01:00', 'A11CE000'), tap('2026-03-23T16:00:00+01:00', 'A11CE0B2')],
      (message) => warnings.push(message),
    );
    expect(events.map((event) => [event.type, event.name])).toEqual([
      ['clock-in', 'Alice'],
      ['clock-out', 'Alice'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('says so when the clock has cached no People from the sheet yet, and uses the people file', () => {
    const config = sheetConfig([]);
    rmSync(join(dir(), 'people-sheet.json'));
    writeFileSync(join(dir(), 'people.csv'), 'card,name\nA11CE000,Alice\n');
    const warnings: string[] = [];
    const events = replayed(config, [tap('2026-03-23T08:00:00+01:00', 'A11CE000')], (message) =>
      warnings.push(message),
    );
    expect(events.map((event) => [event.type, event.name])).toEqual([
      ['clock-in', 'Alice'],
      ['auto-out', 'Alice'],
    ]);
    expect(warnings).toEqual([
      `no People cached from the sheet in ${dir()} yet (the clock has not read it there): the people file ${join(dir(), 'people.csv')} stands in, and the sheet's aliases and names are not known to this replay`,
    ]);
  });

  it('says so of a damaged People cache, and counts each card as a person', () => {
    const config = sheetConfig({ not: 'a list' });
    const warnings: string[] = [];
    replayed(config, [tap('2026-03-23T08:00:00+01:00', 'A11CE000')], (message) =>
      warnings.push(message),
    );
    expect(warnings).toEqual([
      `ignoring the People cache ${join(dir(), 'people-sheet.json')}: it is not a list; each card counts as a person`,
    ]);
  });
});

describe('the progress line', () => {
  /** A stream that records what is written to it. */
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return {
      written,
      isTTY,
      write: (text: string): boolean => {
        written.push(text);
        return true;
      },
    };
  };

  it('shows nothing when the stream is not a terminal', () => {
    const out = stream(false);
    const progress = terminalProgress(out);
    progress.update(10, 100);
    progress.clear();
    progress.end();
    expect(out.written).toEqual([]);
  });

  it('redraws one line in place at most every 100 ms, clears it for output, and ends with the total', () => {
    const out = stream(true);
    let now = 0;
    const progress = terminalProgress(out, () => now);
    progress.update(2_000, 100_000);
    now = 50;
    progress.update(4_000, 100_000); // too soon: not drawn
    progress.clear();
    now = 150;
    progress.update(6_000, 100_000);
    progress.update(100_000, 100_000);
    progress.end();
    expect(out.written).toEqual([
      '\r\x1b[K2,000 of 100,000 taps replayed (2 %)',
      '\r\x1b[K',
      '\r\x1b[K6,000 of 100,000 taps replayed (6 %)',
      '\r\x1b[K100,000 of 100,000 taps replayed (100 %)',
      '\n',
    ]);
  });
});

describe('badgeclock replay, whatever the process’s TZ', () => {
  const dir = useTempDir('replay-tz');
  const LOG = [
    'timestamp,card',
    // 02:30 happens twice in Berlin that night; 02:30 on 29 March never happens.
    '2026-10-25T02:30:00,B0B0B0B0',
    '2026-10-25T07:00:00,B0B0B0B0',
    '2026-03-29T02:30:00,A1A1A1A1',
    '2026-03-29T09:00:00,A1A1A1A1',
  ].join('\n');

  const replay = (tz: string) => {
    writeFileSync(join(dir(), 'taps.csv'), LOG);
    writeFileSync(join(dir(), 'people.csv'), 'card,name\nB0B0B0B0,Bob\nA1A1A1A1,Ann\n');
    return runCli(
      ['replay', 'taps.csv', '--json', '--tz', 'Europe/Berlin', '--people-file', 'people.csv'],
      { cwd: dir(), env: { TZ: tz, BADGECLOCK_TIME_SYNC: 'off' } },
    );
  };

  beforeAll(requireBuiltCli);

  it('gives the same sessions under TZ=UTC, Europe/Berlin and America/Los_Angeles, and names the lines it had to interpret', async () => {
    const results = await Promise.all(['UTC', 'Europe/Berlin', 'America/Los_Angeles'].map(replay));
    for (const result of results) expect(result.code).toBe(0);
    const [utc, ...others] = results.map((r) => r.stdout);
    for (const other of others) expect(other).toBe(utc);
    const sessions = (utc ?? '')
      .split('\n')
      .filter((line) => line.includes('"clock-in"'))
      .map((line) => (JSON.parse(line) as { session: string }).session);
    expect(sessions).toEqual(['20260329T013000.000Z-A1A1A1A1', '20261025T003000.000Z-B0B0B0B0']);
    const log = logText(results[0]?.stderr ?? '');
    expect(log).toContain('taps.csv:2: 2026-10-25T02:30:00 happens twice in Europe/Berlin');
    expect(log).toContain('taps.csv:4: 2026-03-29T02:30:00 does not exist in Europe/Berlin');
  });
});

describe('badgeclock replay on a terminal', () => {
  const dir = useTempDir('replay-tty');
  beforeAll(requireBuiltCli);

  const taps = (): string => {
    const lines = manyReads(3_000).map((r) => `${new Date(r.at).toISOString()},${r.card}`);
    writeFileSync(join(dir(), 'taps.csv'), lines.join('\n'));
    writeFileSync(join(dir(), 'people.csv'), 'card,name\n');
    return 'taps.csv';
  };

  it('shows its progress on stderr only when stderr is a terminal', async () => {
    const file = taps();
    const args = ['replay', file, '--tz', 'UTC', '--people-file', 'people.csv'];
    const piped = await runCli(args, { cwd: dir(), env: { BADGECLOCK_TIME_SYNC: 'off' } });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain('taps replayed');
    // `script` runs the CLI on a pseudo-terminal and copies what it shows to its stdout.
    const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: dir(),
      env: { PATH: process.env.PATH, TZ: 'UTC', BADGECLOCK_TIME_SYNC: 'off' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toContain('3,000 of 3,000 taps replayed');
  });
});
