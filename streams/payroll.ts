/**
 * The Paid figure: the hours worked with the optional payroll rules applied
 * (config key `payroll`). The raw hours are never changed; Paid is a second
 * figure beside them, with every step that led to it.
 *
 * - Rounding: each session's start and end are rounded on the local wall
 *   clock to a multiple of `to` minutes, both the same way (`up` is later,
 *   `down` earlier, `nearest` the closer mark). Neither side is favoured: a
 *   session gains or loses less than one unit, and over many sessions that
 *   evens out (the US rule for rounding, 29 CFR 785.48(b)). A rule that
 *   always shortens the worker's time is deliberately not offered.
 * - Clipping: only the rounded session's part inside the range counts, so
 *   consecutive periods add up with nothing counted twice.
 * - Breaks: per local day, the largest rule whose `after` hours the day's
 *   worked time (rounded, before any deduction) reaches is taken off, never
 *   below zero. A session counts on the day it starts: a night shift from
 *   22:00 to 06:00 is one eight-hour shift with one break, not 2 h and 6 h.
 *   Where a period's edge cuts a session, its part inside counts on the day
 *   that part starts (the period's first day).
 */
import { formatLocalDate, toWall } from './zoned';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Working `after` hours or more in a day takes `minutes` off for the break. */
export interface BreakRule {
  readonly after: number;
  readonly minutes: number;
}

export type RoundingMode = 'nearest' | 'up' | 'down';

export interface Rounding {
  readonly to: 1 | 5 | 6 | 15;
  readonly mode: RoundingMode;
}

export interface PayrollRules {
  readonly breaks: readonly BreakRule[];
  readonly rounding?: Rounding;
}

/** A session as Paid needs it: where its time ends is already decided (an open one's too). */
export interface PaidSession {
  readonly id: string;
  readonly inAt: number;
  readonly outAt: number;
  /** A voided session counts for nothing. */
  readonly voided?: boolean;
}

/** How one session's time was counted: rounded, then cut to the range. */
export interface SessionStep {
  readonly kind: 'session';
  readonly id: string;
  readonly inAt: number;
  readonly outAt: number;
  /** The rounded start and end, before cutting to the range. */
  readonly paidIn: number;
  readonly paidOut: number;
  /** The rounded time inside the range. */
  readonly ms: number;
  /** The local day it counts on for breaks. */
  readonly date: string;
}

/** How one day's break was taken off. */
export interface DayStep {
  readonly kind: 'day';
  readonly date: string;
  readonly workedMs: number;
  /** The rule reached, or null when the day is shorter than every rule. */
  readonly rule: BreakRule | null;
  readonly deductedMs: number;
  readonly paidMs: number;
}

export type PaidStep = SessionStep | DayStep;

export interface Paid {
  /** Rounded time inside the range, before breaks. */
  readonly workedMs: number;
  /** After breaks: the Paid figure. */
  readonly ms: number;
  /** The sessions first, in start order, then the days in date order. */
  readonly steps: readonly PaidStep[];
  /** Each session's share of `ms`: its rounded time less its day's break, taken from the day's last sessions first. */
  readonly bySession: ReadonlyMap<string, number>;
}

export interface PaidRange {
  readonly zone: string;
  readonly from: number;
  readonly to: number;
}

/** The instant `at` rounded on the wall clock of `zone` to a multiple of `rounding.to` minutes. */
export function roundInstant(at: number, rounding: Rounding, zone: string): number {
  const wall = toWall(at, zone);
  const unit = rounding.to * MINUTE;
  const round =
    rounding.mode === 'up' ? Math.ceil : rounding.mode === 'down' ? Math.floor : Math.round;
  // Moving the instant by what the wall time moves: a unit or less, across a DST change too.
  return at + (round(wall / unit) * unit - wall);
}

/**
 * The break rule a day of `workedMs` reaches: the one with the most hours, or null. Hours
 * are compared to the millisecond: 8.3 * HOUR is a hair over 8h 18m in floating point, and
 * a day of exactly 8h 18m reaches a rule after 8.3 hours.
 */
export function breakRuleFor(workedMs: number, breaks: readonly BreakRule[]): BreakRule | null {
  let found: BreakRule | null = null;
  for (const rule of breaks) {
    const reached = workedMs >= Math.round(rule.after * HOUR);
    if (reached && (found === null || rule.after > found.after)) found = rule;
  }
  return found;
}

function sessionStep(session: PaidSession, rules: PayrollRules, range: PaidRange): SessionStep {
  const { rounding } = rules;
  const paidIn =
    rounding === undefined ? session.inAt : roundInstant(session.inAt, rounding, range.zone);
  const paidOut =
    rounding === undefined ? session.outAt : roundInstant(session.outAt, rounding, range.zone);
  const start = Math.max(paidIn, range.from);
  const end = Math.min(paidOut, range.to);
  return {
    kind: 'session',
    id: session.id,
    inAt: session.inAt,
    outAt: session.outAt,
    paidIn,
    paidOut,
    ms: Math.max(0, end - start),
    date: formatLocalDate(Math.min(start, range.to - 1), range.zone),
  };
}

/** The Paid figure of one person's sessions in the range, and how it was reached. */
export function paidOf(
  sessions: readonly PaidSession[],
  rules: PayrollRules,
  range: PaidRange,
): Paid {
  const counted = sessions
    .filter((s) => s.voided !== true)
    .map((s) => sessionStep(s, rules, range))
    .sort((a, b) => a.paidIn - b.paidIn || a.id.localeCompare(b.id));
  const byDay = new Map<string, SessionStep[]>();
  for (const step of counted) {
    if (step.ms === 0) continue;
    byDay.set(step.date, [...(byDay.get(step.date) ?? []), step]);
  }
  const bySession = new Map<string, number>(counted.map((s) => [s.id, s.ms]));
  const days: DayStep[] = [...byDay.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, steps]) => {
      const workedMs = steps.reduce((sum, s) => sum + s.ms, 0);
      const rule = breakRuleFor(workedMs, rules.breaks);
      const deductedMs = Math.min(workedMs, (rule?.minutes ?? 0) * MINUTE);
      // The break comes off the day's last session, then the one before if that is too short.
      let left = deductedMs;
      for (const step of [...steps].reverse()) {
        const take = Math.min(left, step.ms);
        bySession.set(step.id, step.ms - take);
        left -= take;
      }
      return { kind: 'day', date, workedMs, rule, deductedMs, paidMs: workedMs - deductedMs };
    });
  return {
    workedMs: days.reduce((sum, d) => sum + d.workedMs, 0),
    ms: days.reduce((sum, d) => sum + d.paidMs, 0),
    steps: [...counted, ...days],
    bySession,
  };
}
