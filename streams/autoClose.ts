/**
 * Forgotten clock-outs (rule 4): a session open past its limit, or its daily
 * cut-off, is closed there automatically, by the minute tick or by the tap
 * that reaches it first. Overdue is measured honestly: a wall clock stepped
 * forward does not make a session overdue. Part of the one reducer
 * (sessions.ts); the minute tick also closes enrolments whose time ran out.
 */
import { lookUp, nameOf } from './directory';
import { closeExpiredEnrolments } from './enrolment';
import type { AutoClockedOut, ClockStarted, MinuteElapsed, Output } from './events';
import type { Rules } from './rules';
import { foldedTo, keepRecent, type ClockState, type OpenSession, type Step } from './sessionState';
import { stillOnTheReader } from './sightings';
import { nextLocalTime, toHours } from './zoned';

/** Wall and monotonic clocks apart by more than this since the clock-in: the wall clock jumped. */
const JUMP_MS = 120_000;

/**
 * When an open session must be closed automatically: the limit, or the cut-off if earlier.
 * `cutoff` false: the limit alone (a clock-in whose local day is not known yet).
 */
export function autoCloseAt(
  session: Pick<OpenSession, 'inAt'>,
  rules: Rules,
  cutoff = true,
): { at: number; reason: 'limit' | 'cutoff' } {
  const limit = session.inAt + rules.limitMs;
  if (cutoff && rules.dailyCutoff !== null) {
    const cutoff = nextLocalTime(session.inAt, rules.dailyCutoff, rules.zone);
    if (cutoff < limit) return { at: cutoff, reason: 'cutoff' };
  }
  return { at: limit, reason: 'limit' };
}

/**
 * When the clock closes one of its open sessions. A clock-in taken on an unsynchronised clock
 * has its limit (measured on the monotonic clock) but no cut-off until the clock synchronises:
 * its stale wall time says nothing of the day it was really taken on, and a close at that day's
 * cut-off would stay after the correction. The correction moves its In; the cut-off follows.
 */
export function closeOf(
  state: Pick<ClockState, 'unsynced'>,
  session: OpenSession,
  rules: Rules,
): { at: number; reason: 'limit' | 'cutoff' } {
  const stale = session.inUnsynced === true || state.unsynced?.has(session.id) === true;
  return autoCloseAt(session, rules, !stale);
}

export function onMinute(
  state: ClockState,
  tick: MinuteElapsed | ClockStarted,
  rules: Rules,
): Step {
  const expired = closeExpiredEnrolments(state, tick, rules);
  let next =
    tick.type === 'clockStarted' ? stillOnTheReader(expired.state, tick, rules) : expired.state;
  const out: Output[] = [...expired.out];
  // Oldest first, so auto clock-outs come out in the order they happened. Overdue is measured
  // honestly, as for a tap: NTP stepping a stale clock forward does not age a session.
  const due = [...state.open.values()]
    .map((session) => ({ session, close: closeOf(state, session, rules) }))
    .filter(({ session, close }) => close.at <= honestNow(session, tick))
    .sort((a, b) => a.close.at - b.close.at || a.session.card.localeCompare(b.session.card));
  for (const { session } of due) {
    const closed = autoClose(next, session, rules);
    next = closed.state;
    out.push(...closed.out);
  }
  return { state: next, out };
}

export function autoClose(
  state: ClockState,
  session: OpenSession,
  rules: Rules,
): { state: ClockState; out: [AutoClockedOut] } {
  const { at, reason } = closeOf(state, session, rules);
  const memory = state.cards.get(session.card) ?? { recent: [] };
  const open = new Map(state.open);
  open.delete(session.card);
  const recent = keepRecent([...memory.recent, { inAt: session.inAt, outAt: at }], at, rules);
  // The auto clock-out is not a tap: it does not move the guard. It is folded, though.
  const cards = new Map(state.cards).set(session.card, { ...foldedTo(memory, at), recent });
  return {
    state: { ...state, open, cards },
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
      },
    ],
  };
}

/**
 * Where an open session really stands at a read or a tick, in the time frame
 * of its clock-in. Normally the event's wall time; but if the wall clock
 * jumped since the clock-in (NTP setting a Pi's clock, a person changing it),
 * the monotonic clock says how long really passed, so no session gets a
 * negative or absurd duration, nor is closed as overdue a minute after it began.
 */
export function honestNow(
  open: OpenSession,
  event: { readonly at: number; readonly mono?: number | undefined },
): number {
  if (open.inMono !== undefined && event.mono !== undefined) {
    const real = event.mono - open.inMono;
    if (Math.abs(event.at - open.inAt - real) > JUMP_MS) return open.inAt + Math.max(0, real);
  }
  return Math.max(event.at, open.inAt);
}
