/**
 * Replay's drain of its store's outbox to the sheet, on a real SQLite file: an
 * entry the sheet refuses for good is set aside exactly as the running clock
 * does it (marked done with the reason, said once), and the rest flows.
 */
import { join } from 'node:path';
import { asyncScheduler } from 'rxjs';
import type { OutboxEntry } from '../streams/commit';
import type { DomainEvent } from '../streams/events';
import { SheetError } from '../src/drivers/sheets/sheetError';
import { Store } from '../src/drivers/store/store';
import { DrainError, drainOutbox } from '../src/replay/drainOutbox';
import { HOUR, player, read, tempDir } from './support/store-fixtures';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const CARDS = ['C0000001', 'C0000002', 'C0000003', 'C0000004', 'C0000005', 'C0000006'];
/** The entry the sheet refuses: the People row of one card (a validation rule on the tab, say). */
const REFUSED = 'card:C0000003';
const REFUSAL = 'Invalid value at data[0].values[0] (400)';

/** A sheet that takes every batch but one holding `key`, which it answers with a 400. */
function refusingSheet(key: string): {
  readonly writeBatch: (entries: readonly OutboxEntry[]) => Promise<number>;
  readonly written: string[];
  readonly attempts: (readonly string[])[];
} {
  const written: string[] = [];
  const attempts: (readonly string[])[] = [];
  return {
    written,
    attempts,
    writeBatch: (entries) => {
      attempts.push(entries.map((entry) => entry.key));
      if (entries.some((entry) => entry.key === key)) {
        return Promise.reject(new SheetError(REFUSAL, 'final', null, 400));
      }
      written.push(...entries.map((entry) => entry.key));
      return Promise.resolve(1);
    },
  };
}

describe('draining a replay to the sheet', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('drain');
    store = Store.open(join(dir.path, 'badgeclock.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('an entry the sheet refuses for good is set aside with its reason, said once and never sent again; the rest is written once each, and the drain ends saying what was refused', async () => {
    const { play } = player(store);
    // Six unknown cards clock in and out: each is listed, opened and closed (18 entries).
    play(...CARDS.map((card, i) => read(T0 + i * 1000, card)));
    play(...CARDS.map((card, i) => read(T0 + 2 * HOUR + i * 1000, card)));
    const entries = store.pending().map((pending) => pending.entry);
    expect(entries).toHaveLength(18);
    // The fifth entry: the last of the first batch, found by writing that batch in halves.
    expect(entries[4]?.key).toBe(REFUSED);
    const sheet = refusingSheet(REFUSED);
    const events: DomainEvent[] = [];
    const failure = await new Promise<unknown>((done) => {
      drainOutbox(store, sheet, {
        scheduler: asyncScheduler,
        random: () => 0.5,
        batchSize: 5,
        deadlineMs: 10_000,
      }).subscribe({
        next: (event) => events.push(event),
        error: done,
        complete: () => {
          done(null);
        },
      });
    });

    expect(sheet.written).toEqual(entries.filter((e) => e.key !== REFUSED).map((e) => e.key));
    // Tried alone once, when its batch was halved down to it; never sent again after that.
    const alone = sheet.attempts.findIndex((keys) => keys.length === 1 && keys[0] === REFUSED);
    expect(alone).toBeGreaterThan(0);
    expect(sheet.attempts.slice(alone + 1).filter((keys) => keys.includes(REFUSED))).toEqual([]);

    // As the running clock leaves it: done, set aside with the sheet's reason, listed by status.
    expect(store.depth()).toBe(0);
    const status = store.status();
    expect(status.setAsideCount).toBe(1);
    expect(status.setAside.map((entry) => [entry.key, entry.failure])).toEqual([
      [REFUSED, REFUSAL],
    ]);
    // And said as the running clock says it (each refused attempt too): set aside once, not retried.
    const setAside = events.filter(
      (event) => event.type === 'sync-failed' && event.reason.includes('set aside'),
    );
    expect(setAside).toEqual([
      expect.objectContaining({
        what: 'outbox',
        reason: `${REFUSED} was set aside, not written to the sheet: ${REFUSAL}`,
        retryInMs: null,
      }),
    ]);

    expect(failure).toBeInstanceOf(DrainError);
    expect((failure as DrainError).message).toBe(
      'the sheet refused 1 replayed change(s) for good; set aside, not written (everything else is in the sheet):\n' +
        `  - ${REFUSED}: ${REFUSAL}\n` +
        'Fix what the reason names, then run the replay again (it does not duplicate rows).',
    );
  });

  it('each batch written says the backlog left after it, as the running clock does (down to 0)', async () => {
    const { play } = player(store);
    play(...CARDS.map((card, i) => read(T0 + i * 1000, card)));
    play(...CARDS.map((card, i) => read(T0 + 2 * HOUR + i * 1000, card)));
    expect(store.depth()).toBe(18);
    const sheet = refusingSheet('no such key');
    const events: DomainEvent[] = [];
    await new Promise<unknown>((done) => {
      drainOutbox(store, sheet, {
        scheduler: asyncScheduler,
        random: () => 0.5,
        batchSize: 5,
        deadlineMs: 10_000,
      }).subscribe({
        next: (event) => events.push(event),
        error: done,
        complete: () => {
          done(null);
        },
      });
    });
    // The backlog said was the depth before the batch was marked done: 18, 13, 8, 3.
    expect(
      events.map((event) => (event.type === 'synced' ? [event.count, event.backlog] : event.type)),
    ).toEqual([
      [5, 13],
      [5, 8],
      [5, 3],
      [3, 0],
    ]);
  });

  it('clock-ins a sheet refuses while it takes none (a full workbook) are kept, not set aside: the rest is marked done, and the drain ends saying so', async () => {
    const { play } = player(store);
    // Three unknown cards clock in: each is listed and opened (6 entries).
    play(...CARDS.slice(0, 3).map((card, i) => read(T0 + i * 1000, card)));
    const entries = store.pending().map((pending) => pending.entry);
    const FULL =
      'This action would increase the number of cells in the workbook above the limit of 10000000 cells. (400)';
    const written: string[] = [];
    const sheet = {
      writeBatch: (batch: readonly OutboxEntry[]): Promise<number> => {
        if (batch.some((entry) => entry.kind === 'session-opened'))
          return Promise.reject(new SheetError(FULL, 'final', null, 400));
        written.push(...batch.map((entry) => entry.key));
        return Promise.resolve(1);
      },
    };
    const failure = await new Promise<unknown>((done) => {
      drainOutbox(store, sheet, {
        scheduler: asyncScheduler,
        random: () => 0.5,
        batchSize: 10,
        deadlineMs: 10_000,
      }).subscribe({
        error: done,
        complete: () => {
          done(null);
        },
      });
    });

    const opens = entries.filter((e) => e.kind === 'session-opened').map((e) => e.key);
    expect(opens).toHaveLength(3);
    expect(written).toEqual(entries.filter((e) => e.kind === 'card-listed').map((e) => e.key));
    // Kept in the outbox for the clock (or the next replay), none set aside.
    expect(store.pending().map((pending) => pending.entry.key)).toEqual(opens);
    expect(store.status().setAsideCount).toBe(0);
    expect(failure).toBeInstanceOf(DrainError);
    expect((failure as DrainError).message).toContain('the sheet refused the replayed sessions');
    expect((failure as DrainError).message).toContain('(3 change(s) not written)');
  });
});
