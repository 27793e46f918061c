/**
 * Everything that flows through the core. Inputs are past-tense facts from the
 * sources; outputs are domain events (what happened, for feedback and --json)
 * and commands (what a driver must do). Instants are UTC milliseconds.
 */
import type { Command } from './commands';
import type { Verdict } from './corrections';
import type { Person } from './directory';
import type { Refolded, RefoldHistory, TapLate } from './doorEvents';
import type { SyncEvent } from './syncEvents';

// ---- inputs -------------------------------------------------------------

/** A reader saw a card (one sighting; a held card is seen many times). */
export interface CardRead {
  readonly type: 'cardRead';
  readonly at: number;
  readonly card: string;
  readonly reader: string;
  /** Monotonic milliseconds of the sighting (this process's clock, immune to wall-clock jumps). */
  readonly mono?: number;
  /**
   * Another door's tap, shared through the broker (docs/multi-door.md): its site-wide id
   * `<door>:<seq>`. Already past that door's debounce; `at` is that door's wall clock.
   */
  readonly origin?: string;
}

/** A reader produced something that is not a card id. */
export interface ReadRejected {
  readonly type: 'readRejected';
  readonly at: number;
  readonly reader: string;
  readonly reason: string;
  /**
   * A card that can't be a badge (a random UID: a phone, a privacy-mode card): the reader
   * works, so this is the unknown-card feedback with `reason`, not a reader fault.
   */
  readonly card?: string;
}

/** A wall-clock minute boundary passed. */
export interface MinuteElapsed {
  readonly type: 'minuteElapsed';
  readonly at: number;
  /** Monotonic milliseconds when the tick fired: how much time really passed, whatever the wall clock did. */
  readonly mono?: number;
}

/** The People directory was (re)loaded from its source. */
export interface DirectoryLoaded {
  readonly type: 'directoryLoaded';
  readonly at: number;
  readonly people: readonly Person[];
}

/** The system clock's synchronisation changed (a Pi has no battery clock: it is unsynchronised until NTP). */
export interface TimeSyncChanged {
  readonly type: 'timeSyncChanged';
  readonly at: number;
  readonly synced: boolean;
  /** Monotonic milliseconds at `at`, to correct taps taken before. */
  readonly mono: number;
}

/** The clock (re)started: what fell due while it was off is closed at once. */
export interface ClockStarted {
  readonly type: 'clockStarted';
  readonly at: number;
  /** Monotonic milliseconds at the start (boot-relative live, so comparable with a restored session's). */
  readonly mono?: number;
}

/**
 * A manager's correction of one session (rule 13), judged against the store
 * (`judgeCorrection`): applied or rejected, what it changes, and the
 * session's times after it.
 */
export type CorrectionJudged = Verdict & {
  readonly type: 'correctionJudged';
  /** When the clock saw it (the sheet) or was given it (`fix`). */
  readonly at: number;
  readonly session: string;
  readonly card: string;
  readonly name: string | null;
  readonly source: 'sheet' | 'fix';
  readonly why: string | null;
  /** The `fix` request it answers. */
  readonly request?: number;
  /**
   * A correction the hub applied, shared with this door (`hub:<seq>`): its verdict is the
   * hub's, applied here as it was judged there (docs/multi-door.md).
   */
  readonly origin?: string;
};

export type ClockEvent =
  | CardRead
  | ReadRejected
  | MinuteElapsed
  | DirectoryLoaded
  | ClockStarted
  | TimeSyncChanged
  | CorrectionJudged
  | RefoldHistory
  | SyncEvent;

// ---- outputs: domain events ---------------------------------------------

interface Base {
  readonly at: number;
  readonly card: string;
  /** The person's name, or null while the card has none. */
  readonly name: string | null;
}

/** One presentation of a card, after the debounce; always followed by its outcome. */
export interface Tapped extends Base {
  readonly type: 'tap';
  readonly reader: string;
  /** Another door's tap: its site-wide id (`<door>:<seq>`); absent for this door's own. */
  readonly origin?: string;
}
export interface ClockedIn extends Base {
  readonly type: 'clock-in';
  readonly session: string;
  readonly reader: string;
  /** Taken while the system clock was not synchronised (its time is corrected later). */
  readonly unsynced?: true;
  /**
   * Monotonic milliseconds of the tap, kept with the boot so a restart within that boot still
   * measures the session honestly (and corrects it, when `unsynced`).
   */
  readonly mono?: number;
}
export interface ClockedOut extends Base {
  readonly type: 'clock-out';
  readonly session: string;
  readonly reader: string;
  readonly inAt: number;
  readonly hours: number;
  /** Time worked on the local day of `at`, this session included. */
  readonly todayHours: number;
  /** Time worked in the local ISO week (Monday first) of `at`, this session included. */
  readonly weekHours: number;
  /** The reader of the clock-in, when it was another one than `reader` (the clock-out's). */
  readonly inReader?: string;
  readonly unsynced?: true;
  /** With `unsynced`: monotonic milliseconds of the tap, kept so a restart can still correct it. */
  readonly mono?: number;
  /** Monotonic ms of the tap, always: the guard after a restart in this boot (store `accepted`). */
  readonly tapMono?: number;
}
export interface AutoClockedOut extends Base {
  readonly type: 'auto-out';
  readonly session: string;
  readonly inAt: number;
  readonly hours: number;
  readonly reason: 'limit' | 'cutoff';
  /** For a session taken on an unsynchronised clock: the monotonic time the close stands for. */
  readonly mono?: number;
  /**
   * It replaces a clock-out a stale clock gave it (the synchronised clock found that tap past its
   * limit): the sheet's row is closed again, as `auto`.
   */
  readonly replacesClockOut?: true;
}
export interface TapIgnored extends Base {
  readonly type: 'ignored';
  readonly reason: 'double-tap' | 'inactive';
  readonly reader: string;
}
export interface UnknownCard extends Base {
  readonly type: 'unknown';
  readonly policy: 'accept' | 'reject';
  readonly reader: string;
  /** Why the card was refused whatever the policy (a random UID): never listed, never clocked. */
  readonly reason?: string;
}

/**
 * Enrolment at the reader (rule 14), step by step: the admin card `opened`
 * the mode at `reader`; an unknown card was `listed` in People under the
 * placeholder `name`; a known card was `chosen` as the one the next card is
 * tied to; that next card was `aliased` to `target`; a card was `refused`
 * (`reason`); the mode `closed` (`reason`: the admin card again, the time
 * running out, or done). `card` is the card the step is about (the admin
 * card for `opened` and `closed`).
 */
export interface Enrolment extends Base {
  readonly type: 'enrol';
  readonly step: 'opened' | 'listed' | 'chosen' | 'aliased' | 'refused' | 'closed';
  readonly reader: string;
  /** `aliased`: the person's card the new id now belongs to. */
  readonly target?: string;
  readonly reason?: string;
  /** `opened`, `chosen`: the tap's monotonic time, so a restart in this boot times the mode. */
  readonly mono?: number;
}
/** A correction, as the log and the store see it: the judged correction, reported. */
export type Corrected = Omit<CorrectionJudged, 'type'> & {
  readonly type: 'correction';
  /**
   * The hub's close of a session not open at this door: the person's refold is asked with it
   * (the store keeps that until a refold of theirs commits, so a restart asks it again).
   */
  readonly refolds?: true;
};

/** A reader fault: garbage input, a dead chip. Not a tap. */
export interface ReaderFault {
  readonly type: 'reader-fault';
  readonly at: number;
  readonly reader: string;
  readonly reason: string;
}

/** The sheet took some changes (`--json` type `synced`). */
export interface Synced {
  readonly type: 'synced';
  readonly at: number;
  /** `outbox`: ordered event writes; `live`: the per-minute update. */
  readonly what: 'outbox' | 'live';
  readonly count: number;
  readonly backlog: number;
}

/** A sheet write failed (`--json` type `sync-failed`). */
export interface SyncFailed {
  readonly type: 'sync-failed';
  readonly at: number;
  readonly what: 'outbox' | 'live';
  readonly reason: string;
  readonly backlog: number;
  /** Milliseconds until the next attempt, when one is scheduled. */
  readonly retryInMs: number | null;
}

export type DomainEvent =
  | Tapped
  | TapLate
  | ClockedIn
  | ClockedOut
  | AutoClockedOut
  | TapIgnored
  | UnknownCard
  | Enrolment
  | Corrected
  | Refolded
  | ReaderFault
  | Synced
  | SyncFailed;

// ---- outputs: commands (streams/commands.ts) ---------------------------

export type { HistoryTap, Refolded, RefoldedSession, RefoldHistory, TapLate } from './doorEvents';
export type {
  OutboxChanged,
  BatchSynced,
  BatchFailed,
  LiveSynced,
  LiveFailed,
  PeopleReadFailed,
  SyncEvent,
} from './syncEvents';
export type {
  Refold,
  ListCard,
  AddAlias,
  EnrolmentSeen,
  NameCard,
  WriteBatch,
  MarkDone,
  LiveUpdate,
  Health,
  CorrectTimes,
  KeepSighting,
  FollowCard,
  Command,
} from './commands';
export type Output = DomainEvent | Command;

const commandTypes: ReadonlySet<string> = new Set<Command['type']>([
  'refold',
  'listCard',
  'addAlias',
  'enrolmentSeen',
  'nameCard',
  'writeBatch',
  'markDone',
  'liveUpdate',
  'correctTimes',
  'keepSighting',
  'followCard',
]);

/** Splits outputs: true for commands, false for domain events. */
export function isCommand(output: Output): output is Command {
  return commandTypes.has(output.type);
}

export function isDomainEvent(output: Output): output is DomainEvent {
  return !isCommand(output);
}
