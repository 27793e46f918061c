import { filter, map, NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOutputs } from '../streams/clock';
import type { OutboxEntry } from '../streams/commit';
import type { CardRead, Output, SyncEvent } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { HOUR, stampReads } from './support';

const rules = defaultRules('UTC');
const sync = { enabled: true, batchSize: 2, blockedMs: 300_000 };

const entry = (n: number): OutboxEntry => ({
  kind: 'card-listed',
  key: `card:C${n}`,
  card: `C${n}`,
  at: 0,
});
const [e1, e2, e3, e4] = [entry(1), entry(2), entry(3), entry(4)];

describe('sync slice', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  function run(syncMarble: string, values: Record<string, SyncEvent>): Observable<Output> {
    const sheet$ = scheduler.createHotObservable(syncMarble, values);
    return clockOutputs({ reads$: NEVER, directory$: NEVER, sheet$ }, rules, scheduler, { sync });
  }

  it('sends the oldest entries as one batch, one batch at a time, the next only after the ack', () => {
    scheduler.run(({ expectObservable }) => {
      // a: an outbox of three (batch size 2): the first two leave.
      // b: a new outbox report while that batch is in flight sends nothing.
      // c: the ack marks them done, reports the sync, and sends the third.
      const syncs = '   1s a 2s   b 1s c';
      const expected = '1s w 3001ms (mdx)';
      expectObservable(
        run(syncs, {
          a: { type: 'outboxChanged', at: 1000, head: [e1, e2, e3], depth: 3 },
          b: { type: 'outboxChanged', at: 3001, head: [e1, e2, e3], depth: 3 },
          c: { type: 'batchSynced', at: 4002, keys: [e1.key, e2.key], requests: 2 },
        }),
        '^ 50s !',
      ).toBe(expected, {
        w: { type: 'writeBatch', at: 1000, entries: [e1, e2] },
        m: { type: 'markDone', at: 4002, keys: [e1.key, e2.key] },
        d: { type: 'synced', at: 4002, what: 'outbox', count: 2, backlog: 1 },
        x: { type: 'writeBatch', at: 4002, entries: [e3] },
      });
    });
  });

  it('a retryable failure is reported and keeps the batch in flight; a final one parks the outbox until the block ends', () => {
    scheduler.run(({ expectObservable }) => {
      const syncs = '   1s a 1s r 1s f';
      // The block ends at 303002; the first tick after it (360 s) sends the batch again.
      const expected =
        '1s w 1000ms r 1000ms f 56997ms l 59999ms l 59999ms l 59999ms l 59999ms l 59999ms (lv)';
      expectObservable(
        run(syncs, {
          a: { type: 'outboxChanged', at: 1000, head: [e1], depth: 1 },
          r: {
            type: 'batchFailed',
            at: 2001,
            keys: [e1.key],
            reason: '503',
            final: false,
            retryInMs: 800,
          },
          f: {
            type: 'batchFailed',
            at: 3002,
            keys: [e1.key],
            reason: '403',
            final: true,
            retryInMs: null,
          },
        }),
        '^ 400s !',
      ).toBe(expected, {
        w: { type: 'writeBatch', at: 1000, entries: [e1] },
        r: {
          type: 'sync-failed',
          at: 2001,
          what: 'outbox',
          reason: '503',
          backlog: 1,
          retryInMs: 800,
        },
        f: {
          type: 'sync-failed',
          at: 3002,
          what: 'outbox',
          reason: '403',
          backlog: 1,
          retryInMs: 300_000,
        },
        l: {
          type: 'liveUpdate',
          at: expect.any(Number) as unknown as number,
          open: [],
          health: {
            lastTapAt: null,
            lastSyncAt: null,
            outboxDepth: 1,
            readerFault: null,
            clockSynced: true,
            setAside: 0,
          },
        },
        v: { type: 'writeBatch', at: 360_000, entries: [e1] },
      });
    });
  });

  it('an outbox report during a batch keeps that batch at the head: after a final failure it is sent again first, whole', () => {
    scheduler.run(({ expectObservable }) => {
      // a: three entries (batch size 2): e1, e2 leave.
      // b: a tap adds e4 while that batch is in flight; the store reports the head e1..e4.
      // f: the batch fails for good (403); the outbox is parked for 300 s.
      // The first tick after the block (360 s) must send e1, e2 again, not e3, e4.
      const syncs = '   1s a 1s b 1s f';
      const expected = '1s w 358999ms v';
      const writes$ = run(syncs, {
        a: { type: 'outboxChanged', at: 1000, head: [e1, e2, e3], depth: 3 },
        b: { type: 'outboxChanged', at: 2001, head: [e1, e2, e3, e4], depth: 4 },
        f: {
          type: 'batchFailed',
          at: 3002,
          keys: [e1.key, e2.key],
          reason: '403',
          final: true,
          retryInMs: null,
        },
      }).pipe(filter((o) => o.type === 'writeBatch'));
      expectObservable(writes$, '^ 400s !').toBe(expected, {
        w: { type: 'writeBatch', at: 1000, entries: [e1, e2] },
        v: { type: 'writeBatch', at: 360_000, entries: [e1, e2] },
      });
    });
  });

  it('an entry set aside by the driver is marked done with its reason and reported; the rest flows, and the health block counts it', () => {
    scheduler.run(({ expectObservable }) => {
      // a: three entries (batch size 2): e1, e2 leave.
      // s: the sheet took e1 and refused e2 for good: e1 is done, e2 set aside, e3 leaves.
      const syncs = '   1s a 1s s';
      const expected = '1s w 1000ms (mdne3) 57992ms l';
      const reason = 'the Sheets API refused a request (400: Invalid value)';
      expectObservable(
        run(syncs, {
          a: { type: 'outboxChanged', at: 1000, head: [e1, e2, e3], depth: 3 },
          s: {
            type: 'batchSynced',
            at: 2001,
            keys: [e1.key],
            requests: 2,
            setAside: [{ key: e2.key, reason }],
          },
        }),
        '^ 61s !',
      ).toBe(expected, {
        w: { type: 'writeBatch', at: 1000, entries: [e1, e2] },
        m: { type: 'markDone', at: 2001, keys: [e1.key] },
        n: { type: 'markDone', at: 2001, keys: [e2.key], failure: reason },
        d: { type: 'synced', at: 2001, what: 'outbox', count: 1, backlog: 1 },
        e: {
          type: 'sync-failed',
          at: 2001,
          what: 'outbox',
          reason: `${e2.key} was set aside, not written to the sheet: ${reason}`,
          backlog: 1,
          retryInMs: null,
        },
        '3': { type: 'writeBatch', at: 2001, entries: [e3] },
        l: {
          type: 'liveUpdate',
          at: 60_000,
          open: [],
          health: {
            lastTapAt: null,
            lastSyncAt: 2001,
            outboxDepth: 1,
            readerFault: null,
            clockSynced: true,
            setAside: 1,
          },
        },
      });
    });
  });

  describe('entries the driver kept back', () => {
    const opened = (card: string, at: number): OutboxEntry => ({
      kind: 'session-opened',
      key: `open:${card}`,
      session: sessionId(card, at),
      card,
      name: null,
      inAt: at,
      reader: 'door',
    });
    const closed = (card: string, inAt: number, outAt: number): OutboxEntry => ({
      kind: 'session-closed',
      key: `close:${card}`,
      session: sessionId(card, inAt),
      card,
      inAt,
      outAt,
      status: 'out',
    });
    const [closeA, openB, closeB, closeC, openC] = [
      closed('A0000001', 0, 900),
      opened('B0000002', 950),
      closed('B0000002', 950, 2500),
      closed('C0000003', 0, 2600),
      opened('C0000003', 2700),
    ];
    const reason = 'the Sheets API refused a request (400: above the limit of 10000000 cells)';
    const keptBy = (at: number, keys: string[], written: string[] = []): SyncEvent => ({
      type: 'batchSynced',
      at,
      keys: written,
      requests: 3,
      kept: { keys, reason },
    });

    it('wait a park, with the later entries of their sessions, while the rest flows; kept again, twice as long', () => {
      scheduler.run(({ expectObservable }) => {
        // a: A's close and B's open leave. k: A's close taken, B's open kept back till 302 001.
        // b: B's close and C's close join: C's leaves; B's waits with B's open.
        // c: C's close taken. The tick at 360 s sends B's open and close; j: both kept again:
        //    B's open now waits 600 s (till 961 000), and the tick at 1 020 s sends them.
        const syncs = '   1s a 1s k 1s b 1s c 356996ms j';
        const expected = '1s w 1000ms (mdf) 996ms x 1000ms (ne) 355993ms y 999ms g 658999ms z';
        const out$ = run(syncs, {
          a: { type: 'outboxChanged', at: 1000, head: [closeA, openB], depth: 2 },
          k: keptBy(2001, [openB.key], [closeA.key]),
          b: { type: 'outboxChanged', at: 3002, head: [openB, closeB, closeC], depth: 3 },
          c: { type: 'batchSynced', at: 4003, keys: [closeC.key], requests: 2 },
          j: keptBy(361_000, [openB.key, closeB.key]),
        }).pipe(filter((o) => o.type !== 'liveUpdate'));
        expectObservable(out$, '^ 1100s !').toBe(expected, {
          w: { type: 'writeBatch', at: 1000, entries: [closeA, openB] },
          m: { type: 'markDone', at: 2001, keys: [closeA.key] },
          d: { type: 'synced', at: 2001, what: 'outbox', count: 1, backlog: 1 },
          f: {
            type: 'sync-failed',
            at: 2001,
            what: 'outbox',
            reason: `1 change kept back (${openB.key}), not set aside: ${reason}`,
            backlog: 1,
            retryInMs: 300_000,
          },
          x: { type: 'writeBatch', at: 3002, entries: [closeC] },
          n: { type: 'markDone', at: 4003, keys: [closeC.key] },
          e: { type: 'synced', at: 4003, what: 'outbox', count: 1, backlog: 2 },
          y: { type: 'writeBatch', at: 360_000, entries: [openB, closeB] },
          g: {
            type: 'sync-failed',
            at: 361_000,
            what: 'outbox',
            reason: `2 changes kept back (${openB.key} and 1 more), not set aside: ${reason}`,
            backlog: 2,
            retryInMs: 600_000,
          },
          z: { type: 'writeBatch', at: 1_020_000, entries: [openB, closeB] },
        });
      });
    });

    it('wait no longer once the sheet takes an entry of their kind', () => {
      scheduler.run(({ expectObservable }) => {
        // a: B's open leaves; k: kept back. b: C's open joins and leaves; c: it is taken, so
        //    clock-ins go in again: B's open leaves at once.
        const syncs = '   1s a 1s k 1s b 1s c';
        const expected = '1s w 2001ms x 1000ms y';
        const writes$ = run(syncs, {
          a: { type: 'outboxChanged', at: 1000, head: [openB], depth: 1 },
          k: keptBy(2001, [openB.key]),
          b: { type: 'outboxChanged', at: 3002, head: [openB, openC], depth: 2 },
          c: { type: 'batchSynced', at: 4003, keys: [openC.key], requests: 2 },
        }).pipe(filter((o) => o.type === 'writeBatch'));
        expectObservable(writes$, '^ 10s !').toBe(expected, {
          w: { type: 'writeBatch', at: 1000, entries: [openB] },
          x: { type: 'writeBatch', at: 3002, entries: [openC] },
          y: { type: 'writeBatch', at: 4003, entries: [openB] },
        });
      });
    });
  });

  it('a failed live update says the next one is a minute away, or as long as the server asked', () => {
    scheduler.run(({ expectObservable }) => {
      // a: a live update failed (a reset): the next minute tries again.
      // b: one answered 429 with Retry-After 120 s: the client waits that long.
      const syncs = '   1s a 1s b';
      const expected = '1s a 1s b';
      const failed$ = run(syncs, {
        a: { type: 'liveFailed', at: 1000, reason: 'ECONNRESET' },
        b: { type: 'liveFailed', at: 2001, reason: '429', retryInMs: 120_000 },
      }).pipe(filter((o) => o.type === 'sync-failed'));
      expectObservable(failed$, '^ 10s !').toBe(expected, {
        a: {
          type: 'sync-failed',
          at: 1000,
          what: 'live',
          reason: 'ECONNRESET',
          backlog: 0,
          retryInMs: 60_000,
        },
        b: {
          type: 'sync-failed',
          at: 2001,
          what: 'live',
          reason: '429',
          backlog: 0,
          retryInMs: 120_000,
        },
      });
    });
  });

  it('every minute asks for one live update carrying the open sessions, oldest first', () => {
    scheduler.run(({ expectObservable }) => {
      const reads$ = scheduler
        .createHotObservable('10s b 5s a', { a: 'AAAA0001', b: 'BBBB0002' })
        .pipe(stampReads(scheduler));
      const out$ = clockOutputs({ reads$, directory$: NEVER, sheet$: NEVER }, rules, scheduler, {
        sync,
      });
      expectObservable(out$.pipe(filter((o) => o.type === 'liveUpdate')), '^ 61s !').toBe('60s l', {
        l: {
          type: 'liveUpdate',
          at: 60_000,
          open: [
            {
              session: sessionId('BBBB0002', 10_000),
              card: 'BBBB0002',
              name: null,
              inAt: 10_000,
              openForMs: 50_000,
            },
            {
              session: sessionId('AAAA0001', 15_001),
              card: 'AAAA0001',
              name: null,
              inAt: 15_001,
              openForMs: 44_999,
            },
          ],
          health: {
            lastTapAt: 15_001,
            lastSyncAt: null,
            outboxDepth: 0,
            readerFault: null,
            clockSynced: true,
            setAside: 0,
          },
        },
      });
    });
  });

  it('a live update says how long each session has really been open, after a wall-clock step too', () => {
    scheduler.run(({ expectObservable }) => {
      // The wall clock is set a day and two hours ahead at 30 s; the monotonic clock runs on.
      const STEP = 26 * HOUR;
      const wall = shiftedScheduler(scheduler, () => (scheduler.now() >= 30_000 ? STEP : 0));
      const mono = (): number => scheduler.now();
      const reads$ = scheduler.createHotObservable('10s a', { a: 'AAAA0001' }).pipe(
        map((card): CardRead => ({
          type: 'cardRead',
          at: wall.now(),
          card,
          reader: 'door',
          mono: mono(),
        })),
      );
      const out$ = clockOutputs({ reads$, directory$: NEVER, sheet$: NEVER }, rules, wall, {
        sync,
        mono,
      });
      expectObservable(
        out$.pipe(
          filter((o) => o.type === 'liveUpdate'),
          map((o) => o.open.map((s) => s.openForMs)),
        ),
        '^ 61s !',
      ).toBe('60s l', { l: [50_000] });
    });
  });

  it('without a sheet the sync slice stays silent', () => {
    scheduler.run(({ expectObservable }) => {
      const sheet$ = scheduler.createHotObservable<SyncEvent>('1s a', {
        a: { type: 'outboxChanged', at: 1000, head: [e1], depth: 1 },
      });
      const out$ = clockOutputs({ reads$: NEVER, directory$: NEVER, sheet$ }, rules, scheduler);
      expectObservable(out$, '^ 120s !').toBe('');
    });
  });
});
