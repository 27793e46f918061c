/**
 * The commands the core gives its drivers: what the store, the sheet and the
 * People file must do. Part of the core's vocabulary (events.ts re-exports
 * them); an output is a domain event or one of these.
 */
import type { OutboxEntry } from './commit';

/**
 * List a card the directory does not have, so the manager can name it: with a
 * blank name (an unknown card was tapped), or enrolled at the reader with a
 * placeholder name such as `New 3` and a note saying where.
 */
export interface ListCard {
  readonly type: 'listCard';
  readonly at: number;
  readonly card: string;
  readonly name?: string;
  readonly note?: string;
}

/** Add `alias` to the aliases of `card`'s person in People (enrolled at the reader). */
export interface AddAlias {
  readonly type: 'addAlias';
  readonly at: number;
  readonly card: string;
  readonly alias: string;
}

/**
 * People now shows what was enrolled at the reader for `card`: from here on
 * People is the truth about it, and a restart need not remember the enrolment.
 */
export interface EnrolmentSeen {
  readonly type: 'enrolmentSeen';
  readonly at: number;
  readonly card: string;
}

/**
 * Fill a name typed into People into the card's rows (the card was listed unnamed, or
 * enrolled at the reader under a placeholder name).
 */
export interface NameCard {
  readonly type: 'nameCard';
  readonly at: number;
  readonly card: string;
  readonly name: string;
  /** The placeholder the card was enrolled under (rule 14): its rows showing it take the name too. */
  readonly placeholder?: string;
}

/** Write these outbox entries to the sheet, in order (the sheet driver). */
export interface WriteBatch {
  readonly type: 'writeBatch';
  readonly at: number;
  readonly entries: readonly OutboxEntry[];
}

/** Mark outbox entries done: the sheet confirmed them, or refused them for good (the store). */
export interface MarkDone {
  readonly type: 'markDone';
  readonly at: number;
  readonly keys: readonly string[];
  /** Set when the sheet refused these entries for good: they are set aside with this reason, not synced. */
  readonly failure?: string;
}

/** Update the sheet's live view: open sessions' hours and the Now tab (the sheet driver). */
export interface LiveUpdate {
  readonly type: 'liveUpdate';
  readonly at: number;
  readonly open: readonly {
    readonly session: string;
    readonly card: string;
    readonly name: string | null;
    readonly inAt: number;
    /**
     * How long it has really been open at `at`, measured as a close would measure it (on the
     * monotonic clock when the wall clock jumped): its live Hours. Not `at - inAt`, which a
     * wall clock stepped forward would make a day too long, until the close wrote it right.
     */
    readonly openForMs: number;
  }[];
  /** The clock's health, shown in the sheet's Now tab beside who is in. */
  readonly health: Health;
}

/** What a manager looking at the sheet needs to trust the clock (PRODUCT: runs for months). */
export interface Health {
  readonly lastTapAt: number | null;
  readonly lastSyncAt: number | null;
  readonly outboxDepth: number;
  /** The last reader fault since the last good read, or null when the reader is fine. */
  readonly readerFault: string | null;
  readonly clockSynced: boolean;
  /** Outbox entries the sheet refused for good and that were set aside (shown, not retried). */
  readonly setAside?: number;
}

/**
 * Times taken on an unsynchronised clock, corrected from the monotonic clock
 * once it synchronised: each session's in and out as they really were.
 */
export interface CorrectTimes {
  readonly type: 'correctTimes';
  readonly at: number;
  readonly sessions: readonly {
    readonly session: string;
    readonly card: string;
    readonly inAt: number;
    readonly outAt: number | null;
  }[];
}

/**
 * Keep a held card's latest sighting (the store), by the id the reader saw:
 * a restart then knows the card is still on the reader and does not take it
 * for a new tap. At most about once a second per held card.
 */
export interface KeepSighting {
  readonly type: 'keepSighting';
  readonly at: number;
  readonly card: string;
  readonly reader: string;
}

/**
 * An open session now belongs to another card (People made its id an alias of
 * that card): the store records the person's card, so reports count it there.
 */
export interface FollowCard {
  readonly type: 'followCard';
  readonly at: number;
  readonly session: string;
  readonly card: string;
}

/**
 * A tap from another door came late for `card`'s person: the store reads their history (taps
 * from before it, sessions since) and gives it back as `refoldHistory` (streams/refold.ts).
 */
export interface Refold {
  readonly type: 'refold';
  readonly at: number;
  readonly card: string;
  /**
   * The person's raw ids (their card and aliases, from People when the tap came): their taps
   * and sessions are kept under any of them (a badge made their alias, a card replaced).
   */
  readonly ids?: readonly string[];
}

export type Command =
  | Refold
  | ListCard
  | AddAlias
  | EnrolmentSeen
  | NameCard
  | WriteBatch
  | MarkDone
  | LiveUpdate
  | CorrectTimes
  | KeepSighting
  | FollowCard;
