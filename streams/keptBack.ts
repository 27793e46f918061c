/**
 * Entries the sheet driver kept back: refused where the fault may not be
 * theirs (the sheet took no other entry of their kind meanwhile). Each waits,
 * with the entries that build on it (heldBack.ts), one park the first time,
 * twice as long each time it is kept again, an hour at most: a refusal that
 * lasts costs a few requests an hour, not a few every 5 minutes. It waits no
 * longer once the sheet takes an entry of its kind: then the fault is over
 * (the workbook has room again), or it was the entry's own, which the driver
 * finds on the next try and sets the entry aside.
 */
import type { OutboxEntry } from './commit';
import type { Output } from './events';
import type { BatchSynced } from './syncEvents';

/** One entry kept back: its kind, when it was kept, till when it waits, and how often it was. */
export interface Kept {
  readonly key: string;
  readonly kind: OutboxEntry['kind'];
  readonly from: number;
  readonly until: number;
  readonly times: number;
}

/** The longest wait of an entry kept again and again, in parks. */
export const KEPT_MAX_PARKS = 12;

/**
 * The entries kept back after a batch (`head`: the entries it was sent from): those it wrote or
 * set aside are gone; those it kept wait anew, longer than last time; those of a kind it wrote
 * wait no more.
 */
export function keptAfter(
  kept: readonly Kept[],
  head: readonly OutboxEntry[],
  event: BatchSynced,
  parkMs: number,
): Kept[] {
  const byKey = new Map(head.map((entry) => [entry.key, entry]));
  const again = new Set(event.kept?.keys ?? []);
  const gone = new Set([...event.keys, ...(event.setAside ?? []).map(({ key }) => key), ...again]);
  const taken = new Set(event.keys.map((key) => byKey.get(key)?.kind));
  const before = new Map(kept.map((entry) => [entry.key, entry]));
  const stay = kept
    .filter((entry) => !gone.has(entry.key))
    .map((entry) => (taken.has(entry.kind) ? { ...entry, until: event.at } : entry));
  const fresh = [...again].flatMap((key): Kept[] => {
    const entry = byKey.get(key);
    if (entry === undefined) return [];
    const times = (before.get(key)?.times ?? 0) + 1;
    const waitMs = parkMs * Math.min(2 ** (times - 1), KEPT_MAX_PARKS);
    return [{ key, kind: entry.kind, from: event.at, until: event.at + waitMs, times }];
  });
  return [...stay, ...fresh];
}

/** The keys still waiting at `at` (a wall clock set back before an entry was kept ends its wait). */
export function waitingAt(kept: readonly Kept[], at: number): ReadonlySet<string> {
  return new Set(kept.filter(({ from, until }) => from <= at && at < until).map(({ key }) => key));
}

/** What a batch kept back is reported as: not written, not set aside, sent again after its wait. */
export function keptReport(event: BatchSynced, kept: readonly Kept[], backlog: number): Output[] {
  if (event.kept === undefined) return [];
  const [first, ...more] = event.kept.keys;
  const which = `${first ?? ''}${more.length > 0 ? ` and ${more.length} more` : ''}`;
  const count = event.kept.keys.length === 1 ? '1 change' : `${event.kept.keys.length} changes`;
  const wait = kept.find((entry) => entry.key === first);
  return [
    {
      type: 'sync-failed',
      at: event.at,
      what: 'outbox',
      reason: `${count} kept back (${which}), not set aside: ${event.kept.reason}`,
      backlog,
      retryInMs: wait === undefined ? null : wait.until - event.at,
    },
  ];
}
