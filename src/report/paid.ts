/**
 * The period's totals per person and, when payroll rules are set, the Paid
 * figure beside them (streams/payroll.ts), with the text that explains how
 * each Paid total was reached (`report --explain`).
 */
import type { SessionRow } from '../drivers/store/store';
import { paidOf, type Paid, type PaidStep, type PayrollRules } from '../../streams/payroll';
import {
  formatDuration,
  formatLocalDateTimeExact,
  formatLocalTime,
  formatOffset,
  isRepeatedLocalTime,
  offsetAt,
} from '../../streams/zoned';

/** A voided session (rule 13) is listed but counts for nothing. */
export const isVoided = (session: SessionRow): boolean => session.voided === true;

/** One person's total over the report's range, and Paid when there are payroll rules. */
export interface PersonTotal {
  /** The name as shown (report.ts). */
  readonly person: string;
  /** The person's main card: their sessions are those `keyOf` gives it (streams/personKey.ts). */
  readonly card: string;
  readonly ms: number;
  readonly paid?: Paid;
  /** The ids of the person's sessions still open: counted to now, or to their automatic close. */
  readonly open?: ReadonlySet<string>;
}

export interface PaidOptions {
  readonly zone: string;
  readonly from: number;
  readonly to: number;
  readonly payroll?: PayrollRules;
  /** Where a session's time ends (its out, or for an open one now or its automatic close). */
  readonly endOf: (session: SessionRow) => number;
}

/**
 * Each person's total (from the daily totals) and Paid, in the order of the names (then
 * cards). A person is their main card: `keyOf` says whose a session is, so a day's break
 * is taken once off all of a person's sessions, whichever card or name they were under.
 */
export function personTotals(
  sessions: readonly SessionRow[],
  daily: readonly { readonly person: string; readonly card: string; readonly ms: number }[],
  keyOf: (session: SessionRow) => string,
  options: PaidOptions,
): PersonTotal[] {
  const totals = new Map<string, { readonly person: string; readonly ms: number }>();
  for (const t of daily)
    totals.set(t.card, { person: t.person, ms: (totals.get(t.card)?.ms ?? 0) + t.ms });
  const { payroll } = options;
  // Each session's person is worked out once, not once per person in the report.
  const byPerson = new Map<string, SessionRow[]>();
  if (payroll !== undefined)
    for (const session of sessions) {
      const key = keyOf(session);
      const theirs = byPerson.get(key);
      if (theirs === undefined) byPerson.set(key, [session]);
      else theirs.push(session);
    }
  return [...totals.entries()]
    .sort(([a, x], [b, y]) => x.person.localeCompare(y.person) || a.localeCompare(b))
    .map(([card, { person, ms }]) => {
      if (payroll === undefined) return { person, card, ms };
      const theirs = byPerson.get(card) ?? [];
      const own = theirs.map((s) => ({
        id: s.id,
        inAt: s.inAt,
        outAt: options.endOf(s),
        voided: isVoided(s),
      }));
      const open = new Set(theirs.filter((s) => s.outAt === null).map((s) => s.id));
      return { person, card, ms, paid: paidOf(own, payroll, options), open };
    });
}

const pad = (text: string, width: number): string => text.padEnd(width);

/** The "Period totals" section: each person's hours, and Paid beside them when rules are set. */
export function formatPersonTotals(totals: readonly PersonTotal[], width: number): string[] {
  return [
    'Period totals',
    ...totals.map((t) => {
      const paid = t.paid === undefined ? '' : `  Paid ${formatDuration(t.paid.ms).padStart(8)}`;
      return `  ${pad(t.person, width)}  ${formatDuration(t.ms).padStart(8)}${paid}`;
    }),
  ];
}

/** The payroll rules in words: `rounding to 15 min (nearest); breaks: 6h → 30 min, 9h → 45 min`. */
export function describeRules(rules: PayrollRules): string {
  const rounding =
    rules.rounding === undefined
      ? 'no rounding'
      : `in and out rounded ${rules.rounding.mode === 'nearest' ? 'to the nearest' : rules.rounding.mode + ' to'} ${rules.rounding.to} min`;
  const breaks =
    rules.breaks.length === 0
      ? 'no breaks'
      : `breaks ${[...rules.breaks]
          .sort((a, b) => a.after - b.after)
          .map((b) => `${b.after}h → ${b.minutes} min`)
          .join(', ')}`;
  return `${rounding}; ${breaks}`;
}

/**
 * A duration in the explanation: `8h 03m`, with the seconds (`8h 03m 20s`) where it has any.
 * Taps are to the second, and a sum of durations shown in whole minutes alone need not add
 * up (3h 57m 20s + 4h 01m 40s is 7h 59m, not 7h 58m): a manager checks it by adding.
 */
function exactly(ms: number): string {
  const seconds = Math.round(Math.max(0, ms) / 1000) % 60;
  return seconds === 0
    ? formatDuration(ms)
    : `${formatDuration(ms)} ${String(seconds).padStart(2, '0')}s`;
}

/** `HH:mm`, with the offset in the repeated hour of a fall-back night, as the session list writes it. */
function timeExactly(at: number, zone: string): string {
  const time = formatLocalTime(at, zone);
  return isRepeatedLocalTime(at, zone) ? `${time} ${formatOffset(offsetAt(at, zone))}` : time;
}

function explainStep(
  step: PaidStep,
  zone: string,
  ids: Map<string, string>,
  open: ReadonlySet<string>,
  range: string,
): string {
  if (step.kind === 'day') {
    const rule =
      step.rule === null
        ? 'no break rule reached'
        : `${step.rule.after}h or more: ${step.rule.minutes} min break, ${exactly(step.deductedMs)} taken off`;
    return `    ${step.date}  worked ${exactly(step.workedMs)}, ${rule} → ${exactly(step.paidMs)}`;
  }
  // An open session has no Out yet: say where it is counted to, as the session list does.
  const out = formatLocalDateTimeExact(step.outAt, zone);
  const raw = `${formatLocalDateTimeExact(step.inAt, zone)} → ${open.has(step.id) ? `open, counted to ${out}` : out}`;
  const moved = step.paidIn !== step.inAt || step.paidOut !== step.outAt;
  const rounded = moved
    ? `rounded to ${timeExactly(step.paidIn, zone)} → ${timeExactly(step.paidOut, zone)}`
    : 'as clocked';
  const inside = step.paidOut - step.paidIn !== step.ms ? ` (the part inside ${range})` : '';
  const id = ids.get(step.id) ?? step.id;
  return `    ${id}  ${raw}  ${rounded}: ${exactly(step.ms)}${inside}, counts on ${step.date}`;
}

/** How each person's Paid total was reached: every session's rounding, every day's break. */
export function formatExplanation(
  totals: readonly PersonTotal[],
  rules: PayrollRules | undefined,
  zone: string,
  /** Whether the report is of a pay period, not of days given by --from/--to. */
  period = true,
): string[] {
  if (rules === undefined)
    return [
      'How Paid is reached',
      '  No payroll rules are set (the config key payroll): the hours are paid as worked.',
    ];
  const lines = ['How Paid is reached', `  Rules: ${describeRules(rules)}.`];
  // Session ids are long; the explanation numbers them per person instead (#1, #2 …).
  for (const t of totals) {
    if (t.paid === undefined) continue;
    const ids = new Map<string, string>();
    for (const step of t.paid.steps)
      if (step.kind === 'session') ids.set(step.id, `#${ids.size + 1}`);
    lines.push('', `  ${t.person}`);
    const range = period ? 'the period' : 'the report’s days';
    for (const step of t.paid.steps)
      lines.push(explainStep(step, zone, ids, t.open ?? new Set(), range));
    // "After rounding" only where there is rounding: without it the worked time is as clocked.
    const rounding = rules.rounding === undefined ? '' : ' after rounding';
    lines.push(
      `    Paid ${exactly(t.paid.ms)} (worked ${exactly(t.paid.workedMs)}${rounding}, ${exactly(t.paid.workedMs - t.paid.ms)} of breaks)`,
    );
  }
  return lines;
}

/** Each session's share of its person's Paid figure, by session id. */
export function paidBySession(totals: readonly PersonTotal[]): ReadonlyMap<string, number> {
  const shares = new Map<string, number>();
  for (const t of totals) for (const [id, ms] of t.paid?.bySession ?? []) shares.set(id, ms);
  return shares;
}
