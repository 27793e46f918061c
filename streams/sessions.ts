/**
 * The one reducer: every input event and the current state in, the next state
 * and what happened (domain events, commands) out. Pure: no I/O, no clock of
 * its own, no RxJS; time comes only from the events.
 */
import { emptyDirectory, lookUp, makeDirectory, nameOf, type Directory } from './directory';
import type {
  AutoClockedOut,
  CardRead,
  ClockEvent,
  ClockStarted,
  TimeSyncChanged,
  DirectoryLoaded,
  MinuteElapsed,
  Output,
} from './events';
import type { Rules } from './rules';
import { nextLocalTime, startOfLocalDay, toHours } from './zoned';

export interface OpenSession {
  readonly id: string;
  /** The key the session is kept under: the person's card id, or the unknown card's own id. */
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly reader: string;
  /** Monotonic time of the clock-in, when this process took it. */
  readonly inMono?: number;
}

/** A session whose times were taken on an unsynchronised clock, to correct once it syncs. */
export interface Unsynced {
  readonly session: string;
  readonly card: string;
  readonly inAt: number;
  readonly inMono?: number;
  readonly outAt: number | null;
  readonly outMono?: number;
}

/** Wall and monotonic clocks apart by more than this since the clock-in: the wall clock jumped. */
const JUMP_MS = 120_000;

/** A held card's sighting is kept (for a restart) at most this often. */
const KEEP_SIGHTING_MS = 1_000;

/** A closed session, kept briefly for the "today" total. */
interface ClosedSpan {
  readonly inAt: number;
  readonly outAt: number;
}

/** What the reducer remembers of one card between taps. */
interface CardMemory {
  /** Last sighting of this id (before alias resolution: each reader's id debounces itself). */
  readonly lastReadAt?: number;
  /** Last tap that clocked in or out (rule 3). */
  readonly lastAcceptedAt?: number;
  /** Its monotonic time, when this process took it: the guard then ignores wall-clock jumps. */
  readonly lastAcceptedMono?: number;
  readonly recent: readonly ClosedSpan[];
}

export interface ClockState {
  readonly open: ReadonlyMap<string, OpenSession>;
  readonly reads: ReadonlyMap<string, number>;
  readonly cards: ReadonlyMap<string, CardMemory>;
  readonly directory: Directory;
  /** Cards already handed to the directory for naming, so each is listed once. */
  readonly listed: ReadonlySet<string>;
  /** Cards whose sessions were stored without a name: named as soon as People names them. */
  readonly unnamed: ReadonlySet<string>;
  /** False while the system clock is not synchronised (taps are marked, then corrected). */
  readonly timeSynced?: boolean;
  /** For the health block: the last tap, and the last reader fault since a good read. */
  readonly lastTapAt?: number;
  readonly readerFault?: string | null;
  readonly unsynced?: ReadonlyMap<string, Unsynced>;
  /** When each held card's sighting was last kept (the throttle of `keepSighting`), by raw id. */
  readonly sightingsKept?: ReadonlyMap<string, number>;
  /**
   * After a restart, until the start: each raw id's last stored sighting, as
   * milliseconds before the last thing the clock stored (sighting or tap).
   */
  readonly restoredSightings?: ReadonlyMap<string, number>;
}

export interface Step {
  readonly state: ClockState;
  readonly out: readonly Output[];
}

export const initialState: ClockState = {
  open: new Map(),
  reads: new Map(),
  cards: new Map(),
  directory: emptyDirectory,
  listed: new Set(),
  unnamed: new Set(),
};

/** What the store remembers, enough to carry on after a restart. */
export interface Snapshot {
  readonly open: readonly OpenSession[];
  /** Last accepted tap (clock-in or clock-out) per card, for the guard. */
  readonly lastAccepted: readonly { readonly card: string; readonly at: number }[];
  /** Sessions closed recently, for the "today" total. */
  readonly recent: readonly {
    readonly card: string;
    readonly inAt: number;
    readonly outAt: number;
  }[];
  /** Cards already handed to the directory for naming. */
  readonly listed: readonly string[];
  /** Cards with sessions stored without a name. */
  readonly unnamed?: readonly string[];
  /** The last stored sighting of each raw id (a held card), and the last stored tap. */
  readonly sightings?: readonly { readonly card: string; readonly at: number }[];
  readonly lastTapAt?: number | null;
  /** Sessions taken on an unsynchronised clock in this boot, not corrected yet. */
  readonly unsynced?: readonly Unsynced[];
}

/** The state a restarted clock carries on from. */
export function restoreState(snapshot: Snapshot): ClockState {
  const cards = new Map<string, CardMemory>();
  const memory = (card: string): CardMemory => cards.get(card) ?? { recent: [] };
  for (const { card, at } of snapshot.lastAccepted)
    cards.set(card, { ...memory(card), lastAcceptedAt: at });
  for (const { card, inAt, outAt } of snapshot.recent) {
    const m = memory(card);
    cards.set(card, { ...m, recent: [...m.recent, { inAt, outAt }] });
  }
  // A card whose last sighting came just before the clock's last stored activity was most
  // likely still on the reader when the clock stopped: the start decides (it knows the rules).
  const sightings = snapshot.sightings ?? [];
  const lastActivity = Math.max(snapshot.lastTapAt ?? -Infinity, ...sightings.map((s) => s.at));
  return {
    ...initialState,
    open: new Map(snapshot.open.map((session) => [session.card, session])),
    cards,
    listed: new Set(snapshot.listed),
    unnamed: new Set(snapshot.unnamed ?? []),
    ...(snapshot.unsynced === undefined || snapshot.unsynced.length === 0
      ? {}
      : { unsynced: new Map(snapshot.unsynced.map((u) => [u.session, u])) }),
    ...(sightings.length === 0
      ? {}
      : {
          restoredSightings: new Map(sightings.map(({ card, at }) => [card, lastActivity - at])),
        }),
  };
}

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
        return onRead(state, event, rules);
      case 'minuteElapsed':
      case 'clockStarted':
        return onMinute(state, event, rules);
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

function onRead(state: ClockState, read: CardRead, rules: Rules): Step {
  // Rule 1: a sliding window per card id; every sighting extends the presentation.
  const previousRead = state.reads.get(read.card);
  const reads = new Map(state.reads).set(read.card, read.at);
  pruneReads(reads, read.at, rules.debounceMs);
  if (
    previousRead !== undefined &&
    read.at - previousRead < rules.debounceMs &&
    read.at >= previousRead
  ) {
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
  const name = nameOf(person);
  const out: Output[] = [{ type: 'tap', at: read.at, card, name, reader: read.reader }];
  const memory = state.cards.get(card) ?? { recent: [] };
  const open = state.open.get(card);

  // Rule 3: the guard, in either direction.
  const sinceAccepted =
    memory.lastAcceptedMono !== undefined && read.mono !== undefined
      ? read.mono - memory.lastAcceptedMono
      : memory.lastAcceptedAt === undefined
        ? undefined
        : read.at - memory.lastAcceptedAt;
  if (sinceAccepted !== undefined && sinceAccepted < rules.guardMs) {
    out.push({
      type: 'ignored',
      at: read.at,
      card,
      name,
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
    const outAt = honestNow(open, read);
    const hours = outAt - open.inAt;
    const recent = keepRecent([...memory.recent, { inAt: open.inAt, outAt }], outAt, rules);
    const todayMs = workedToday(recent, outAt, rules.zone);
    const openMap = new Map(next.open);
    openMap.delete(card);
    const cards = new Map(next.cards).set(card, {
      ...memory,
      lastAcceptedAt: read.at,
      ...(read.mono === undefined ? {} : { lastAcceptedMono: read.mono }),
      recent,
    });
    const unsynced = next.timeSynced === false;
    out.push({
      type: 'clock-out',
      at: outAt,
      card,
      name: name ?? open.name,
      session: open.id,
      reader: read.reader,
      inAt: open.inAt,
      hours: toHours(hours),
      todayHours: toHours(todayMs),
      ...(unsynced ? { unsynced: true as const } : {}),
      ...(unsynced && read.mono !== undefined ? { mono: read.mono } : {}),
    });
    const marked = unsynced
      ? markUnsynced(next, open.id, (u) => ({
          ...(u ?? {
            session: open.id,
            card,
            inAt: open.inAt,
            ...(open.inMono === undefined ? {} : { inMono: open.inMono }),
          }),
          outAt,
          ...(read.mono === undefined ? {} : { outMono: read.mono }),
        }))
      : next;
    return { state: { ...marked, open: openMap, cards }, out };
  }

  // Rule 5: unknown and deactivated cards. A deactivated card stays out even before it is named.
  if (person?.active === false) {
    out.push({ type: 'ignored', at: read.at, card, name, reason: 'inactive', reader: read.reader });
    return { state: next, out };
  }
  if (name === null) {
    out.push({
      type: 'unknown',
      at: read.at,
      card,
      name,
      policy: rules.unknownCards,
      reader: read.reader,
    });
    if (person === undefined && !next.listed.has(card)) {
      out.push({ type: 'listCard', at: read.at, card });
      next = { ...next, listed: new Set(next.listed).add(card) };
    }
    if (rules.unknownCards === 'reject') return { state: next, out };
  }

  // Rule 2: no open session, so this tap clocks in.
  const session: OpenSession = {
    id: sessionId(card, read.at),
    card,
    name,
    inAt: read.at,
    reader: read.reader,
    ...(read.mono === undefined ? {} : { inMono: read.mono }),
  };
  const cardMemory = next.cards.get(card) ?? memory;
  const unsynced = next.timeSynced === false;
  out.push({
    type: 'clock-in',
    at: read.at,
    card,
    name,
    session: session.id,
    reader: read.reader,
    ...(unsynced ? { unsynced: true as const } : {}),
    // Stored with the boot it belongs to, so a restart within the same boot still measures this
    // session honestly (a wall clock set forward then does not make it overdue).
    ...(read.mono !== undefined ? { mono: read.mono } : {}),
  });
  if (unsynced) {
    next = markUnsynced(next, session.id, () => ({
      session: session.id,
      card,
      inAt: read.at,
      outAt: null,
      ...(read.mono === undefined ? {} : { inMono: read.mono }),
    }));
  }
  return {
    state: {
      ...next,
      open: new Map(next.open).set(card, session),
      cards: new Map(next.cards).set(card, {
        ...cardMemory,
        lastAcceptedAt: read.at,
        ...(read.mono === undefined ? {} : { lastAcceptedMono: read.mono }),
      }),
      unnamed: name === null ? new Set(next.unnamed).add(card) : next.unnamed,
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
  // A session taken on an unsynchronised clock keeps its close there too, with the monotonic
  // time it stands for, so the correction moves its in and out alike.
  const taken = state.unsynced?.get(session.id);
  const inMono = taken?.inMono ?? session.inMono;
  const outMono =
    taken === undefined || inMono === undefined ? undefined : inMono + (at - session.inAt);
  const next =
    taken === undefined
      ? state
      : markUnsynced(state, session.id, () => ({
          ...taken,
          outAt: at,
          ...(outMono === undefined ? {} : { outMono }),
        }));
  return {
    state: { ...next, open, cards },
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
        ...(outMono === undefined ? {} : { mono: outMono }),
      },
    ],
  };
}

/**
 * Rule 1 across a restart: a card whose last stored sighting came within the
 * debounce window of the clock's last stored activity was still on the reader
 * when the clock stopped. Its presentation carries on from the start, so a
 * read in the first debounce window after it extends the presentation rather
 * than toggling its owner.
 */
function stillOnTheReader(state: ClockState, started: ClockStarted, rules: Rules): ClockState {
  const { restoredSightings, ...rest } = state;
  if (restoredSightings === undefined) return state;
  const reads = new Map(state.reads);
  for (const [card, beforeLast] of restoredSightings) {
    if (beforeLast < rules.debounceMs) reads.set(card, started.at);
  }
  return { ...rest, reads };
}

/** A continued presentation: the sighting is kept for a restart, at most once a second per id. */
function keepSighting(state: ClockState, reads: ReadonlyMap<string, number>, read: CardRead): Step {
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
function forgetKeptSighting(
  state: ClockState,
  card: string,
): Pick<ClockState, 'sightingsKept'> | Record<string, never> {
  if (state.sightingsKept?.has(card) !== true) return {};
  const sightingsKept = new Map(state.sightingsKept);
  sightingsKept.delete(card);
  return { sightingsKept };
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

function markUnsynced(
  state: ClockState,
  session: string,
  update: (old: Unsynced | undefined) => Unsynced,
): ClockState {
  const unsynced = new Map(state.unsynced ?? []);
  unsynced.set(session, update(unsynced.get(session)));
  return { ...state, unsynced };
}

/**
 * The system clock became synchronised (or lost it). Times taken before are
 * corrected from the monotonic clock: a tap `d` ms (monotonic) before the sync
 * happened `d` ms before the synchronised time of the sync.
 */
function onTimeSync(state: ClockState, event: TimeSyncChanged): Step {
  if (!event.synced) return { state: { ...state, timeSynced: false }, out: [] };
  const fix = (at: number, mono: number | undefined): number =>
    mono === undefined ? at : event.at - (event.mono - mono);
  const sessions = [...(state.unsynced ?? new Map<string, Unsynced>()).values()]
    .filter((u) => u.inMono !== undefined || u.outMono !== undefined)
    .map((u) => {
      const inAt = fix(u.inAt, u.inMono);
      // Never out before in (a close without its monotonic time is not moved with its in).
      return {
        session: u.session,
        card: u.card,
        inAt,
        outAt: u.outAt === null ? null : Math.max(inAt, fix(u.outAt, u.outMono)),
      };
    });
  // Found by session id: an open session may have followed its person to another card since.
  const open = new Map(state.open);
  const fixes = new Map(sessions.map((correction) => [correction.session, correction.inAt]));
  for (const [card, session] of state.open) {
    const inAt = fixes.get(session.id);
    if (inAt !== undefined) open.set(card, { ...session, inAt });
  }
  const next: ClockState = { ...state, open, timeSynced: true, unsynced: new Map() };
  return {
    state: next,
    out: sessions.length === 0 ? [] : [{ type: 'correctTimes', at: event.at, sessions }],
  };
}

function onDirectory(state: ClockState, event: DirectoryLoaded): Step {
  // The very list the directory was made from (People unchanged since the last read, which is
  // every minute): sessions, names and cards already follow it, so nothing can change.
  if (event.people === state.directory.people) return { state, out: [] };
  const directory = makeDirectory(event.people);
  const open = followThePerson(state.open, directory);
  const cards = moveCardMemory(state.cards, directory);
  // Cards clocked without a name get it filled into their rows once People names them (rule 5).
  const out: Output[] = [];
  const unnamed = new Set(state.unnamed);
  for (const card of state.unnamed) {
    const name = nameOf(lookUp(directory, card));
    if (name === null) continue;
    out.push({ type: 'nameCard', at: event.at, card, name });
    unnamed.delete(card);
  }
  // After the names (which the store fills in by the id the rows were taken under).
  for (const [card, session] of open) {
    if (state.open.get(session.card)?.id === session.id) continue;
    out.push({ type: 'followCard', at: event.at, session: session.id, card });
  }
  return { state: { ...state, directory, open, cards, unnamed }, out };
}

/**
 * Open sessions follow the person, not the raw id: a session kept under an id
 * People now lists as an alias of another card (or whose card became an alias
 * of a new card id) moves to that person's card, so their next tap with either
 * id clocks it out. If the person's card already has a session open, the
 * other stays where it is and is closed automatically at its limit: two open
 * sessions cannot be one, and guessing which of them is real would be worse.
 * Open sessions also pick up a name typed in while they were open.
 */
function followThePerson(
  sessions: ReadonlyMap<string, OpenSession>,
  directory: Directory,
): Map<string, OpenSession> {
  const open = new Map<string, OpenSession>();
  const moving: { readonly card: string; readonly session: OpenSession }[] = [];
  for (const [key, session] of sessions) {
    const person = lookUp(directory, key);
    const name = nameOf(person) ?? session.name;
    const named = name === session.name ? session : { ...session, name };
    const card = person?.card ?? key;
    if (card === key) open.set(key, named);
    else moving.push({ card, session: named });
  }
  // Oldest first, so which one moves when two would meet does not depend on map order.
  moving.sort((a, b) => a.session.inAt - b.session.inAt || a.card.localeCompare(b.card));
  for (const { card, session } of moving) {
    if (open.has(card)) open.set(session.card, session);
    else open.set(card, { ...session, card });
  }
  return open;
}

/** The guard and the "today" spans follow the person the same way (rule 3 holds across ids). */
function moveCardMemory(
  cards: ReadonlyMap<string, CardMemory>,
  directory: Directory,
): ReadonlyMap<string, CardMemory> {
  let moved: Map<string, CardMemory> | null = null;
  for (const [key, memory] of cards) {
    const card = lookUp(directory, key)?.card;
    if (card === undefined || card === key) continue;
    moved ??= new Map(cards);
    const target = moved.get(card);
    moved.delete(key);
    const later =
      target?.lastAcceptedAt === undefined ||
      (memory.lastAcceptedAt !== undefined && memory.lastAcceptedAt > target.lastAcceptedAt)
        ? memory
        : target;
    moved.set(card, {
      ...(later.lastAcceptedAt === undefined ? {} : { lastAcceptedAt: later.lastAcceptedAt }),
      ...(later.lastAcceptedMono === undefined ? {} : { lastAcceptedMono: later.lastAcceptedMono }),
      recent: [...(target?.recent ?? []), ...memory.recent],
    });
  }
  return moved ?? cards;
}

/** Time on closed sessions that falls on the local day of `at`. */
function workedToday(recent: readonly ClosedSpan[], at: number, zone: string): number {
  const dayStart = startOfLocalDay(at, zone);
  return recent.reduce(
    (sum, span) => sum + Math.max(0, Math.min(span.outAt, at) - Math.max(span.inAt, dayStart)),
    0,
  );
}

/** Keeps the spans that can still touch today's total (at most a limit and a day back). */
function keepRecent(spans: readonly ClosedSpan[], at: number, rules: Rules): ClosedSpan[] {
  const horizon = at - rules.limitMs - 26 * 3_600_000;
  return spans.filter((span) => span.outAt >= horizon);
}

/** Forgets sightings too old to debounce anything, so the map stays as small as the reader's traffic. */
function pruneReads(reads: Map<string, number>, now: number, debounceMs: number): void {
  if (reads.size < 64) return;
  for (const [card, at] of reads) {
    if (now - at >= debounceMs) reads.delete(card);
  }
}
