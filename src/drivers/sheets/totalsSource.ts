/**
 * The Totals table's provider for the sheet driver, over the store: the
 * sessions of the previous and the current pay period are read, and the
 * closed ones tallied, only when the store committed something since, People
 * changed (a row is a person: streams/personKey.ts) or a new period began;
 * each minute then adds the open sessions up to now. So a quiet minute costs
 * the open sessions' days and building the rows, never a query
 * (bench/totals.ts measures both).
 */
import {
  emptyDirectory,
  makeDirectory,
  type Directory,
  type Person,
} from '../../../streams/directory';
import type { PayPeriod } from '../../../streams/payPeriod';
import {
  tallySessions,
  totalsFrame,
  totalsTable,
  type Tally,
  type TotalsFrame,
  type TotalsSession,
  type TotalsTable,
} from '../../../streams/totals';

/** What the provider reads: the store's sessions (corrections applied) and its change count. */
export interface TotalsStore {
  sessionsBetween(from: number, to: number): readonly TotalsSession[];
  changes(): number;
}

/**
 * Makes `totalsOf(at, people)`, remembering the closed sessions' tally while the store and
 * `people` (the People list last read, the same list while People is unchanged; null before
 * any) are unchanged.
 */
export function makeTotalsSource(
  store: TotalsStore,
  payPeriod: PayPeriod,
  zone: string,
): (at: number, people?: readonly Person[] | null) => TotalsTable {
  let memo: {
    readonly changes: number;
    readonly people: readonly Person[] | null;
    readonly directory: Directory;
    readonly frame: TotalsFrame;
    readonly closed: Tally;
    readonly open: readonly TotalsSession[];
  } | null = null;
  return (at, people = null) => {
    const changes = store.changes();
    const current = memo?.frame.periods[0].bounds;
    if (
      memo === null ||
      memo.changes !== changes ||
      memo.people !== people ||
      current === undefined ||
      at < current.from ||
      at >= current.to
    ) {
      const directory =
        memo !== null && memo.people === people
          ? memo.directory
          : people === null
            ? emptyDirectory
            : makeDirectory(people);
      const frame = totalsFrame(at, payPeriod, zone);
      const sessions = store.sessionsBetween(
        frame.periods[1].bounds.from,
        frame.periods[0].bounds.to,
      );
      const closed = tallySessions(
        sessions.filter((s) => s.outAt !== null),
        frame,
        (s) => s.outAt ?? at,
        directory,
      );
      const open = sessions.filter((s) => s.outAt === null);
      memo = { changes, people, directory, frame, closed, open };
    }
    return totalsTable(memo.frame, memo.closed, memo.open, at, memo.directory);
  };
}
