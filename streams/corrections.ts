/**
 * A manager's corrections (rule 13): a changed In or Out, or `void`, asked
 * for with `badgeclock fix` (and, later, typed into the sheet). The raw taps
 * never change; a correction is judged against the session as it stands now
 * and the person's other sessions, and is applied or rejected with what is
 * wrong. `judgeCorrection` is that judgement, pure; `onCorrection` is the
 * reducer's part: an applied correction that closes or voids an open session
 * closes it, so the person's next tap clocks in.
 */
import { autoClose, autoCloseAt } from './autoClose';
import type { CorrectionJudged, Output } from './events';
import type { ClockState, Step } from './sessionState';
import { keepRecent } from './sessionState';
import type { Rules } from './rules';
import { formatLocalDateTime, formatLocalTime } from './zoned';

/** What a manager asked to change about one session. */
export interface CorrectionRequest {
  readonly session: string;
  readonly inAt?: number;
  readonly outAt?: number;
  readonly void?: boolean;
  /** Text typed where a time belongs: rejected, quoted. */
  readonly notATime?: { readonly field: 'in' | 'out'; readonly text: string };
}

/** A session as corrections see it: its times as they stand (corrections applied). */
export interface CorrectableSession {
  readonly id: string;
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto';
  readonly voided: boolean;
  /** The clock's own times, which a correction may not move it far from. */
  readonly clockInAt: number;
  readonly clockOutAt: number | null;
  /** Open, clocked in on a clock not synchronised and not corrected: no cut-off (closeOf). */
  readonly inUnsynced?: boolean;
}

/**
 * How far a correction may move a session from the clock's own times: the
 * store finds sessions by those, within this reach. Further is another
 * session: void this one.
 */
export const CORRECTION_REACH_MS = 7 * 86_400_000;

/** One field's change, times as UTC ms, the status as text. */
export interface FieldChange {
  readonly field: 'in' | 'out' | 'status';
  readonly old: number | string | null;
  readonly new: number | string | null;
}

/** The judgement: the session's times after it, and the changes, applied or not and why. */
export interface Verdict {
  readonly applied: boolean;
  readonly reason?: string;
  readonly changes: readonly FieldChange[];
  readonly inAt: number;
  readonly outAt: number | null;
  readonly voided: boolean;
  /** Its status after it: a changed Out makes an `auto` session `out` (the manager decided). */
  readonly status: 'in' | 'out' | 'auto' | 'void';
  /** The session was open and this closes it (an Out given, or void). */
  readonly closes: boolean;
}

/**
 * Judges `request` against `session` (undefined: no such session), the same
 * person's `others` (their sessions near it, corrections applied, this one
 * excluded) and `now`. Rejected: a time given in the future, an Out not after
 * the In, an overlap with another of the person's sessions that the edit makes,
 * text where a time belongs, a void session's times, a change that changes
 * nothing.
 */
export function judgeCorrection(
  request: CorrectionRequest,
  session: CorrectableSession | undefined,
  others: readonly CorrectableSession[],
  now: number,
  zone: string,
): Verdict {
  if (session === undefined) {
    return rejected(`there is no session ${request.session}`, [], null);
  }
  const inAt = request.inAt ?? session.inAt;
  const outAt = request.outAt ?? session.outAt;
  const changes = changesOf(request, session);
  const reject = (reason: string): Verdict => rejected(reason, changes, session);
  if (request.notATime !== undefined) {
    const { field, text } = request.notATime;
    return reject(
      text.trim() === ''
        ? `${label(field)} is blank`
        : `${JSON.stringify(text)} in ${label(field)} is not a time`,
    );
  }
  if (changes.length === 0) return reject('it changes nothing');
  if (session.voided) return reject('the session is void already');
  if (request.void === true) {
    return {
      applied: true,
      changes,
      inAt: session.inAt,
      // An open session is closed now (never before its In): its row shows that Out, as the
      // store keeps it, not a blank Out beside the last live Hours.
      outAt: session.outAt ?? Math.max(now, session.inAt),
      voided: true,
      status: 'void',
      closes: session.status === 'in',
    };
  }
  // Only what the edit gives is judged against now: after the wall clock stepped back, the
  // clock's own times may lie ahead of it (simulation seed 60027).
  for (const [field, at] of [
    ['in', request.inAt],
    ['out', request.outAt],
  ] as const) {
    if (at !== undefined && at > now) {
      return reject(`${label(field)} ${formatLocalDateTime(at, zone)} is in the future`);
    }
  }
  if (
    inAt < session.clockInAt - CORRECTION_REACH_MS ||
    (outAt !== null &&
      session.clockOutAt !== null &&
      outAt > session.clockOutAt + CORRECTION_REACH_MS)
  ) {
    return reject('it moves the session more than 7 days from its taps; void it instead');
  }
  if (outAt !== null && outAt <= inAt) {
    return reject(
      `Out ${formatLocalDateTime(outAt, zone)} is not after In ${formatLocalDateTime(inAt, zone)}`,
    );
  }
  const overlap = overlapMade(session, others, inAt, outAt, now);
  if (overlap !== undefined) {
    const until = overlap.outAt === null ? 'now' : formatLocalTime(overlap.outAt, zone);
    return reject(
      `it would overlap ${overlap.name ?? overlap.card}'s session ${formatLocalDateTime(overlap.inAt, zone)}–${until}`,
    );
  }
  const status = request.outAt !== undefined && outAt !== null ? 'out' : session.status;
  return {
    applied: true,
    changes,
    inAt,
    outAt,
    voided: false,
    status,
    closes: session.status === 'in' && outAt !== null,
  };
}

/**
 * The first of the person's other sessions the edited span (`inAt` to `outAt`, or now) meets and
 * the session's own span did not. Only an overlap the edit makes is refused: one the clock's
 * own times already had (a wall clock stepped back between two sessions) is not the manager's
 * to answer for (simulation seed 61023).
 */
function overlapMade(
  session: CorrectableSession,
  others: readonly CorrectableSession[],
  inAt: number,
  outAt: number | null,
  now: number,
): CorrectableSession | undefined {
  const meets = (o: CorrectableSession, from: number, to: number): boolean =>
    o.inAt < to && (o.outAt ?? now) > from;
  return others.find(
    (o) =>
      !o.voided &&
      o.id !== session.id &&
      meets(o, inAt, outAt ?? now) &&
      !meets(o, session.inAt, session.outAt ?? now),
  );
}

function changesOf(request: CorrectionRequest, session: CorrectableSession): FieldChange[] {
  const changes: FieldChange[] = [];
  if (request.notATime !== undefined) {
    const { field, text } = request.notATime;
    changes.push({ field, old: field === 'in' ? session.inAt : session.outAt, new: text });
  }
  if (request.inAt !== undefined && request.inAt !== session.inAt)
    changes.push({ field: 'in', old: session.inAt, new: request.inAt });
  if (request.outAt !== undefined && request.outAt !== session.outAt)
    changes.push({ field: 'out', old: session.outAt, new: request.outAt });
  if (request.void === true && !session.voided)
    changes.push({ field: 'status', old: session.status, new: 'void' });
  return changes;
}

function rejected(
  reason: string,
  changes: readonly FieldChange[],
  session: CorrectableSession | null,
): Verdict {
  return {
    applied: false,
    reason,
    changes,
    inAt: session?.inAt ?? 0,
    outAt: session?.outAt ?? null,
    voided: session?.voided ?? false,
    status: session === null ? 'out' : session.voided ? 'void' : session.status,
    closes: false,
  };
}

const label = (field: 'in' | 'out'): string => (field === 'in' ? 'In' : 'Out');

/**
 * A session as the clock has it at `now`: one the store still has open past its limit (no
 * minute has closed it yet, or the clock was stopped) is closed `auto` there, as the next
 * minute or start closes it. A correction is judged against that: a manager's Out or void
 * then corrects a closed session, it does not close an open one after its limit.
 */
export function asClockHasIt(
  session: CorrectableSession,
  now: number,
  rules: Rules,
): CorrectableSession {
  if (session.status !== 'in') return session;
  const { at } = autoCloseAt(session, rules, session.inUnsynced !== true);
  return at > now ? session : { ...session, outAt: at, status: 'auto', clockOutAt: at };
}

/**
 * The reducer's part of a judged correction: it is reported (and kept by the
 * store); an applied one that closes or voids an open session closes it here
 * too, and one that moves an open session's In moves it. One judged against
 * the session closed at its limit (asClockHasIt) while it is open here closes
 * it there first, as the minute would.
 */
export function onCorrection(state: ClockState, event: CorrectionJudged, rules: Rules): Step {
  const out: Output[] = [{ ...event, type: 'correction' }];
  if (!event.applied) return { state, out };
  const open = state.open.get(event.card);
  if (open?.id === event.session && !event.closes && event.status !== 'in') {
    const closed = autoClose(state, open, rules);
    return { state: respan(closed.state, event, rules), out: [...closed.out, ...out] };
  }
  if (open?.id !== event.session) return { state: respan(state, event, rules), out };
  const openMap = new Map(state.open);
  if (event.closes) {
    openMap.delete(event.card);
    const closed = respan({ ...state, open: openMap }, event, rules);
    // Closed by the manager, not by a tap: another door's tap in it is for the refold.
    const memory = closed.cards.get(event.card) ?? { recent: [] };
    const fixClosed = { session: open.id, inAt: open.inAt };
    const cards = new Map(closed.cards).set(event.card, { ...memory, fixClosed });
    return { state: { ...closed, cards }, out };
  }
  // The In moved: the monotonic time of the old one no longer stands for it.
  const { id, card, name, reader } = open;
  openMap.set(event.card, { id, card, name, reader, inAt: event.inAt });
  return { state: { ...state, open: openMap }, out };
}

/**
 * The day's and week's totals at the reader follow a correction too: the
 * closed span the session had (found by its times before) is replaced by the
 * corrected one, or dropped when it is void. The clock's own `foldedUntil` stays
 * as it is: another door's taps are ordered by what the clock folded (remoteTaps.ts).
 */
function respan(state: ClockState, event: CorrectionJudged, rules: Rules): ClockState {
  const memory = state.cards.get(event.card);
  const before = (field: 'in' | 'out', now: number | null): number | string | null => {
    const change = event.changes.find((c) => c.field === field);
    return change === undefined ? now : change.old;
  };
  const [oldIn, oldOut] = [before('in', event.inAt), before('out', event.outAt)];
  const kept = (memory?.recent ?? []).filter((s) => s.inAt !== oldIn || s.outAt !== oldOut);
  const spans =
    event.voided || event.outAt === null
      ? kept
      : keepRecent([...kept, { inAt: event.inAt, outAt: event.outAt }], event.at, rules);
  if (memory === undefined && spans.length === 0) return state;
  const cards = new Map(state.cards).set(event.card, { ...(memory ?? {}), recent: spans });
  return { ...state, cards };
}
