/** The behaviour rules of PRODUCT.md as numbers the reducer reads. Validated in src/config. */
export interface Rules {
  /** IANA time zone used to show times and to find local days and the daily cut-off. */
  readonly zone: string;
  /** Reads of one card closer than this to its previous read are one presentation (rule 1). */
  readonly debounceMs: number;
  /** A tap this soon after the card's last accepted tap is an accidental double tap (rule 3). */
  readonly guardMs: number;
  /** A session open this long is closed automatically at the limit (rule 4). */
  readonly limitMs: number;
  /** Optional local wall-clock cut-off (`HH:mm`) at which open sessions are closed (rule 4). */
  readonly dailyCutoff: string | null;
  /** What an unknown card does (rule 5). */
  readonly unknownCards: 'accept' | 'reject';
  /** Admin cards from the config (People can mark more): they open enrolment (rule 14). */
  readonly adminCards?: readonly string[];
  /** Enrolment closes this long after its last step (rule 14). */
  readonly enrolMs?: number;
  /**
   * The weekday (0 Sunday … 6 Saturday) the week's hours at the reader start on: a weekly pay
   * period's first day, else Monday, as the Totals tab's weeks.
   */
  readonly weekStartsOn?: number;
}

/** Enrolment at the reader closes 30 s after its last step unless the config says otherwise. */
export const ENROL_MS = 30_000;

/** PRODUCT.md's defaults, in the given zone. */
export function defaultRules(zone: string): Rules {
  return {
    zone,
    debounceMs: 3_000,
    guardMs: 60_000,
    limitMs: 12 * 3_600_000,
    dailyCutoff: null,
    unknownCards: 'accept',
  };
}
