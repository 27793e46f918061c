/**
 * Presentations: a card held on the reader is seen on every poll; a person
 * checking the wiring (`badgeclock reader test`) wants it once. The clock's
 * own debounce is in the reducer (rules.ts); this is the same idea without
 * the rest of the rules, for the reader test.
 */
import { filter, map, scan, type OperatorFunction } from 'rxjs';
import type { CardRead, ReadRejected } from './events';

interface Seen {
  /** Last sighting per card still within the gap. */
  readonly last: ReadonlyMap<string, number>;
  readonly event: CardRead | ReadRejected;
  readonly fresh: boolean;
}

/**
 * Passes a card's first sighting and drops the sightings that follow it less
 * than `gapMs` apart (sliding: a card held for a minute is one presentation).
 * Rejections always pass. Memory holds only cards seen within the last gap.
 */
export function presentations(
  gapMs: number,
): OperatorFunction<CardRead | ReadRejected, CardRead | ReadRejected> {
  return (reads$) =>
    reads$.pipe(
      scan<CardRead | ReadRejected, Seen | null>((seen, event) => {
        const last = new Map([...(seen?.last ?? [])].filter(([, at]) => event.at - at < gapMs));
        if (event.type === 'readRejected') return { last, event, fresh: true };
        const fresh = !last.has(event.card);
        last.set(event.card, event.at);
        return { last, event, fresh };
      }, null),
      filter((seen): seen is Seen => seen !== null && seen.fresh),
      map((seen) => seen.event),
    );
}
