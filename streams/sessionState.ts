/**
 * The sessions state: what the reducer knows between two events (open
 * sessions, each card's memory, the directory), where it starts, and how a
 * restarted clock gets it back from the store's snapshot.
 */
import { emptyDirectory, makeDirectory, type Directory } from './directory';
import { withEnrolments } from './enrolment';
import type { Output } from './events';
import type { Rules } from './rules';
import { idInstants } from './sessionIds';
import { startOfLocalDay, startOfLocalWeek } from './zoned';
import type { Unsynced } from './timeCorrection';

export interface OpenSession {
  readonly id: string;
  /** The key the session is kept under: the person's card id, or the unknown card's own id. */
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly reader: string;
  /** Monotonic time of the clock-in, when this process took it. */
  readonly inMono?: number;
  /**
   * Clocked in on a clock not synchronised, its In not corrected (a reboot lost the monotonic
   * time it needed): its day is not known, so it has no daily cut-off, only its limit.
   */
  readonly inUnsynced?: true;
}

/** A closed session, kept briefly for the "today" total. */
export interface ClosedSpan {
  readonly inAt: number;
  readonly outAt: number;
}

/** What the reducer remembers of one card between taps. */
export interface CardMemory {
  /** Last sighting of this id (before alias resolution: each reader's id debounces itself). */
  readonly lastReadAt?: number;
  /** Last tap that clocked in or out (rule 3). */
  readonly lastAcceptedAt?: number;
  /** Its monotonic time, when this process took it: the guard then ignores wall-clock jumps. */
  readonly lastAcceptedMono?: number;
  readonly recent: readonly ClosedSpan[];
  /**
   * The instants the ids of the card's recent sessions were made with (sessionIds.ts): a
   * correction or a void leaves an id as it was made, so these are not the spans' times.
   */
  readonly idAts?: readonly number[];
  /**
   * The time of the last clock-in, clock-out or auto clock-out the reducer folded for this
   * person. A correction never moves it: another door's tap is in order only after it
   * (remoteTaps.ts), whatever a manager made of the spans since.
   */
  readonly foldedUntil?: number;
  /**
   * The person's latest session, when a manager's correction closed it while it was open (an Out
   * typed into it, or void), not a tap: for the merged log it is open until then, so another
   * door's tap after its clock-in is late (remoteTaps.ts) and the refold decides (refold.ts).
   */
  readonly fixClosed?: { readonly session: string; readonly inAt: number };
}

export { sessionId } from './sessionIds';

/** The memory with no session closed by a manager pending: a new clock-in was folded. */
export function withoutFixClosed(memory: CardMemory): CardMemory {
  const { fixClosed, ...rest } = memory;
  return fixClosed === undefined ? memory : rest;
}

/** The memory with `at` folded: `foldedUntil` only ever moves forward. */
export function foldedTo(memory: CardMemory, at: number): CardMemory {
  return memory.foldedUntil !== undefined && memory.foldedUntil >= at
    ? memory
    : { ...memory, foldedUntil: at };
}

/** A raw id's last sighting: its wall time, and its monotonic time when this process took it. */
export interface Sighting {
  readonly at: number;
  readonly mono?: number | undefined;
}

export interface ClockState {
  readonly open: ReadonlyMap<string, OpenSession>;
  /** Each raw id's last sighting (rule 1), by monotonic time where there is one. */
  readonly reads: ReadonlyMap<string, Sighting>;
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
  /** Enrolment open at a reader (rule 14), by reader name. */
  readonly enrol?: ReadonlyMap<string, EnrolMode>;
  /** Enrolments People does not show yet: the directory has them meanwhile. */
  readonly enrolments?: readonly PendingEnrolment[];
  /** How many cards were listed at the reader so far: the next is `New <n + 1>`. */
  readonly placeholders?: number;
  /**
   * Cards listed at the reader that the manager has not named yet, with their placeholder
   * (`New 3`): no name of the manager's (rule 5), so they are in `unnamed` too.
   */
  readonly placeholderNames?: ReadonlyMap<string, string>;
}

/** Enrolment open at one reader: it closes `enrolMs` after its last step. */
export interface EnrolMode {
  /** The admin card that opened it. */
  readonly admin: string;
  readonly at: number;
  readonly mono?: number | undefined;
  /** A person's card chosen: the next card becomes its alias. */
  readonly target?: string;
  /**
   * Restored after a restart that cannot tell how long it has been open (another boot: no
   * monotonic time of its last step): the start, or the next tap, closes it and says so.
   */
  readonly untimed?: true;
}

/** Enrolment open at a reader when the clock stopped, as the store kept its last step. */
export interface StoredEnrolMode {
  readonly reader: string;
  readonly admin: string;
  readonly at: number;
  /** The last step's monotonic time, when it was taken in the boot the clock restarts in. */
  readonly mono?: number;
  readonly target?: string;
}

/** A card listed at the reader (`name`), or tied to `target` as its alias. */
export interface PendingEnrolment {
  readonly card: string;
  readonly name?: string;
  readonly target?: string;
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
  /**
   * Last accepted tap (clock-in or clock-out) per card, for the guard: its monotonic time too
   * when it was taken in the boot the clock restarts in.
   */
  readonly lastAccepted: readonly {
    readonly card: string;
    readonly at: number;
    readonly mono?: number;
  }[];
  /** The clock's own last clock-in or close per card (corrections not applied): `foldedUntil`. */
  readonly foldedUntil?: readonly { readonly card: string; readonly at: number }[];
  /** Each card's latest session, when a manager's correction closed it while open (`fixClosed`). */
  readonly fixClosed?: readonly {
    readonly card: string;
    readonly session: string;
    readonly inAt: number;
  }[];
  /** Sessions closed recently, for the "today" total. */
  readonly recent: readonly {
    readonly card: string;
    readonly inAt: number;
    readonly outAt: number;
  }[];
  /** The ids of the sessions of the last days, voided and corrected ones too (sessionIds.ts). */
  readonly sessionIds?: readonly string[];
  /** Cards already handed to the directory for naming. */
  readonly listed: readonly string[];
  /** Cards with sessions stored without a name. */
  readonly unnamed?: readonly string[];
  /**
   * The last stored sighting of each raw id (a held card), and the wall time of the door's last
   * stored activity (a tap at its readers or a sighting), the last in the order stored: after
   * the wall clock stepped back, the latest time is not the last activity.
   */
  readonly sightings?: readonly { readonly card: string; readonly at: number }[];
  readonly lastActivityAt?: number | null;
  /** Sessions taken on an unsynchronised clock in this boot, not corrected yet. */
  readonly unsynced?: readonly Unsynced[];
  /** Enrolments at the reader People has not shown yet, and how many cards were listed there. */
  readonly enrolments?: readonly PendingEnrolment[];
  readonly placeholders?: number;
  /** Cards listed at the reader and not named by the manager yet, with their placeholder. */
  readonly placeholderNames?: readonly { readonly card: string; readonly name: string }[];
  /** Enrolment open at a reader when the clock stopped (rule 14). */
  readonly enrolModes?: readonly StoredEnrolMode[];
}

/** The state a restarted clock carries on from. */
export function restoreState(snapshot: Snapshot): ClockState {
  const cards = new Map<string, CardMemory>();
  const memory = (card: string): CardMemory => cards.get(card) ?? { recent: [] };
  for (const { card, at, mono } of snapshot.lastAccepted)
    cards.set(card, {
      ...memory(card),
      lastAcceptedAt: at,
      ...(mono === undefined ? {} : { lastAcceptedMono: mono }),
    });
  for (const { card, at } of snapshot.foldedUntil ?? [])
    cards.set(card, foldedTo(memory(card), at));
  for (const { card, session, inAt } of snapshot.fixClosed ?? [])
    cards.set(card, { ...memory(card), fixClosed: { session, inAt } });
  for (const { card, inAt, outAt } of snapshot.recent) {
    const m = memory(card);
    cards.set(card, { ...m, recent: [...m.recent, { inAt, outAt }] });
  }
  for (const { card, at } of idInstants(snapshot.sessionIds ?? [])) {
    const m = memory(card);
    cards.set(card, { ...m, idAts: [...(m.idAts ?? []), at] });
  }
  // A card whose last sighting came just before the clock's last stored activity was most
  // likely still on the reader when the clock stopped: the start decides (it knows the rules).
  // One seen at a later wall time than that activity was seen before the wall clock stepped
  // back: how long before is unknown, so it is not taken for still on the reader.
  const sightings = snapshot.sightings ?? [];
  const lastActivity = snapshot.lastActivityAt ?? Math.max(...sightings.map((s) => s.at));
  const beforeLast = (at: number): number => (at <= lastActivity ? lastActivity - at : Infinity);
  return {
    ...initialState,
    open: new Map(snapshot.open.map((session) => [session.card, session])),
    cards,
    listed: new Set(snapshot.listed),
    unnamed: new Set([
      ...(snapshot.unnamed ?? []),
      ...(snapshot.placeholderNames ?? []).map((p) => p.card),
    ]),
    ...(snapshot.unsynced === undefined || snapshot.unsynced.length === 0
      ? {}
      : { unsynced: new Map(snapshot.unsynced.map((u) => [u.session, u])) }),
    ...(sightings.length === 0
      ? {}
      : {
          restoredSightings: new Map(sightings.map(({ card, at }) => [card, beforeLast(at)])),
        }),
    ...restoredEnrolments(snapshot),
  };
}

/**
 * Enrolments People had not shown when the clock stopped: in the directory until it does; the
 * placeholders the manager had not replaced with a name yet; and enrolment open at a reader,
 * which a person there still expects for the rest of its 30 s when that can be measured
 * honestly (the same boot), and is closed at the start, saying so, when it cannot.
 */
function restoredEnrolments(snapshot: Snapshot): Partial<ClockState> {
  const enrolments = snapshot.enrolments ?? [];
  const placeholderNames = snapshot.placeholderNames ?? [];
  const modes = snapshot.enrolModes ?? [];
  return {
    ...(modes.length === 0
      ? {}
      : { enrol: new Map(modes.map(({ reader, ...mode }) => [reader, modeOf(mode)])) }),
    ...(snapshot.placeholders === undefined ? {} : { placeholders: snapshot.placeholders }),
    ...(placeholderNames.length === 0
      ? {}
      : { placeholderNames: new Map(placeholderNames.map((p) => [p.card, p.name])) }),
    ...(enrolments.length === 0
      ? {}
      : { enrolments, directory: makeDirectory(withEnrolments([], enrolments)) }),
  };
}

function modeOf({ admin, at, mono, target }: Omit<StoredEnrolMode, 'reader'>): EnrolMode {
  return {
    admin,
    at,
    ...(mono === undefined ? { untimed: true as const } : { mono }),
    ...(target === undefined ? {} : { target }),
  };
}

/** Time on closed sessions that falls on the local day of `at`. */
export function workedToday(recent: readonly ClosedSpan[], at: number, zone: string): number {
  return workedSince(recent, startOfLocalDay(at, zone), at);
}

/** Time on closed sessions that falls in the local week of `at` (Monday-first unless `rules` say). */
export function workedThisWeek(recent: readonly ClosedSpan[], at: number, rules: Rules): number {
  return workedSince(recent, startOfLocalWeek(at, rules.zone, rules.weekStartsOn ?? 1), at);
}

function workedSince(recent: readonly ClosedSpan[], from: number, at: number): number {
  return recent.reduce(
    (sum, span) => sum + Math.max(0, Math.min(span.outAt, at) - Math.max(span.inAt, from)),
    0,
  );
}

/** Keeps the spans that can still touch this week's total (a week, a day for DST, and a limit back). */
export function keepRecent(spans: readonly ClosedSpan[], at: number, rules: Rules): ClosedSpan[] {
  const horizon = at - rules.limitMs - RECENT_SPAN_MS;
  return spans.filter((span) => span.outAt >= horizon);
}

/** How far back (before the limit) a card's closed spans are kept: the week's total needs them. */
export const RECENT_SPAN_MS = 8 * 24 * 3_600_000;
