/**
 * Another door's tap, shared through the broker (docs/multi-door.md). It was
 * already debounced at its door, so it skips this door's debounce and held-card
 * memory; and it is folded here only when it comes in order for its person.
 *
 * In order means: nothing this replica already folded for the same person is
 * later than the tap (no accepted tap, no clock-in, no close). Then folding it
 * now gives exactly what one clock folding the merged log in time order gives,
 * because a tap only ever meets its own person's state. Otherwise it is late
 * (its door was cut off, or the broker held it): kept for the replay from a
 * snapshot before it, never folded out of place.
 *
 * What was folded is judged by the clock's own times (`foldedUntil`), not by the
 * spans a manager's correction left: a session shortened or voided after the
 * clock closed it still ends, for the merged log, where the clock closed it, and
 * a tap inside it is late (else it clocks in a phantom the other doors do not).
 * Only another door's taps are judged so: a local tap comes in real time.
 *
 * A session a manager closed while it was open (an Out typed into it, or void) was not closed
 * by the clock: for the merged log it is open until the correction, so another door's tap
 * after its clock-in may be its clock-out (a cut-off door's backlog), and is late: the refold
 * folds it, and leaves the session as the manager closed it if no tap closes it before.
 * Doors hear of such a close from the hub (onSharedCorrection).
 */
import { onCorrection } from './corrections';
import { lookUp } from './directory';
import type { CardRead, CorrectionJudged, Output, Refold } from './events';
import { refoldRequest } from './refold';
import type { Rules } from './rules';
import type { ClockState, Step } from './sessionState';

/** Whether a tap from another door comes after everything already folded for its person. */
export function inOrderForPerson(state: ClockState, card: string, read: CardRead): boolean {
  const memory = state.cards.get(card);
  const open = state.open.get(card);
  if (open !== undefined && open.inAt > read.at) return false;
  if (memory === undefined) return true;
  if (memory.foldedUntil !== undefined && memory.foldedUntil > read.at) return false;
  // A session a manager closed while open is open for the merged log until then: a tap in it
  // may be its clock-out, which the refold folds (refold.ts), not a clock-in.
  if (memory.fixClosed !== undefined && memory.fixClosed.inAt <= read.at) return false;
  if (memory.lastAcceptedAt !== undefined && memory.lastAcceptedAt > read.at) return false;
  return memory.recent.every((span) => span.outAt <= read.at);
}

/** The event a late tap gives: the store keeps it for the replay; no state changes. */
export function lateTap(read: CardRead & { readonly origin: string }, card: string): Output {
  return {
    type: 'tap-late',
    at: read.at,
    card,
    name: null,
    reader: read.reader,
    origin: read.origin,
  };
}

/**
 * The hub's correction at a door: applied as the hub judged it (onCorrection). One that closed
 * a session the hub had open, which is not open here (a tap closed it first, this door's or
 * one the hub had not folded yet; or a refold did), asks for the person's refold from the
 * correction's time: the fold decides, as the hub's does, whether a tap or the manager closed
 * it, and a tap after the manager's close becomes a clock-in.
 */
export function onSharedCorrection(state: ClockState, event: CorrectionJudged, rules: Rules): Step {
  const step = onCorrection(state, event, rules);
  if (!event.applied || !event.closes || state.open.get(event.card)?.id === event.session) {
    return step;
  }
  const { card } = event;
  const person = lookUp(state.directory, card);
  const ids = [card, ...(person?.aliases ?? [])].filter(
    (id) => id === card || lookUp(state.directory, id)?.card === card,
  );
  // Not in People (yet: at a start, before it is loaded): the store finds their raw ids.
  const refold: Refold =
    person === undefined ? { type: 'refold', at: event.at, card } : refoldRequest(event, card, ids);
  const out = step.out.map((o) => (o.type === 'correction' ? { ...o, refolds: true as const } : o));
  return { state: step.state, out: [...out, refold] };
}
