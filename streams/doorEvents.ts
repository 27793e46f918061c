/**
 * The core's vocabulary for a site with several doors (docs/multi-door.md):
 * another door's tap that came late, the store's history for a refold, and
 * what the refold changed. events.ts re-exports all of it.
 */
import type { CardMemory } from './sessionState';

interface Base {
  readonly at: number;
  readonly card: string;
  readonly name: string | null;
}

/**
 * Another door's tap that arrived after this replica had already folded a later event of the
 * same person: folding it at the end would not give what one clock computes from the merged
 * log. Kept in the store (`mqtt_inbox`, marked late) for the replay from a snapshot before it.
 */
export interface TapLate extends Base {
  readonly type: 'tap-late';
  readonly reader: string;
  readonly origin: string;
}
/**
 * What a manager corrected of a session (rule 13). The store keeps it beside the clock's times,
 * which are what a refold folds; every total and the sheet show it (sessionRows.ts `toSession`).
 */
export interface ManagerFix {
  /** The corrected In and Out, where a correction changed them. */
  readonly inAt?: number;
  readonly outAt?: number;
  /** Voided by a manager (not by a refold that superseded it). */
  readonly voided?: true;
}

/** A session as a refold sees it: the store's row, or what the fold made. */
export interface RefoldedSession {
  readonly id: string;
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto';
  readonly reason: 'limit' | 'cutoff' | null;
  readonly reader: string;
  /** The clock-out's reader, when not the clock-in's. */
  readonly outReader: string | null;
  /** A manager's correction of it: its row must go on showing it. */
  readonly fixed?: ManagerFix;
  /**
   * The fold left it as a manager's correction closed it while open (no tap closed it before
   * then): its Out is theirs, and so the store's memory of that close stays (`CLOSED_BY_FIX`).
   */
  readonly closedByFix?: true;
}

/** One of the person's merged taps, as the refold folds it again. */
export interface HistoryTap {
  /** Site-wide: `<door>:<seq>` (this door's own taps too), the tie-break of equal times. */
  readonly id: string;
  readonly at: number;
  readonly card: string;
  readonly reader: string;
  /** What it came to when first folded (the store's `taps.outcome`): `clock-in`, `enrol`, … */
  readonly outcome?: string;
  /** A late tap from the inbox, folded for the first time by this refold. */
  readonly late?: true;
}

/** The store's answer to a `refold`: a person's history from before their late tap. */
export interface RefoldHistory {
  readonly type: 'refoldHistory';
  readonly at: number;
  /** The person's card. */
  readonly card: string;
  /** The raw ids their taps and sessions were read by (`Refold.ids`). */
  readonly ids?: readonly string[];
  /** The instant folded from: the late tap, or the clock-in of the session it falls in. */
  readonly from: number;
  /** The person's memory of what came before `from` (the guard's last tap, recent spans). */
  readonly before: CardMemory;
  /**
   * Their taps at or after `from` (their card's, and those of their sessions taken under another
   * raw id), and their late taps waiting in the inbox.
   */
  readonly taps: readonly HistoryTap[];
  /** Their sessions clocked in at or after `from`, as the store has them. */
  readonly stored: readonly RefoldedSession[];
  /**
   * Their sessions clocked in at or after `from` that an earlier refold superseded: one made
   * again comes back (changed: its row shows `superseded`, and its clock-in was written once).
   */
  readonly supersededIds: readonly string[];
  /** Their open session in the store when it was read. */
  readonly openId: string | null;
  /** A manager's corrections of their sessions clocked in at or after `from` (stored or superseded). */
  readonly fixed?: readonly (ManagerFix & { readonly id: string })[];
  /**
   * Their sessions clocked in at or after `from`, stored or superseded, a manager's correction
   * closed while open: at `at` (the correction's time), with the Out it gave (`outAt`; a void's
   * is its time). For the merged log each is open until then: the fold closes one with a tap
   * before, or, open then, closes it as the manager did — one made again too, never open.
   */
  readonly fixClosed?: readonly {
    readonly id: string;
    readonly at: number;
    readonly outAt: number;
  }[];
  /**
   * The corrections stored when it was read (the last one's id): the fold saw those, and
   * speaks for a session's close, or answers the refold a correction asked, only after them.
   */
  readonly corrections?: number;
}

/**
 * A person's sessions folded again after a late tap from another door: what the store changes.
 * A session `superseded` is out of every total (kept in the record); `changed` ones keep their id.
 */
export interface Refolded {
  readonly type: 'refolded';
  readonly at: number;
  readonly card: string;
  readonly from: number;
  /** The late taps this refold folded: they get their row in taps now. */
  readonly late: readonly HistoryTap[];
  readonly added: readonly RefoldedSession[];
  readonly changed: readonly RefoldedSession[];
  readonly superseded: readonly RefoldedSession[];
  /** The corrections its history was read with (`RefoldHistory.corrections`). */
  readonly corrections?: number;
}
