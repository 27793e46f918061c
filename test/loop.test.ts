/**
 * The loop (src/loop.ts) and the clock's wiring on it (src/app.ts): every
 * listener sees the first, synchronous commits; what goes round reaches
 * drivers subscribed while the wiring is built, a turn later, never
 * synchronously. The last test fails if the wiring's subscription order
 * changes (feedback subscribed after the store's first commits, or a driver
 * after what goes round was first delivered).
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  asapScheduler,
  concat,
  defer,
  ignoreElements,
  NEVER,
  of,
  Subject,
  tap,
  throwError,
  type Observable,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockApp } from '../src/app';
import type { SheetsDriver } from '../src/drivers/sheets/sheetsDriver';
import { loadConfig } from '../src/config';
import { Store } from '../src/drivers/store/store';
import { makeLog } from '../src/log';
import { runLoop } from '../src/loop';
import type { Command } from '../streams/events';
import { player, read, tempDir } from './support/store-fixtures';

const HOUR = 3_600_000;

describe('runLoop', () => {
  const testScheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });

  it('every listener sees the first synchronous values; what goes round comes a turn later', () => {
    const seenByListener: string[] = [];
    const fedBack: string[] = [];
    testScheduler().run(({ expectObservable, cold, flush }) => {
      // `main` emits a and b as it is subscribed (a restart's first steps), then c later; it
      // subscribes to what goes round as it is subscribed (as every driver does).
      const main = (fedBack$: Observable<string>): Observable<string> =>
        defer(() => {
          fedBack$.subscribe({
            next: (value) => fedBack.push(value),
            error: (error: unknown) => {
              throw error;
            },
          });
          return concat(of('a', 'b'), cold('--c|'), NEVER);
        });
      const loop$ = runLoop(
        main,
        [(committed$) => committed$.pipe(tap((value) => seenByListener.push(value)))],
        asapScheduler,
      );
      expectObservable(loop$, '^ 5ms !').toBe('');
      flush();
      expect(seenByListener).toEqual(['a', 'b', 'c']);
      expect(fedBack).toEqual(['a', 'b', 'c']);
    });
  });

  it('nothing goes round synchronously: main hears its first value only after it was subscribed', () => {
    const heard: string[] = [];
    const order: string[] = [];
    const main = (fedBack$: Observable<string>): Observable<string> =>
      defer(() => {
        fedBack$.subscribe({
          next: (value) => {
            heard.push(value);
            order.push(`heard ${value}`);
          },
          error: (error: unknown) => {
            throw error;
          },
        });
        return concat(of('a'), NEVER);
      });
    return new Promise<void>((resolve) => {
      const subscription = runLoop(main, []).subscribe();
      order.push('subscribed');
      expect(heard).toEqual([]);
      setImmediate(() => {
        expect(order).toEqual(['subscribed', 'heard a']);
        subscription.unsubscribe();
        resolve();
      });
    });
  });

  it('an error in main or in a listener is the loop’s error', () => {
    const errors: unknown[] = [];
    runLoop(() => throwError(() => new Error('disk full')), []).subscribe({
      error: (error: unknown) => errors.push(error),
    });
    runLoop(
      () => concat(of('a'), NEVER),
      [
        (committed$) =>
          committed$.pipe(
            tap(() => {
              throw new Error('stdout closed');
            }),
          ),
      ],
    ).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors.map((e) => (e as Error).message)).toEqual(['disk full', 'stdout closed']);
  });

  it('unsubscribing stops main and every listener', () => {
    const main$ = new Subject<string>();
    const seen: string[] = [];
    const subscription = runLoop(
      () => main$,
      [(committed$) => committed$.pipe(tap((value) => seen.push(value)))],
    ).subscribe();
    main$.next('a');
    subscription.unsubscribe();
    main$.next('b');
    expect(seen).toEqual(['a']);
    expect(main$.observed).toBe(false);
  });
});

describe('the clock wired on the loop', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('loop');
  });
  afterEach(() => {
    dir.remove();
  });

  it("a restart's first commit reaches the feedback at once and the sheet driver a turn later", async () => {
    const T0 = Date.parse('2026-03-23T08:00:00Z');
    const file = join(dir.path, 'badgeclock.db');
    // Alice clocked in, then the clock was off for 13 h: at start her session is past its limit.
    const before = Store.open(file);
    player(before).play(read(T0, 'A11CE000'));
    before.close();
    const store = Store.open(file);

    const loaded = loadConfig({
      env: { BADGECLOCK_TZ: 'UTC', BADGECLOCK_DATA_DIR: dir.path, BADGECLOCK_TIME_SYNC: 'off' },
      cwd: dir.path,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    const lines: string[] = [];
    const stdout = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((line) => line !== ''),
        );
        done();
      },
    });
    const commands: Command[] = [];
    const sheet: SheetsDriver = Object.assign(
      (commands$: Observable<Command>) =>
        commands$.pipe(
          tap((command) => commands.push(command)),
          ignoreElements(),
        ),
      { busy: () => false },
    );
    const now = T0 + 13 * HOUR;
    const scheduler = { now: () => now, schedule: asapScheduler.schedule.bind(asapScheduler) };
    const subscription = clockApp(
      loaded.config,
      store,
      {
        stdin: new Subject<never>() as never,
        stdout,
        log: makeLog({ pretty: false, write: () => undefined }),
        scheduler,
        json: true,
        reads$: NEVER,
      },
      sheet,
    ).subscribe();
    try {
      // The auto clock-out was committed and shown while subscribing.
      expect(lines.map((line) => (JSON.parse(line) as { type: string }).type)).toEqual([
        'auto-out',
      ]);
      // Its outbox entry goes round to the sheet driver, a turn later.
      expect(commands).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
      const batch = commands.find((command) => command.type === 'writeBatch');
      expect(batch?.type === 'writeBatch' ? batch.entries.map((e) => e.kind) : []).toEqual(
        expect.arrayContaining(['session-closed']),
      );
    } finally {
      subscription.unsubscribe();
      store.close();
    }
  });
});
