/**
 * Sightings: rule 1 (a card held on the reader is one presentation) between
 * reads and across a restart. A held card's sighting is kept in the store at
 * most once a second, so a restart can tell it was still on the reader.
 */
import type { CardRead, ClockStarted } from './events';
import type { Rules } from './rules';
import type { ClockState, Sighting, Step } from './sessionState';

/** A held card's sighting is kept (for a restart) at most this often. */
const KEEP_SIGHTING_MS = 1_000;

/**
 * Rule 1 across a restart: a card whose last stored sighting came within the
 * debounce window of the clock's last stored activity was still on the reader
 * when the clock stopped. Its presentation carries on from the start, so a
 * read in the first debounce window after it extends the presentation rather
 * than toggling its owner.
 */
export function stillOnTheReader(
  state: ClockState,
  started: ClockStarted,
  rules: Rules,
): ClockState {
  const { restoredSightings, ...rest } = state;
  if (restoredSightings === undefined) return state;
  const reads = new Map(state.reads);
  for (const [card, beforeLast] of restoredSightings) {
    if (beforeLast < rules.debounceMs) reads.set(card, { at: started.at, mono: started.mono });
  }
  return { ...rest, reads };
}

/** A continued presentation: the sighting is kept for a restart, at most once a second per id. */
export function keepSighting(
  state: ClockState,
  reads: ReadonlyMap<string, Sighting>,
  read: CardRead,
): Step {
  const kept = state.sightingsKept?.get(read.card);
  if (kept !== undefined && read.at >= kept && read.at - kept < KEEP_SIGHTING_MS) {
    return { state: { ...state, reads }, out: [] };
  }
  const sightingsKept = new Map(state.sightingsKept ?? []).set(read.card, read.at);
  // As small as the reads it throttles.
  if (sightingsKept.size >= 64) {
    for (const card of sightingsKept.keys()) if (!reads.has(card)) sightingsKept.delete(card);
  }
  return {
    state: { ...state, reads, sightingsKept },
    out: [{ type: 'keepSighting', at: read.at, card: read.card, reader: read.reader }],
  };
}

/** A new presentation starts its own throttle. */
export function forgetKeptSighting(
  state: ClockState,
  card: string,
): Pick<ClockState, 'sightingsKept'> | Record<string, never> {
  if (state.sightingsKept?.has(card) !== true) return {};
  const sightingsKept = new Map(state.sightingsKept);
  sightingsKept.delete(card);
  return { sightingsKept };
}

/**
 * How long after `previous` the sighting `now` came: by the monotonic clock
 * when both have one, so a wall clock stepped back or forward under a held
 * card does not split its presentation; by the wall clock otherwise, where
 * a step back (negative) counts as a new presentation.
 */
export function sinceSighting(previous: Sighting, now: Sighting): number {
  if (previous.mono !== undefined && now.mono !== undefined) return now.mono - previous.mono;
  const apart = now.at - previous.at;
  return apart >= 0 ? apart : Infinity;
}

/** Forgets sightings too old to debounce anything, so the map stays as small as the reader's traffic. */
export function pruneReads(reads: Map<string, Sighting>, now: Sighting, debounceMs: number): void {
  if (reads.size < 64) return;
  for (const [card, sighting] of reads) {
    if (sinceSighting(sighting, now) >= debounceMs) reads.delete(card);
  }
}
