/**
 * The one reducer: every input event and the current state in, the next state
 * and what happened (domain events, commands) out. Pure: no I/O, no clock of
 * its own, no RxJS; time comes only from the events.
 *
 * Its pieces: this file decides taps and auto clock-outs (rules 1-5); the
 * state and its restore are in sessionState.ts, held cards in sightings.ts, a
 * new People list in peopleChanged.ts, and the time-correction slice (taps
 * taken before the clock synchronised) in timeCorrection.ts.
 */
import { lookUp, nameOf, type Person } from './directory';
import type {
  AutoClockedOut,
  CardRead,
  ClockEvent,
  ClockStarted,
  MinuteElapsed,
  Output,
} from './events';
import { onDirectory } from './peopleChanged';
import type { Rules } from './rules';
import {
  keepRecent,
  workedToday,
  type CardMemory,
  type ClockState,
  type OpenSession,
  type Step,
} from './sessionState';
import {
  forgetKeptSighting,
  keepSighting,
  pruneReads,
  sinceSighting,
  stillOnTheReader,
} from './sightings';
import { markTaken, onTimeSync } from './timeCorrection';
import { nextLocalTime, toHours } from './zoned';

export {
  initialState,
  restoreState,
  type ClockState,
  type OpenSession,
  type Snapshot,
  type Step,
} from './sessionState';
export type { Unsynced } from './timeCorrection';

/** Wall and monotonic clocks apart by more than this since the clock-in: the wall clock jumped. */
const JUMP_MS = 120_000;

/** Session ids are derived from card and clock-in instant: stable across replays and restarts. */
export function sessionId(card: string, inAt: number): string {
  return `${new Date(inAt).toISOString().replace(/[-:]/g, '')}-${card}`;
}

/** When an open session must be closed automatically: the limit, or the cut-off if earlier. */
export function autoCloseAt(
  session: Pick<OpenSession, 'inAt'>,
  rules: Rules,
): { at: number; reason: 'limit' | 'cutoff' } {
  const limit = session.inAt + rules.limitMs;
  if (rules.dailyCutoff !== null) {
    const cutoff = nextLocalTime(session.inAt, rules.dailyCutoff, rules.zone);
    if (cutoff < limit) return { at: cutoff, reason: 'cutoff' };
  }
  return { at: limit, reason: 'limit' };
}

/** Makes the reducer for a set of rules. */
export function makeReducer(rules: Rules): (state: ClockState, event: ClockEvent) => Step {
  return (state, event) => {
    switch (event.type) {
      case 'cardRead':
        return markTaken(state, event, onRead(state, event, rules));
      case 'minuteElapsed':
      case 'clockStarted':
        return markTaken(state, event, onMinute(state, event, rules));
      case 'directoryLoaded':
        return onDirectory(state, event);
      case 'timeSyncChanged':
        return onTimeSync(state, event);
      case 'readRejected':
        return {
          state: { ...state, readerFault: event.reason },
          out: [{ type: 'reader-fault', at: event.at, reader: event.reader, reason: event.reason }],
        };
      default:
        // Sync events belong to the sync slice (streams/sync.ts).
        return { state, out: [] };
    }
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
  // Rule 1: a sliding window per card id; every sighting extends the presentation.
  const previousRead = state.reads.get(read.card);
  const sighting = { at: read.at, mono: read.mono };
  const reads = new Map(state.reads).set(read.card, sighting);
  pruneReads(reads, sighting, rules.debounceMs);
  if (previousRead !== undefined && sinceSighting(previousRead, sighting) < rules.debounceMs) {
    return keepSighting(state, reads, read);
  }
  let next: ClockState = {
    ...state,
    reads,
    ...forgetKeptSighting(state, read.card),
    lastTapAt: read.at,
    readerFault: null,
  };

  const person = lookUp(state.directory, read.card);
  const card = person?.card ?? read.card;
  const tap: Tap = {
    read,
    person,
    card,
    name: nameOf(person),
    memory: state.cards.get(card) ?? { recent: [] },
  };
  const out: Output[] = [{ type: 'tap', at: read.at, card, name: tap.name, reader: read.reader }];
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
  if (open !== undefined && autoCloseAt(open, rules).at <= honestNow(open, read)) {
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
 * card is listed for naming once, and clocks in or not by the policy.
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
  if (name !== null) return { state, out, refused: false };
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

/** Rule 3: less than the guard interval since this card's last accepted tap (in or out). */
function guarded({ read, memory }: Tap, rules: Rules): boolean {
  const sinceAccepted =
    memory.lastAcceptedMono !== undefined && read.mono !== undefined
      ? read.mono - memory.lastAcceptedMono
      : memory.lastAcceptedAt === undefined
        ? undefined
        : read.at - memory.lastAcceptedAt;
  return sinceAccepted !== undefined && sinceAccepted < rules.guardMs;
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
    ...memory,
    lastAcceptedAt: read.at,
    ...(read.mono === undefined ? {} : { lastAcceptedMono: read.mono }),
    recent,
  });
  out.push({
    type: 'clock-out',
    at: outAt,
    card,
    name: name ?? open.name,
    session: open.id,
    reader: read.reader,
    inAt: open.inAt,
    hours: toHours(outAt - open.inAt),
    todayHours: toHours(workedToday(recent, outAt, rules.zone)),
  });
  return { state: { ...state, open: openMap, cards }, out };
}

/** The tap opens a session under the card (the person's card, or the unknown card's own id). */
function clockIn(state: ClockState, tap: Tap, out: Output[]): Step {
  const { read, card, name, memory } = tap;
  const session: OpenSession = {
    id: sessionId(card, read.at),
    card,
    name,
    inAt: read.at,
    reader: read.reader,
    ...(read.mono === undefined ? {} : { inMono: read.mono }),
  };
  out.push({
    type: 'clock-in',
    at: read.at,
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
      cards: new Map(state.cards).set(card, {
        ...cardMemory,
        lastAcceptedAt: read.at,
        ...(read.mono === undefined ? {} : { lastAcceptedMono: read.mono }),
      }),
      unnamed: name === null ? new Set(state.unnamed).add(card) : state.unnamed,
    },
    out,
  };
}

function onMinute(state: ClockState, tick: MinuteElapsed | ClockStarted, rules: Rules): Step {
  let next = tick.type === 'clockStarted' ? stillOnTheReader(state, tick, rules) : state;
  const out: Output[] = [];
  // Oldest first, so auto clock-outs come out in the order they happened. Overdue is measured
  // honestly, as for a tap: NTP stepping a stale clock forward does not age a session.
  const due = [...state.open.values()]
    .map((session) => ({ session, close: autoCloseAt(session, rules) }))
    .filter(({ session, close }) => close.at <= honestNow(session, tick))
    .sort((a, b) => a.close.at - b.close.at || a.session.card.localeCompare(b.session.card));
  for (const { session } of due) {
    const closed = autoClose(next, session, rules);
    next = closed.state;
    out.push(...closed.out);
  }
  return { state: next, out };
}

function autoClose(
  state: ClockState,
  session: OpenSession,
  rules: Rules,
): { state: ClockState; out: [AutoClockedOut] } {
  const { at, reason } = autoCloseAt(session, rules);
  const memory = state.cards.get(session.card) ?? { recent: [] };
  const open = new Map(state.open);
  open.delete(session.card);
  const recent = keepRecent([...memory.recent, { inAt: session.inAt, outAt: at }], at, rules);
  // The auto clock-out is not a tap: it does not move the guard.
  const cards = new Map(state.cards).set(session.card, { ...memory, recent });
  return {
    state: { ...state, open, cards },
    out: [
      {
        type: 'auto-out',
        at,
        card: session.card,
        name: nameOf(lookUp(state.directory, session.card)) ?? session.name,
        session: session.id,
        inAt: session.inAt,
        hours: toHours(at - session.inAt),
        reason,
      },
    ],
  };
}

/**
 * Where an open session really stands at a read or a tick, in the time frame
 * of its clock-in. Normally the event's wall time; but if the wall clock
 * jumped since the clock-in (NTP setting a Pi's clock, a person changing it),
 * the monotonic clock says how long really passed, so no session gets a
 * negative or absurd duration, nor is closed as overdue a minute after it began.
 */
function honestNow(
  open: OpenSession,
  event: { readonly at: number; readonly mono?: number | undefined },
): number {
  if (open.inMono !== undefined && event.mono !== undefined) {
    const real = event.mono - open.inMono;
    if (Math.abs(event.at - open.inAt - real) > JUMP_MS) return open.inAt + Math.max(0, real);
  }
  return Math.max(event.at, open.inAt);
}
