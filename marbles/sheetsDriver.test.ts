import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { OutboxEntry } from '../streams/commit';
import type { Person } from '../streams/directory';
import type { Command, DirectoryLoaded, SyncEvent } from '../streams/events';
import { makeSheetsDriver, type SheetsPort } from '../src/drivers/sheets/sheetsDriver';
import { SheetError } from '../src/drivers/sheets/sheetError';

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

  const driver = (
    p: SheetsPort,
  ): ((commands$: Observable<Command>) => Observable<SyncEvent | DirectoryLoaded>) =>
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
});
