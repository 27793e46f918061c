/**
 * Everything that flows through the core. Inputs are past-tense facts from the
 * sources; outputs are domain events (what happened, for feedback and --json)
 * and commands (what a driver must do). Instants are UTC milliseconds.
 */
import type { Person } from './directory';

// ---- inputs -------------------------------------------------------------

/** A reader saw a card (one sighting; a held card is seen many times). */
export interface CardRead {
  readonly type: 'cardRead';
  readonly at: number;
  readonly card: string;
  readonly reader: string;
}

/** A reader produced something that is not a card id. */
export interface ReadRejected {
  readonly type: 'readRejected';
  readonly at: number;
  readonly reader: string;
  readonly reason: string;
}

/** A wall-clock minute boundary passed. */
export interface MinuteElapsed {
  readonly type: 'minuteElapsed';
  readonly at: number;
}

/** The People directory was (re)loaded from its source. */
export interface DirectoryLoaded {
  readonly type: 'directoryLoaded';
  readonly at: number;
  readonly people: readonly Person[];
}

/** The clock (re)started: what fell due while it was off is closed at once. */
export interface ClockStarted {
  readonly type: 'clockStarted';
  readonly at: number;
}

export type ClockEvent = CardRead | ReadRejected | MinuteElapsed | DirectoryLoaded | ClockStarted;

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
}
export interface ClockedIn extends Base {
  readonly type: 'clock-in';
  readonly session: string;
  readonly reader: string;
}
export interface ClockedOut extends Base {
  readonly type: 'clock-out';
  readonly session: string;
  readonly reader: string;
  readonly inAt: number;
  readonly hours: number;
  /** Time worked on the local day of `at`, this session included. */
  readonly todayHours: number;
}
export interface AutoClockedOut extends Base {
  readonly type: 'auto-out';
  readonly session: string;
  readonly inAt: number;
  readonly hours: number;
  readonly reason: 'limit' | 'cutoff';
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
}
/** A reader fault: garbage input, a dead chip. Not a tap. */
export interface ReaderFault {
  readonly type: 'reader-fault';
  readonly at: number;
  readonly reader: string;
  readonly reason: string;
}

export type DomainEvent =
  Tapped | ClockedIn | ClockedOut | AutoClockedOut | TapIgnored | UnknownCard | ReaderFault;

// ---- outputs: commands --------------------------------------------------

/** List a card the directory does not have, with a blank name, so the manager can name it. */
export interface ListCard {
  readonly type: 'listCard';
  readonly at: number;
  readonly card: string;
}

export type Command = ListCard;

export type Output = DomainEvent | Command;

const commandTypes: ReadonlySet<string> = new Set<Command['type']>(['listCard']);

/** Splits outputs: true for commands, false for domain events. */
export function isCommand(output: Output): output is Command {
  return commandTypes.has(output.type);
}

export function isDomainEvent(output: Output): output is DomainEvent {
  return !isCommand(output);
}
