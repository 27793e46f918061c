/**
 * The one reducer: every input event and the current state in, the next state
 * and what happened (domain events, commands) out. Pure: no I/O, no clock of
 * its own, no RxJS; time comes only from the events.
 *
 * Its pieces: this file decides taps (rules 1-3, 5); auto clock-outs (rule 4)
 * are in autoClose.ts, enrolment at the reader (rule 14) in enrolment.ts; the
 * state and its restore are in sessionState.ts, held cards in sightings.ts, a
 * new People list in peopleChanged.ts, and the time-correction slice (taps
 * taken before the clock synchronised) in timeCorrection.ts.
 */
import { autoClose, closeOf, honestNow, onMinute } from './autoClose';
import { onCorrection } from './corrections';
import { lookUp, nameOf, type Person } from './directory';
import type { CardRead, ClockEvent, ReadRejected, Output } from './events';
import { onDirectory } from './peopleChanged';
import type { Rules } from './rules';
import {
  foldedTo,
  keepRecent,
  sessionId,
  workedThisWeek,
  workedToday,
  type CardMemory,
  type ClockState,
  type OpenSession,
  type Step,
  withoutFixClosed,
} from './sessionState';
import { closeExpiredEnrolments, enrolAtTheReader, enrolReader, namedForRule5 } from './enrolment';
import { forgetKeptSighting, keepSighting, pruneReads, sinceSighting } from './sightings';
import { markTaken, onTimeSync } from './timeCorrection';
import { inOrderForPerson, lateTap, onSharedCorrection } from './remoteTaps';
import { onRefoldHistory, refoldRequest } from './refold';
import { freeInstant, withIdAt } from './sessionIds';
import { toHours } from './zoned';

export {
  initialState,
  restoreState,
  sessionId,
  type ClockState,
  type OpenSession,
  type Snapshot,
  type Step,
} from './sessionState';
export type { Unsynced } from './timeCorrection';
export { autoCloseAt } from './autoClose';

/** Makes the reducer for a set of rules. */
export function makeReducer(rules: Rules): (state: ClockState, event: ClockEvent) => Step {
  return (state, event) => {
    switch (event.type) {
      case 'cardRead':
        // Another door's tap keeps its door's time: this door's clock corrections are not its.
        return event.origin !== undefined
          ? onRead(state, event, rules)
          : markTaken(state, event, onRead(state, event, rules));
      case 'minuteElapsed':
      case 'clockStarted':
        return markTaken(state, event, onMinute(state, event, rules));
      case 'directoryLoaded':
        return onDirectory(state, event);
      case 'timeSyncChanged':
        return onTimeSync(state, event, rules);
      case 'correctionJudged':
        // The hub's, at a door: as the hub judged it (remoteTaps.ts).
        return event.origin === undefined
          ? onCorrection(state, event, rules)
          : onSharedCorrection(state, event, rules);
      case 'readRejected':
        return onRejected(state, event);
      case 'refoldHistory':
        // The fold goes in time order: each tap is taken as it comes (no lateness to judge).
        return onRefoldHistory(state, event, (s, read) => onTap(s, read, rules), rules);
      default:
        // Sync events belong to the sync slice (streams/sync.ts).
        return { state, out: [] };
    }
  };
}

/**
 * Something a reader could not take: a fault of the reader, or a card that
 * can't be a badge (a random UID), which gets the unknown-card feedback with
 * the reason and is never listed nor clocked, whatever the policy.
 */
function onRejected(state: ClockState, event: ReadRejected): Step {
  if (event.card === undefined) {
    return {
      state: { ...state, readerFault: event.reason },
      out: [{ type: 'reader-fault', at: event.at, reader: event.reader, reason: event.reason }],
    };
  }
  const { at, card, reader, reason } = event;
  return {
    state: { ...state, lastTapAt: at, readerFault: null },
    out: [{ type: 'unknown', at, card, name: null, policy: 'reject', reader, reason }],
  };
}

/** What a read is about: the person (by card id or alias), the card sessions are kept under. */
interface Tap {
  readonly read: CardRead;
  readonly person: Person | undefined;
  readonly card: string;
  readonly name: string | null;
  readonly memory: CardMemory;
}

function onRead(state: ClockState, read: CardRead, rules: Rules): Step {
  // Another door's tap was debounced at its door; it is folded only in order (remoteTaps.ts).
  if (read.origin !== undefined) return onRemoteTap(state, { ...read, origin: read.origin }, rules);
  // Rule 1: a sliding window per card id; every sighting extends the presentation.
  const previousRead = state.reads.get(read.card);
  const sighting = { at: read.at, mono: read.mono };
  const reads = new Map(state.reads).set(read.card, sighting);
  pruneReads(reads, sighting, rules.debounceMs);
  if (previousRead !== undefined && sinceSighting(previousRead, sighting) < rules.debounceMs) {
    return keepSighting(state, reads, read);
  }
  const next: ClockState = {
    ...state,
    reads,
    ...forgetKeptSighting(state, read.card),
    lastTapAt: read.at,
    readerFault: null,
  };
  return onTap(next, read, rules);
}

/** Another door's tap: the same rules, unless it is late for its person (kept for the replay). */
function onRemoteTap(
  state: ClockState,
  read: CardRead & { readonly origin: string },
  rules: Rules,
): Step {
  const person = lookUp(state.directory, read.card);
  const card = person?.card ?? read.card;
  // Late: kept, and the person's taps folded again from before it (refold.ts, via the store).
  if (!inOrderForPerson(state, card, read)) {
    // Their raw ids as People gives them: an alias listed under another person is not theirs.
    const ids = [card, ...(person?.aliases ?? []), read.card].filter(
      (id) => id === card || lookUp(state.directory, id)?.card === card,
    );
    return { state, out: [lateTap(read, card), refoldRequest(read, card, ids)] };
  }
  return onTap(state, read, rules);
}

/** A presentation past the debounce: rules 2-5 and enrolment (rule 14) decide what it does. */
function onTap(state: ClockState, read: CardRead, rules: Rules): Step {
  let next = state;
  const person = lookUp(state.directory, read.card);
  const card = person?.card ?? read.card;
  const tap: Tap = {
    read,
    person,
    card,
    name: nameOf(person),
    memory: state.cards.get(card) ?? { recent: [] },
  };
  const expired = closeExpiredEnrolments(next, read, rules);
  next = expired.state;
  const out: Output[] = [
    ...expired.out,
    {
      type: 'tap',
      at: read.at,
      card,
      name: tap.name,
      reader: read.reader,
      ...(read.origin === undefined ? {} : { origin: read.origin }),
    },
  ];
  // Rule 14: an admin card, or a card at a reader where enrolment is open, never clocks.
  const reader = enrolReader(read);
  const enrolled = enrolAtTheReader(next, { read, reader, person }, rules, out);
  if (enrolled !== null) return enrolled;
  const open = state.open.get(card);

  // Rule 3: the guard, in either direction.
  if (guarded(tap, rules)) {
    out.push({
      type: 'ignored',
      at: read.at,
      card,
      name: tap.name,
      reason: 'double-tap',
      reader: read.reader,
    });
    return { state: next, out };
  }

  // Rule 4: a session already past its limit is closed there before this tap counts.
  // (Measured honestly: a wall clock set forward does not make a session overdue.)
  if (open !== undefined && closeOf(next, open, rules).at <= honestNow(open, read)) {
    const closed = autoClose(next, open, rules);
    next = closed.state;
    out.push(...closed.out);
  } else if (open !== undefined) {
    return clockOut(next, open, tap, rules, out);
  }

  // Rule 5: unknown and deactivated cards.
  const admitted = admit(next, tap, rules, out);
  if (admitted.refused) return { state: admitted.state, out };
  next = admitted.state;

  // Rule 2: no open session, so this tap clocks in.
  return clockIn(next, tap, out);
}

/**
 * Rule 5: a deactivated card stays out (even before it is named); an unknown
 * card is listed for naming once, and clocks in or not by the policy (a card
 * enrolled at the reader is unknown to `reject` until named: enrolment.ts).
 */
function admit(
  state: ClockState,
  { read, person, card, name }: Tap,
  rules: Rules,
  out: Output[],
): Step & { readonly refused: boolean } {
  if (person?.active === false) {
    out.push({ type: 'ignored', at: read.at, card, name, reason: 'inactive', reader: read.reader });
    return { state, out, refused: true };
  }
  if (namedForRule5(state, card, name, rules)) return { state, out, refused: false };
  out.push({
    type: 'unknown',
    at: read.at,
    card,
    name,
    policy: rules.unknownCards,
    reader: read.reader,
  });
  let next = state;
  if (person === undefined && !state.listed.has(card)) {
    out.push({ type: 'listCard', at: read.at, card });
    next = { ...state, listed: new Set(state.listed).add(card) };
  }
  return { state: next, out, refused: rules.unknownCards === 'reject' };
}

/**
 * Rule 3: less than the guard interval since this card's last accepted tap (in or out). By the
 * wall clock only when the monotonic one cannot tell (another boot); a last tap the wall clock
 * puts ahead of now (stamped by a clock stepped forward before a reboot) guards nothing: how
 * long ago it was cannot be told, and ignoring taps until the wall catches up would stop the
 * clock for as long as the step (rule 12).
 */
function guarded({ read, memory }: Tap, rules: Rules): boolean {
  const sinceAccepted =
    memory.lastAcceptedMono !== undefined && read.mono !== undefined
      ? read.mono - memory.lastAcceptedMono
      : memory.lastAcceptedAt === undefined
        ? undefined
        : read.at - memory.lastAcceptedAt;
  return sinceAccepted !== undefined && sinceAccepted >= 0 && sinceAccepted < rules.guardMs;
}

/**
 * The memory of an accepted tap (rule 3): its wall time, and its monotonic time when it has one.
 * Another door's tap has none, and an older tap's must not measure the guard after it.
 */
function acceptedBy(memory: CardMemory, read: CardRead): CardMemory {
  const { lastAcceptedMono, ...rest } = memory;
  return {
    ...(lastAcceptedMono === undefined ? memory : rest),
    lastAcceptedAt: read.at,
    ...(read.mono === undefined ? {} : { lastAcceptedMono: read.mono }),
  };
}

/** The tap closes the card's open session, with the real elapsed time and today's total. */
function clockOut(
  state: ClockState,
  open: OpenSession,
  tap: Tap,
  rules: Rules,
  out: Output[],
): Step {
  const { read, card, name, memory } = tap;
  const outAt = honestNow(open, read);
  const recent = keepRecent([...memory.recent, { inAt: open.inAt, outAt }], outAt, rules);
  const openMap = new Map(state.open);
  openMap.delete(card);
  const cards = new Map(state.cards).set(card, {
    ...acceptedBy(foldedTo(memory, outAt), read),
    recent,
  });
  out.push({
    type: 'clock-out',
    at: outAt,
    card,
    name: name ?? open.name,
    session: open.id,
    reader: read.reader,
    ...(open.reader === read.reader ? {} : { inReader: open.reader }),
    inAt: open.inAt,
    hours: toHours(outAt - open.inAt),
    todayHours: toHours(workedToday(recent, outAt, rules.zone)),
    weekHours: toHours(workedThisWeek(recent, outAt, rules)),
    ...(read.mono === undefined ? {} : { tapMono: read.mono }),
  });
  return { state: { ...state, open: openMap, cards }, out };
}

/** The tap opens a session under the card (the person's card, or the unknown card's own id). */
function clockIn(state: ClockState, tap: Tap, out: Output[]): Step {
  const { read, card, name, memory } = tap;
  const inAt = freeInstant(read.at, memory);
  const session: OpenSession = {
    id: sessionId(card, inAt),
    card,
    name,
    inAt,
    reader: read.reader,
    ...(read.mono === undefined ? {} : { inMono: read.mono }),
  };
  out.push({
    type: 'clock-in',
    at: inAt,
    card,
    name,
    session: session.id,
    reader: read.reader,
    // Stored with the boot it belongs to, so a restart within the same boot still measures this
    // session honestly (a wall clock set forward then does not make it overdue).
    ...(read.mono !== undefined ? { mono: read.mono } : {}),
  });
  const cardMemory = state.cards.get(card) ?? memory;
  return {
    state: {
      ...state,
      open: new Map(state.open).set(card, session),
      cards: new Map(state.cards).set(
        card,
        acceptedBy(foldedTo(withIdAt(withoutFixClosed(cardMemory), inAt), inAt), read),
      ),
      unnamed: name === null ? new Set(state.unnamed).add(card) : state.unnamed,
    },
    out,
  };
}
