import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { OutboxEntry } from '../streams/commit';
import type { Person } from '../streams/directory';
import type { Command, DirectoryLoaded, SyncEvent } from '../streams/events';
import {
  makeSheetsDriver,
  type SheetOutput,
  type SheetsPort,
} from '../src/drivers/sheets/sheetsDriver';
import { SheetError } from '../src/drivers/sheets/sheetError';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { totalsOf as tableOf, type TotalsTable } from '../streams/totals';

const HOUR_MS = 3_600_000;

const entry = (n: number): OutboxEntry => ({
  kind: 'card-listed',
  key: `card:C${n}`,
  card: `C${n}`,
  at: 0,
});
const alice: Person = { card: 'A1A1A1A1', name: 'Alice', active: true, aliases: [] };

describe('sheets driver', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** A port whose calls answer with the given cold observables, one per call, in order. */
  function port(answers: {
    writes?: Observable<number>[];
    lives?: Observable<{ people: Person[] }>[];
  }): SheetsPort & { writeCalls: number } {
    const writes = [...(answers.writes ?? [])];
    const lives = [...(answers.lives ?? [])];
    const self = {
      writeCalls: 0,
      writeBatch: () => {
        self.writeCalls += 1;
        const next = writes.shift();
        if (next === undefined) throw new Error('unexpected write');
        return next;
      },
      liveUpdate: () => {
        const next = lives.shift();
        if (next === undefined) throw new Error('unexpected live update');
        return next;
      },
      readPeople: () => scheduler.createColdObservable<Person[]>('(p|)', { p: [alice] }),
    };
    return self;
  }

  const driver = (p: SheetsPort): ((commands$: Observable<Command>) => Observable<SheetOutput>) =>
    makeSheetsDriver(p, { scheduler, random: () => 0.5, warn: () => undefined });

  const people: DirectoryLoaded = { type: 'directoryLoaded', at: 0, people: [alice] };
  const write = (at: number, n: number): Command => ({
    type: 'writeBatch',
    at,
    entries: [entry(n)],
  });

  it('writes batches one after another in order, never two at once', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a 9ms b', { a: write(0, 1), b: write(10, 2) });
      // a's write:  ^-------------------------------------------------! (50 ms)
      // b's write:                                                    ^-------------------! (20 ms)
      const p = port({ writes: [cold('50ms (n|)', { n: 2 }), cold('20ms (n|)', { n: 3 })] });
      expectObservable(driver(p)(commands), '^ 200ms !').toBe('p 49ms x 19ms y', {
        p: people,
        x: { type: 'batchSynced', at: 50, keys: ['card:C1'], requests: 2 },
        y: { type: 'batchSynced', at: 70, keys: ['card:C2'], requests: 3 },
      });
    });
  });

  it('a People read that fails at start is reported as that, not as a failed live update', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const p: SheetsPort = {
        ...port({}),
        readPeople: () => cold<Person[]>('5ms #', {}, new SheetError('network down', 'retry')),
      };
      expectObservable(driver(p)(hot<Command>('')), '^ 20ms !').toBe('5ms f', {
        f: { type: 'peopleReadFailed', at: 5, reason: 'network down' },
      });
    });
  });

  it('retries a failed batch whole after a jittered backoff and reports the failed attempt', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a', { a: write(0, 1) });
      const p = port({
        writes: [
          cold<number>('10ms #', {}, new SheetError('the Sheets API answered 503', 'retry')),
          cold('5ms (n|)', { n: 2 }),
        ],
      });
      // random 0.5 × 1 s (first retry) = 500 ms after the failure at 10 ms; the retry answers 5 ms later.
      expectObservable(driver(p)(commands), '^ 2s !').toBe('p 9ms f 504ms s', {
        p: people,
        f: {
          type: 'batchFailed',
          at: 10,
          keys: ['card:C1'],
          reason: 'the Sheets API answered 503',
          final: false,
          retryInMs: 500,
        },
        s: { type: 'batchSynced', at: 515, keys: ['card:C1'], requests: 2 },
      });
    });
  });

  it('honours Retry-After when it asks for longer than the backoff', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a', { a: write(0, 1) });
      const p = port({
        writes: [
          cold<number>('#', {}, new SheetError('429', 'retry', 2000)),
          cold('(n|)', { n: 1 }),
        ],
      });
      expectObservable(driver(p)(commands), '^ 5s !').toBe('(pf) 1996ms s', {
        p: people,
        f: {
          type: 'batchFailed',
          at: 0,
          keys: ['card:C1'],
          reason: '429',
          final: false,
          retryInMs: 2000,
        },
        s: { type: 'batchSynced', at: 2000, keys: ['card:C1'], requests: 1 },
      });
    });
  });

  it('the backoff grows and is capped at 64 s', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a', { a: write(0, 1) });
      const fail = (): Observable<number> =>
        cold<number>('#', {}, new SheetError('reset', 'retry'));
      const p = port({
        writes: [
          fail(),
          fail(),
          fail(),
          fail(),
          fail(),
          fail(),
          fail(),
          fail(),
          cold('(n|)', { n: 1 }),
        ],
      });
      const delays = [500, 1000, 2000, 4000, 8000, 16000, 32000, 32000]; // 0.5 × min(64 s, 2^k s)
      const values: Record<string, SyncEvent | DirectoryLoaded> = { p: people };
      let at = 0;
      delays.forEach((delay, i) => {
        values[String.fromCharCode(97 + i)] = {
          type: 'batchFailed',
          at,
          keys: ['card:C1'],
          reason: 'reset',
          final: false,
          retryInMs: delay,
        };
        at += delay;
      });
      values.s = { type: 'batchSynced', at, keys: ['card:C1'], requests: 1 };
      expect(at).toBe(95_500);
      expectObservable(driver(p)(commands), '^ 100s !').toBe(
        '(pa) 496ms b 999ms c 1999ms d 3999ms e 7999ms f 15999ms g 31999ms h 31999ms s',
        values,
      );
    });
  });

  it('a batch that fails 5,000 times is then acknowledged once, completes, and lets the next batch go', () => {
    const failures = 5_000;
    // Backoff with random 0.5: half of min(64 s, 2^k s), so 32 s from the seventh retry on.
    const delays = Array.from({ length: failures }, (_, i) => Math.min(32_000, 500 * 2 ** i));
    const wroteAt = delays.reduce((sum, delay) => sum + delay, 0);
    let busyAfter: boolean | null = null;
    scheduler.run(({ hot, cold, expectObservable }) => {
      // Both batches are sent at once; the second waits behind the first (concatMap).
      const commands = hot<Command>('(ab)', { a: write(0, 1), b: write(0, 2) });
      const p = port({
        writes: [
          ...Array.from({ length: failures }, () =>
            cold<number>('#', {}, new SheetError('the Sheets API answered 503', 'retry')),
          ),
          cold('(n|)', { n: 1 }),
          cold('(n|)', { n: 1 }),
        ],
      });
      const d = makeSheetsDriver(p, { scheduler, random: () => 0.5, warn: () => undefined });
      const synced$ = d(commands).pipe(filter((e) => e.type === 'batchSynced'));
      expectObservable(synced$, `^ ${wroteAt + 60_000}ms !`).toBe(`${wroteAt}ms (xy)`, {
        x: { type: 'batchSynced', at: wroteAt, keys: ['card:C1'], requests: 1 },
        y: { type: 'batchSynced', at: wroteAt, keys: ['card:C2'], requests: 1 },
      });
      scheduler.schedule(() => {
        busyAfter = d.busy();
      }, wroteAt + 1_000);
    });
    expect(busyAfter).toBe(false);
  });

  it('a damaged People cache (valid JSON, wrong shape) is ignored with a warning naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badgeclock-cache-'));
    const cache = join(dir, 'people.json');
    writeFileSync(cache, JSON.stringify([{ card: 'A1A1A1A1', name: 'Alice' }, { card: 5 }]));
    const warnings: string[] = [];
    try {
      scheduler.run(({ hot, expectObservable }) => {
        const d = makeSheetsDriver(port({}), {
          scheduler,
          random: () => 0.5,
          peopleCache: cache,
          warn: (message) => warnings.push(message),
        });
        // Only the People tab's own answer: nothing from the cache reaches the reducer.
        expectObservable(d(hot<Command>('')), '^ 1s !').toBe('p', { p: people });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(warnings).toEqual([expect.stringContaining(`ignoring the People cache ${cache}`)]);
  });

  /**
   * A port that refuses any batch holding a bad entry (`fail` names the error for a key, or
   * null), answering after 10 ms, and records the keys of every batch it is asked to write.
   */
  function refusing(fail: (key: string) => Error | null): SheetsPort & { calls: string[][] } {
    const calls: string[][] = [];
    return {
      calls,
      writeBatch: (entries) => {
        const keys = entries.map((e) => e.key);
        calls.push(keys);
        const error = keys.map(fail).find((e) => e !== null);
        if (error instanceof TypeError) throw error;
        return error === undefined
          ? scheduler.createColdObservable('10ms (n|)', { n: 1 })
          : scheduler.createColdObservable<number>('10ms #', {}, error);
      },
      liveUpdate: () => {
        throw new Error('unexpected live update');
      },
      readPeople: () => scheduler.createColdObservable<Person[]>('(p|)', { p: [alice] }),
    };
  }
  const writeOf = (at: number, ...ns: number[]): Command => ({
    type: 'writeBatch',
    at,
    entries: ns.map(entry),
  });
  const keysOf = (...ns: number[]): string[] => ns.map((n) => `card:C${n}`);

  it('a batch refused with a 400 is written in halves until the bad entry is found: the others are acknowledged, it is set aside', () => {
    const refused = new SheetError('Invalid value at data[2] (400)', 'final', null, 400);
    const p = refusing((key) => (key === 'card:C3' ? refused : null));
    scheduler.run(({ hot, expectObservable }) => {
      const commands = hot<Command>('a', { a: writeOf(0, 1, 2, 3, 4) });
      const failed = (at: number, keys: string[], retryInMs: number | null = 0): SyncEvent => ({
        type: 'batchFailed',
        at,
        keys,
        reason: refused.message,
        final: false,
        retryInMs,
      });
      // C1-4 refused at 10 ms; C1-2 written at 20; C3-4 refused at 30; C3 refused at 40; C4 written at 50.
      expectObservable(driver(p)(commands), '^ 10m !').toBe('p 9ms f 19ms g 9ms h 9ms s', {
        p: people,
        f: failed(10, keysOf(1, 2, 3, 4)),
        g: failed(30, keysOf(3, 4)),
        h: failed(40, keysOf(3), null),
        s: {
          type: 'batchSynced',
          at: 50,
          keys: keysOf(1, 2, 4),
          requests: 2,
          setAside: [{ key: 'card:C3', reason: refused.message }],
        },
      });
    });
    expect(p.calls).toEqual([keysOf(1, 2, 3, 4), keysOf(1, 2), keysOf(3, 4), keysOf(3), keysOf(4)]);
  });

  it('an error of our own (a TypeError) is retried three times, then its entry is set aside like a 400', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'inAt')");
    const p = refusing((key) => (key === 'card:C2' ? bug : null));
    scheduler.run(({ hot, expectObservable }) => {
      const commands = hot<Command>('a', { a: writeOf(0, 1, 2) });
      const synced$ = driver(p)(commands).pipe(filter((e) => e.type === 'batchSynced'));
      // C1-2: fails at 0, 500, 1500, 3500 ms (backoff 0.5 × 1, 2, 4 s); halves at once:
      // C1 written at 3510; C2 fails at 3510, 4010, 5010, 7010, and is set aside.
      expectObservable(synced$, '^ 10m !').toBe('7010ms s', {
        s: {
          type: 'batchSynced',
          at: 7010,
          keys: keysOf(1),
          requests: 1,
          setAside: [{ key: 'card:C2', reason: `TypeError: ${bug.message}` }],
        },
      });
    });
    expect(p.calls).toEqual([
      ...Array.from({ length: 4 }, () => keysOf(1, 2)),
      keysOf(1),
      ...Array.from({ length: 4 }, () => keysOf(2)),
    ]);
  });

  it('when the sheet refuses every part tried and takes nothing, the batch is kept whole, nothing set aside; after two entries of a kind, the rest of it is not tried', () => {
    const refused = new SheetError('Unable to parse range (400)', 'final', null, 400);
    const p = refusing(() => refused);
    scheduler.run(({ hot, expectObservable }) => {
      const commands = hot<Command>('a', { a: writeOf(0, 1, 2, 3) });
      const final$ = driver(p)(commands).pipe(
        filter((e) => e.type === 'batchSynced' || (e.type === 'batchFailed' && e.final)),
      );
      // C1-3 refused at 10 ms, C1-2 at 20, C1 at 30, C2 at 40: two cards listed refused alone
      // and none taken: the sheet refuses listing cards, so C3 is kept untried.
      expectObservable(final$, '^ 10m !').toBe('40ms x', {
        x: {
          type: 'batchSynced',
          at: 40,
          keys: [],
          requests: 0,
          kept: {
            keys: keysOf(1, 2, 3),
            reason: expect.stringContaining(refused.message) as unknown as string,
          },
        },
      });
    });
    expect(p.calls).toEqual([keysOf(1, 2, 3), keysOf(1, 2), keysOf(1), keysOf(2)]);
  });

  it('a lone refused entry is kept, whatever other writes the sheet takes (a live update), until it takes one of its kind: then it is set aside', () => {
    const refused = new SheetError('Invalid value (400)', 'final', null, 400);
    const p = refusing((key) => (key === 'card:C1' ? refused : null));
    const withLive: SheetsPort = {
      ...p,
      liveUpdate: () => scheduler.createColdObservable('50ms (r|)', { r: { people: [alice] } }),
    };
    scheduler.run(({ hot, expectObservable }) => {
      // a: C1 alone, refused at 10 ms: kept. b: a live update, taken at 150 ms.
      // c: C1 again (the sync slice resends it after the block): refused at 410, kept again.
      // d: C2, another card listed, taken at 510. e: C1 refused at 610: the sheet lists
      //    cards, so the fault is C1's: set aside.
      const commands = hot<Command>('a 99ms b 299ms c 99ms d 99ms e', {
        a: writeOf(0, 1),
        b: live(100),
        c: writeOf(400, 1),
        d: writeOf(500, 2),
        e: writeOf(600, 1),
      });
      const outcome$ = driver(withLive)(commands).pipe(
        filter((e) => e.type === 'batchSynced' || (e.type === 'batchFailed' && e.final)),
      );
      const kept = (at: number): SyncEvent => ({
        type: 'batchSynced',
        at,
        keys: [],
        requests: 0,
        kept: {
          keys: keysOf(1),
          reason: expect.stringContaining(refused.message) as unknown as string,
        },
      });
      expectObservable(outcome$, '^ 10m !').toBe('10ms x 399ms y 99ms t 99ms s', {
        x: kept(10),
        y: kept(410),
        t: { type: 'batchSynced', at: 510, keys: keysOf(2), requests: 1 },
        s: {
          type: 'batchSynced',
          at: 610,
          keys: [],
          requests: 0,
          setAside: [{ key: 'card:C1', reason: refused.message }],
        },
      });
    });
  });

  /** A clock-in (`open:<card>`) and a clock-out (`close:<card>`) of one session per card. */
  const opened = (card: string): OutboxEntry => ({
    kind: 'session-opened',
    key: `open:${card}`,
    session: `s-${card}`,
    card,
    name: null,
    inAt: 0,
    reader: 'door',
  });
  const closed = (card: string): OutboxEntry => ({
    kind: 'session-closed',
    key: `close:${card}`,
    session: `s-${card}`,
    card,
    inAt: 0,
    outAt: 1,
    status: 'out',
  });
  const batchOf = (...entries: OutboxEntry[]): Command => ({ type: 'writeBatch', at: 0, entries });

  it('a sheet that refuses a kind of write (a full workbook: new rows) keeps those entries, and the later ones of their sessions, and writes the rest', () => {
    const full = new SheetError(
      'Invalid requests[1].insertDimension: This action would increase the number of cells in the workbook above the limit of 10000000 cells. (400)',
      'final',
      null,
      400,
    );
    const p = refusing((key) => (key.startsWith('open:') ? full : null));
    scheduler.run(({ hot, expectObservable }) => {
      // A's close, B's open, B's close, C's close: refused at 10 ms; A's close and B's open
      // refused at 20; A's close taken at 30; B's open refused alone at 40: no row was taken
      // since, so it is kept, and B's close with it; C's close taken at 50.
      const commands = hot<Command>('a', {
        a: batchOf(closed('A'), opened('B'), closed('B'), closed('C')),
      });
      const synced$ = driver(p)(commands).pipe(filter((e) => e.type === 'batchSynced'));
      expectObservable(synced$, '^ 10m !').toBe('50ms s', {
        s: {
          type: 'batchSynced',
          at: 50,
          keys: ['close:A', 'close:C'],
          requests: 2,
          kept: {
            keys: ['open:B', 'close:B'],
            reason: expect.stringContaining(full.message) as unknown as string,
          },
        },
      });
    });
    expect(p.calls).toEqual([
      ['close:A', 'open:B', 'close:B', 'close:C'],
      ['close:A', 'open:B'],
      ['close:A'],
      ['open:B'],
      ['close:C'],
    ]);
  });

  it('one bad clock-in among good ones is set aside once the sheet took another clock-in, after one more try', () => {
    const refused = new SheetError('Invalid value at data.values (400)', 'final', null, 400);
    const p = refusing((key) => (key === 'open:B' ? refused : null));
    scheduler.run(({ hot, expectObservable }) => {
      // B's open and C's open refused at 10 ms; B's open alone at 20: no clock-in taken since,
      // so held; C's open taken at 30; B's open tried again, refused at 40: set aside.
      const commands = hot<Command>('a', { a: batchOf(opened('B'), opened('C')) });
      const synced$ = driver(p)(commands).pipe(filter((e) => e.type === 'batchSynced'));
      expectObservable(synced$, '^ 10m !').toBe('40ms s', {
        s: {
          type: 'batchSynced',
          at: 40,
          keys: ['open:C'],
          requests: 1,
          setAside: [{ key: 'open:B', reason: refused.message }],
        },
      });
    });
    expect(p.calls).toEqual([['open:B', 'open:C'], ['open:B'], ['open:C'], ['open:B']]);
  });

  it('when two clock-ins are refused and none taken, the rest are kept untried; the closes are written', () => {
    const full = new SheetError('above the limit of 10000000 cells (400)', 'final', null, 400);
    const p = refusing((key) => (key.startsWith('open:') ? full : null));
    scheduler.run(({ hot, expectObservable }) => {
      // All refused at 10 ms; B, C at 20; B alone at 30, C alone at 40: the sheet refuses new
      // rows, so D's open is kept untried; A's close taken at 50.
      const commands = hot<Command>('a', {
        a: batchOf(opened('B'), opened('C'), closed('A'), opened('D')),
      });
      const synced$ = driver(p)(commands).pipe(filter((e) => e.type === 'batchSynced'));
      expectObservable(synced$, '^ 10m !').toBe('50ms s', {
        s: {
          type: 'batchSynced',
          at: 50,
          keys: ['close:A'],
          requests: 1,
          kept: {
            keys: ['open:B', 'open:C', 'open:D'],
            reason: expect.stringContaining(full.message) as unknown as string,
          },
        },
      });
    });
    expect(p.calls).toEqual([
      ['open:B', 'open:C', 'close:A', 'open:D'],
      ['open:B', 'open:C'],
      ['open:B'],
      ['open:C'],
      ['close:A'],
    ]);
  });

  it('a final failure is reported once and not retried', () => {
    let calls = 0;
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a', { a: write(0, 1) });
      const p = port({
        writes: [cold<number>('3ms #', {}, new SheetError('no permission', 'final'))],
      });
      expectObservable(driver(p)(commands), '^ 10m !').toBe('p 2ms f', {
        p: people,
        f: {
          type: 'batchFailed',
          at: 3,
          keys: ['card:C1'],
          reason: 'no permission',
          final: true,
          retryInMs: null,
        },
      });
      scheduler.schedule(() => {
        calls = p.writeCalls;
      }, 599_999);
    });
    expect(calls).toBe(1);
  });

  const live = (at: number): Command => ({
    type: 'liveUpdate',
    at,
    open: [],
    health: {
      lastTapAt: null,
      lastSyncAt: null,
      outboxDepth: 0,
      readerFault: null,
      clockSynced: true,
    },
  });

  it('a live update and a batch never overlap: the batch waits for the update, a tick during the batch is dropped', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a 9ms b 49ms c 39ms d', {
        a: live(0),
        b: write(10, 1),
        c: live(60),
        d: live(100),
      });
      // a's update: ^-------------------------------------------------! (0-50 ms)
      // b's write:                                                    ^-------------------! (50-70 ms, waits for a)
      // c at 60 ms arrives during b's write and is dropped
      // d's update: starts at 100 ms, answers at 150 ms
      const p = port({
        writes: [cold('20ms (n|)', { n: 1 })],
        lives: [
          cold('50ms (r|)', { r: { people: [alice] } }),
          cold('50ms (r|)', { r: { people: [] } }),
        ],
      });
      expectObservable(driver(p)(commands), '^ 1s !').toBe('p 49ms (dl) 16ms x 79ms (em)', {
        p: people,
        d: { type: 'directoryLoaded', at: 50, people: [alice] },
        l: { type: 'liveSynced', at: 50, open: 0 },
        x: { type: 'batchSynced', at: 70, keys: ['card:C1'], requests: 1 },
        e: { type: 'directoryLoaded', at: 150, people: [] },
        m: { type: 'liveSynced', at: 150, open: 0 },
      });
    });
  });

  it('a minute tick while a live update is in flight is dropped, not queued', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a 29ms b 69ms c', { a: live(0), b: live(30), c: live(100) });
      // a's update: ^-------------------------------------------------! (50 ms)
      // b at 30 ms arrives during it and is dropped
      // c's update:                                                         ^-------------------------------------------------!
      const p = port({
        lives: [
          cold('50ms (r|)', { r: { people: [alice] } }),
          cold('50ms (r|)', { r: { people: [] } }),
        ],
      });
      expectObservable(driver(p)(commands), '^ 1s !').toBe('p 49ms (dl) 96ms (em)', {
        p: people,
        d: { type: 'directoryLoaded', at: 50, people: [alice] },
        l: { type: 'liveSynced', at: 50, open: 0 },
        e: { type: 'directoryLoaded', at: 150, people: [] },
        m: { type: 'liveSynced', at: 150, open: 0 },
      });
    });
  });

  it('a Retry-After answered to a live update holds the next batch until then', () => {
    const wroteAt: number[] = [];
    scheduler.run(({ hot, cold, expectObservable }) => {
      const tooMany = new SheetError('the Sheets API answered 429', 'retry', 120_000);
      const p: SheetsPort = {
        ...port({ lives: [cold<{ people: Person[] }>('5ms #', {}, tooMany)] }),
        writeBatch: () => {
          wroteAt.push(scheduler.now());
          return cold('1ms (n|)', { n: 1 });
        },
      };
      // a's update: ^----# (429, Retry-After 120 s: no request before 120 005 ms)
      // b's write:            waits ... ^-! (120 005 ms)
      const commands = hot<Command>('a 9ms b', { a: live(0), b: write(10, 1) });
      expectObservable(driver(p)(commands), '^ 5m !').toBe('p 4ms f 120000ms s', {
        p: people,
        f: { type: 'liveFailed', at: 5, reason: tooMany.message, retryInMs: 120_000 },
        s: { type: 'batchSynced', at: 120_006, keys: ['card:C1'], requests: 1 },
      });
    });
    expect(wroteAt).toEqual([120_005]);
  });

  it('a Retry-After answered to a live update holds the next live update until then; ticks meanwhile are dropped', () => {
    const livedAt: number[] = [];
    scheduler.run(({ hot, cold, expectObservable }) => {
      const tooMany = new SheetError('the Sheets API answered 429', 'retry', 90_000);
      const answers = [
        cold<{ people: Person[] }>('5ms #', {}, tooMany),
        cold('50ms (r|)', { r: { people: [alice] } }),
        cold('50ms (r|)', { r: { people: [alice] } }),
      ];
      const p: SheetsPort = {
        ...port({}),
        liveUpdate: () => {
          livedAt.push(scheduler.now());
          const next = answers.shift();
          if (next === undefined) throw new Error('unexpected live update');
          return next;
        },
      };
      // a: ^----# (429, Retry-After 90 s: no request before 90 005 ms)
      // b (60 s): waits ... ^---! (90 005 ms, answers at 90 055)
      // c (80 s): arrives while b waits, dropped; d (120 s): sent at once.
      const commands = hot<Command>('a 59999ms b 19999ms c 39999ms d', {
        a: live(0),
        b: live(60_000),
        c: live(80_000),
        d: live(120_000),
      });
      expectObservable(driver(p)(commands), '^ 5m !').toBe('p 4ms f 90049ms (dl) 29991ms (em)', {
        p: people,
        f: { type: 'liveFailed', at: 5, reason: tooMany.message, retryInMs: 90_000 },
        d: { type: 'directoryLoaded', at: 90_055, people: [alice] },
        l: { type: 'liveSynced', at: 90_055, open: 0 },
        e: { type: 'directoryLoaded', at: 120_050, people: [alice] },
        m: { type: 'liveSynced', at: 120_050, open: 0 },
      });
    });
    expect(livedAt).toEqual([0, 90_005, 120_000]);
  });

  it('a Retry-After longer than 10 minutes holds the client 10 minutes, not longer', () => {
    const wroteAt: number[] = [];
    scheduler.run(({ hot, cold, expectObservable }) => {
      const tooMany = new SheetError('the Sheets API answered 429', 'retry', 999_999_000);
      const p: SheetsPort = {
        ...port({ lives: [cold<{ people: Person[] }>('#', {}, tooMany)] }),
        writeBatch: () => {
          wroteAt.push(scheduler.now());
          return cold('(n|)', { n: 1 });
        },
      };
      const commands = hot<Command>('a 9ms b', { a: live(0), b: write(10, 1) });
      const synced$ = driver(p)(commands).pipe(filter((e) => e.type === 'batchSynced'));
      expectObservable(synced$, '^ 20m !').toBe('10m s', {
        s: { type: 'batchSynced', at: 600_000, keys: ['card:C1'], requests: 1 },
      });
    });
    expect(wroteAt).toEqual([600_000]);
  });

  it('a wall clock set back after a Retry-After does not hold the client an hour longer', () => {
    const wroteAt: number[] = [];
    scheduler.run(({ hot, cold, expectObservable }) => {
      // The wall clock is set back an hour at 10 ms; delays stay in real (virtual) time.
      const wall = shiftedScheduler(scheduler, () => (scheduler.now() >= 10 ? -HOUR_MS : 0));
      const tooMany = new SheetError('the Sheets API answered 429', 'retry', 5_000);
      const p: SheetsPort = {
        ...port({ lives: [cold<{ people: Person[] }>('#', {}, tooMany)] }),
        writeBatch: () => {
          wroteAt.push(scheduler.now());
          return cold('(n|)', { n: 1 });
        },
      };
      // a: 429, Retry-After 5 s, at 0. The clock goes back: the instant, now an hour and 5 s
      // ahead, means nothing any more (as a park does not), so b (20 ms) is sent at once.
      const commands = hot<Command>('a 19ms b', { a: live(0), b: write(20, 1) });
      const run = makeSheetsDriver(p, {
        scheduler: wall,
        random: () => 0.5,
        warn: () => undefined,
      });
      const synced$ = run(commands).pipe(filter((e) => e.type === 'batchSynced'));
      expectObservable(synced$, '^ 20m !').toBe('20ms s', {
        s: { type: 'batchSynced', at: 20 - HOUR_MS, keys: ['card:C1'], requests: 1 },
      });
    });
    expect(wroteAt).toEqual([20]);
  });

  it('makes a live update’s Totals with the People list last read: none before the first read, then the latest', () => {
    const bob: Person = { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] };
    const asked: [number, readonly Person[] | null][] = [];
    scheduler.run(({ hot, cold, expectObservable }) => {
      const commands = hot<Command>('a 99ms b', { a: live(0), b: live(100) });
      // the People read at start: --------------------! (20 ms)
      // a's update:               ^-------------------------------------------------! (50 ms)
      // b's update (with the list a's update read):                                   ^------...
      const p: SheetsPort = {
        ...port({
          lives: [
            cold('50ms (r|)', { r: { people: [alice, bob] } }),
            cold('50ms (r|)', { r: { people: [alice, bob] } }),
          ],
        }),
        readPeople: () => cold<Person[]>('20ms (p|)', { p: [alice] }),
      };
      const run = makeSheetsDriver(p, { scheduler, random: () => 0.5, warn: () => undefined });
      const totalsOf = (at: number, people: readonly Person[] | null): TotalsTable => {
        asked.push([at, people]);
        return tableOf([], at, { kind: 'weekly', firstDay: 'monday' }, 'UTC');
      };
      expectObservable(run(commands, { totalsOf }), '^ 1s !').toBe('20ms s 29ms (dl) 96ms (em)', {
        s: { type: 'directoryLoaded', at: 20, people: [alice] },
        d: { type: 'directoryLoaded', at: 50, people: [alice, bob] },
        l: { type: 'liveSynced', at: 50, open: 0 },
        e: { type: 'directoryLoaded', at: 150, people: [alice, bob] },
        m: { type: 'liveSynced', at: 150, open: 0 },
      });
    });
    expect(asked).toEqual([
      [0, null],
      [100, [alice, bob]],
    ]);
  });

  it('makes the first Totals with the People list cached by the last run, before the tab is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badgeclock-cache-'));
    const cache = join(dir, 'people.json');
    const bob: Person = { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] };
    writeFileSync(cache, JSON.stringify([bob]));
    const asked: (readonly Person[] | null)[] = [];
    try {
      scheduler.run(({ hot, cold, expectObservable }) => {
        const p: SheetsPort = {
          ...port({ lives: [cold('50ms (r|)', { r: { people: [alice] } })] }),
          readPeople: () => cold<Person[]>('20ms (p|)', { p: [alice] }),
        };
        const run = makeSheetsDriver(p, {
          scheduler,
          random: () => 0.5,
          peopleCache: cache,
          warn: () => undefined,
        });
        const totalsOf = (at: number, people: readonly Person[] | null): TotalsTable => {
          asked.push(people);
          return tableOf([], at, { kind: 'weekly', firstDay: 'monday' }, 'UTC');
        };
        const commands = hot<Command>('-a', { a: live(1) });
        expectObservable(run(commands, { totalsOf }), '^ 1s !').toBe('c 19ms s 30ms (dl)', {
          c: { type: 'directoryLoaded', at: 0, people: [bob] },
          s: { type: 'directoryLoaded', at: 20, people: [alice] },
          d: { type: 'directoryLoaded', at: 51, people: [alice] },
          l: { type: 'liveSynced', at: 51, open: 0 },
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(asked).toEqual([[bob]]);
  });
});
