/**
 * Soak of the whole pipeline in virtual time: 30 simulated days of 200 people
 * through `clockApp` — the keyboard reader (a PassThrough as stdin), the one
 * reducer, the real SQLite store, the real sheet driver and Google client
 * talking HTTP to the test Sheets server on 127.0.0.1 — checking that the
 * sheet ends up equal to the store and that nothing the clock holds grows.
 *
 * The clock's time (minute ticks, debounce, guard, auto clock-outs, backoff)
 * is a VirtualTimeScheduler shifted to real dates, as replay does. HTTP is not
 * virtual: time is advanced from read to read, the loop is given turns of the
 * event loop, and at every midnight the test waits (bounded) until the outbox
 * is empty and neither the driver nor the server has a request in flight.
 * The server runs in a worker thread so that its data (the growing Log tab)
 * is not in the heap being measured; the store lives on /dev/shm where there
 * is one, so that a fsync per commit measures the clock rather than the disk.
 * `SOAK_FIGURES=1` writes the per-day figures (heap, handles, requests, real
 * time) to stderr as one JSON line.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { VirtualTimeScheduler, type Subscription } from 'rxjs';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { toSerial } from '../streams/zoned';
import { clockApp } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { makeSheetsClient, type SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { makeSheetsDriver } from '../src/drivers/sheets/sheetsDriver';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import { makeLog } from '../src/log';
import { SheetsServerThread, type ServerStats } from './support/sheetsServerThread';
import { until } from './support/until';

jest.setTimeout(120_000);

const SHEET = 'badgeclockSoakSheet01';
const ZONE = 'Europe/Berlin';
const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
// The loop (commits, outbox, sheet requests) gets a turn of the event loop every few reads:
// each turn lets the sheet make progress, so this sets how many requests a simulated day
// makes (~170 here, every batch and ~90 live updates) and so the test's run time.
const READS_PER_TURN = 4;
const DAYS = 30;
// Monday 2 March 2026, 00:00 UTC; Berlin changes to summer time on day 27 (29 March).
const START = Date.parse('2026-03-02T00:00:00Z');
const PEOPLE = Array.from({ length: 200 }, (_, i) => ({
  card: `5A${String(i).padStart(6, '0')}`,
  name: `Person ${i}`,
}));

interface Read {
  readonly at: number;
  readonly card: string;
}

interface DayPlan {
  readonly reads: Read[];
  readonly sessions: number;
  readonly forgotten: number;
  readonly doubleTaps: number;
  readonly held: number;
}

/**
 * One day: everyone comes in between 06:00 and 08:00 UTC (07:00-09:00 in
 * Berlin in winter) and leaves 8-9 h later; one in ten forgets (auto clock-out
 * at the 12 h limit); one in five holds the card on the reader (a second read
 * 1.5 s later: one tap); some tap twice by accident 20-40 s after coming in or
 * going out (ignored by the 60 s guard).
 */
function dayPlan(day: number): DayPlan {
  const dayStart = START + day * DAY;
  const reads: Read[] = [];
  let forgotten = 0;
  let doubleTaps = 0;
  let held = 0;
  PEOPLE.forEach(({ card }, i) => {
    const inAt =
      dayStart + 6 * HOUR + ((i * 37 + day * 11) % 120) * MINUTE + ((i * 7) % 60) * SECOND;
    reads.push({ at: inAt, card });
    if ((i + day) % 5 === 0) {
      reads.push({ at: inAt + 1_500, card });
      held += 1;
    }
    if ((i + 2 * day) % 8 === 0) {
      reads.push({ at: inAt + 20 * SECOND, card });
      doubleTaps += 1;
    }
    if ((i + day) % 10 === 3) {
      forgotten += 1;
      return;
    }
    const outAt = inAt + 8 * HOUR + ((i * 13 + day * 7) % 60) * MINUTE + ((i * 11) % 60) * SECOND;
    reads.push({ at: outAt, card });
    if ((i + day) % 9 === 0) {
      reads.push({ at: outAt + 40 * SECOND, card });
      doubleTaps += 1;
    }
  });
  reads.sort((a, b) => a.at - b.at);
  return { reads, sessions: PEOPLE.length, forgotten, doubleTaps, held };
}

/** A full garbage collection, without having to start jest with --expose-gc. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The event loop's handles and requests by type, e.g. { TCPSocketWrap: 2, Timeout: 1 }. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

interface DayEnd {
  readonly day: number;
  /** Heap used after a full GC, in the test's thread (the clock; not the server). */
  readonly heapUsed: number;
  readonly handles: Record<string, number>;
  readonly depth: number;
  readonly server: ServerStats;
  /** Real milliseconds the day took, and the part spent waiting for the sheet at midnight. */
  readonly ms: number;
  readonly settleMs: number;
}

describe('a month of use, sheet included', () => {
  let dir: string;
  let server: SheetsServerThread;
  beforeAll(async () => {
    // SQLite fsyncs every commit (synchronous = FULL): on a RAM file system where there is one,
    // so the soak measures the clock rather than the disk.
    const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
    try {
      dir = mkdtempSync(join(base, 'badgeclock-soak-sheets-'));
    } catch {
      dir = mkdtempSync(join(tmpdir(), 'badgeclock-soak-sheets-'));
    }
    server = await SheetsServerThread.start();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('30 days of 200 people leave the sheet equal to the store, and the clock holding no more memory or handles than in the first week', async () => {
    const account = await server.serviceAccount(dir);
    await server.createSpreadsheet(SHEET, [account.email]);
    const loaded = loadConfig({
      env: {
        BADGECLOCK_TZ: ZONE,
        BADGECLOCK_READER_NAME: 'door',
        BADGECLOCK_DATA_DIR: join(dir, 'data'),
        BADGECLOCK_SPREADSHEET_ID: SHEET,
        BADGECLOCK_KEY_FILE: account.file,
        BADGECLOCK_SHEETS_ROOT_URL: server.rootUrl,
        BADGECLOCK_TIME_SYNC: 'off',
      },
      cwd: dir,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    const config: Config = loaded.config;
    const spreadsheetId = config.spreadsheetId ?? SHEET;
    const keyFile = account.file;
    const warnings: string[] = [];
    const clientFor = (): SheetsClient =>
      makeSheetsClient({
        spreadsheetId,
        keyFile,
        rootUrl: config.sheetsRootUrl,
        timeoutMs: config.sheetsTimeoutSeconds * 1000,
        zone: config.tz,
        device: config.readerName,
        version: 'soak',
        warn: (message) => warnings.push(`sheet: ${message}`),
        // jest refuses the client's own dynamic import of node-fetch.
        fetchImplementation: fetch,
      });

    // The manager has set the sheet up and typed in the People tab before the first day.
    await clientFor().setUp();
    await server.setRows(
      SHEET,
      'People',
      2,
      PEOPLE.map((p) => [p.card, p.name, 'yes']),
    );

    const virtual = new VirtualTimeScheduler();
    const scheduler = shiftedScheduler(virtual, START);
    const advanceTo = (at: number): void => {
      const frame = at - START;
      if (frame < virtual.frame) throw new Error('virtual time cannot go back');
      // A no-op action at the target, so the clock reads exactly `at` afterwards.
      virtual.schedule(() => undefined, frame - virtual.frame);
      virtual.maxFrames = frame;
      virtual.flush();
    };

    const store = Store.open(join(config.dataDir, DB_FILE_NAME));
    const sheet = makeSheetsDriver(clientFor(), {
      scheduler,
      random: () => 0.5,
      peopleCache: join(config.dataDir, 'people-sheet.json'),
      warn: (message) => warnings.push(`sheet: ${message}`),
    });
    const stdin = new PassThrough();
    const feedback = new Map<string, number>();
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) {
          const type = /^\{"type":"([a-z-]+)"/.exec(line)?.[1];
          if (type !== undefined) feedback.set(type, (feedback.get(type) ?? 0) + 1);
        }
        done();
      },
    });
    const log = makeLog({
      pretty: false,
      level: 'warn',
      write: (text) => warnings.push(text),
    });
    // What the app's stream failed with, if it did (a store error stops the clock).
    const app: { failure: Error | null } = { failure: null };
    const subscription: Subscription = clockApp(
      config,
      store,
      { stdin, stdout, log, scheduler, json: true },
      sheet,
    ).subscribe({
      error: (error: unknown) => {
        app.failure = error instanceof Error ? error : new Error(String(error));
      },
    });
    const gc = collectGarbage();
    const ends: DayEnd[] = [];
    const expected = { sessions: 0, auto: 0, ignored: 0, reads: 0, held: 0 };
    let readsSinceTurn = 0;
    const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    /** Waits (real time, bounded) until the sheet has everything and nothing is in flight. */
    const settle = async (what: string): Promise<ServerStats> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (app.failure !== null) throw app.failure;
        if (store.depth() === 0 && !sheet.busy()) {
          await turn();
          const stats = await server.stats();
          if (store.depth() === 0 && !sheet.busy() && stats.inFlight === 0) return stats;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `${what}: the sheet did not settle within 30 s (outbox ${store.depth()}, busy ${sheet.busy()}); warnings:\n${warnings.slice(-10).join('\n')}`,
          );
        }
        // Waiting on a retry's backoff (virtual time): let a second of it pass. Otherwise a request is on its way.
        if (!sheet.busy()) advanceTo(scheduler.now() + SECOND);
        await turn();
      }
    };

    try {
      // The People tab has been read (and cached) before the first tap.
      await until(() => existsSync(join(config.dataDir, 'people-sheet.json')), {
        ms: 10_000,
        what: 'the People tab read at start',
      });
      await settle('start');
      for (let day = 0; day < DAYS; day++) {
        const began = Date.now();
        const plan = dayPlan(day);
        for (const read of plan.reads) {
          advanceTo(read.at);
          stdin.write(`${read.card}\n`);
          // The reader takes the line at this virtual instant; then the loop (commits, outbox, sheet) gets a turn.
          await until(() => stdin.readableLength === 0 && stdin.writableLength === 0, {
            what: 'the reader taking the line',
          });
          readsSinceTurn += 1;
          if (readsSinceTurn >= READS_PER_TURN) {
            readsSinceTurn = 0;
            await turn();
          } else {
            await Promise.resolve();
          }
          if (app.failure !== null) throw app.failure;
        }
        // Midnight: every forgotten session has long reached its 12 h limit.
        advanceTo(START + (day + 1) * DAY);
        const settling = Date.now();
        const stats = await settle(`day ${day + 1}`);
        gc();
        ends.push({
          day: day + 1,
          heapUsed: process.memoryUsage().heapUsed,
          handles: handles(),
          depth: store.depth(),
          server: stats,
          ms: Date.now() - began,
          settleMs: Date.now() - settling,
        });
        expected.sessions += plan.sessions;
        expected.auto += plan.forgotten;
        expected.ignored += plan.doubleTaps;
        expected.reads += plan.reads.length;
        expected.held += plan.held;
      }
    } finally {
      stdin.end();
      subscription.unsubscribe();
    }
    const sessions = store.allSessions();
    const integrity = store.integrityCheck();
    store.close();
    const db = new Database(join(config.dataDir, DB_FILE_NAME), { readonly: true });
    const outcomes = Object.fromEntries(
      db
        .prepare('SELECT outcome, count(*) AS n FROM taps GROUP BY outcome')
        .all()
        .map((row) => {
          const { outcome, n } = row as { outcome: string; n: number };
          return [outcome, n];
        }),
    );
    db.close();
    const logRows = (await server.values(SHEET, 'Log')).slice(1);

    if (process.env.SOAK_FIGURES === '1') {
      process.stderr.write(
        `${JSON.stringify({ ends, expected, outcomes, feedback: Object.fromEntries(feedback), warnings: warnings.slice(0, 5) })}\n`,
      );
    }

    // What happened is what was planned: every session, every auto clock-out, every ignored double tap.
    expect(integrity).toBe('ok');
    expect(expected.reads).toBeGreaterThan(13_000);
    expect(sessions).toHaveLength(expected.sessions);
    expect(sessions.filter((s) => s.status === 'auto')).toHaveLength(expected.auto);
    expect(sessions.filter((s) => s.status === 'out')).toHaveLength(
      expected.sessions - expected.auto,
    );
    expect(outcomes).toEqual({
      'clock-in': expected.sessions,
      'clock-out': expected.sessions - expected.auto,
      ignored: expected.ignored,
    });
    // A card held on the reader is one tap: every read but the held ones was a tap.
    expect(feedback.get('tap')).toBe(expected.reads - expected.held);
    expect(feedback.get('clock-in')).toBe(expected.sessions);
    expect(feedback.get('auto-out')).toBe(expected.auto);

    // The sheet's Log tab is the store's sessions: each once, closed as the store closed it.
    const ids = logRows.map((row) => row[0]);
    expect(new Set(ids).size).toBe(ids.length);
    const rowOf = new Map(logRows.map((row) => [row[0], row]));
    expect(logRows).toHaveLength(sessions.length);
    const mismatched = sessions.filter((s) => {
      const row = rowOf.get(s.id);
      return (
        row === undefined ||
        row[3] !== s.card ||
        row[2] !== (s.name ?? '') ||
        row[4] !== toSerial(s.inAt, ZONE) ||
        row[5] !== (s.outAt === null ? '' : toSerial(s.outAt, ZONE)) ||
        row[7] !== s.status
      );
    });
    expect(mismatched).toEqual([]);

    // Every midnight: the outbox empty, nothing in flight at either end, no request refused.
    expect(ends.map((end) => end.depth).every((depth) => depth === 0)).toBe(true);
    expect(ends.every((end) => end.server.inFlight === 0)).toBe(true);
    expect(ends.at(-1)?.server.failed).toBe(0);

    // Memory: the heap after a full GC, averaged over days 25-30, is within 1.5 MB of days 5-10.
    // Runs without a leak differ by ~0.4 MB (warm-up that levels off by day 15); 1.5 MB over
    // those 20 days is ~160 B per read, ~50 B per minute tick or ~550 B per sheet request.
    const early = ends.slice(4, 10);
    const late = ends.slice(24, 30);
    const meanMb = (window: DayEnd[]): number =>
      window.reduce((sum, end) => sum + end.heapUsed, 0) / window.length / 1_048_576;
    expect(meanMb(late) - meanMb(early)).toBeLessThan(1.5);

    // Handles: every midnight, timers and keep-alive sockets to the server are few (a leak of
    // one per request or per day would be thousands or dozens), and every other kind of handle
    // in days 25-30 is exactly what it was in days 5-10.
    const transient = new Set(['Timeout', 'TCPSocketWrap']);
    for (const end of ends) {
      for (const type of transient) expect(end.handles[type] ?? 0).toBeLessThanOrEqual(4);
    }
    const lasting = (end: DayEnd): Record<string, number> =>
      Object.fromEntries(Object.entries(end.handles).filter(([type]) => !transient.has(type)));
    const baseline = early.map(lasting);
    for (const end of late) expect(baseline).toContainEqual(lasting(end));
  });
});
