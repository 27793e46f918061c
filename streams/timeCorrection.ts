/**
 * The time-correction slice. A Pi has no battery clock: it can boot with the
 * time of its last shutdown and take taps before NTP steps the clock forward.
 * Sessions taken while the system clock is not synchronised are marked
 * (`unsynced`), remembered with their monotonic times, and corrected once the
 * clock synchronises: a tap `d` ms (monotonic) before the sync happened `d` ms
 * before the synchronised time of the sync.
 *
 * It owns `timeSynced` and `unsynced` of the state. The sessions slice decides
 * taps without knowing about synchronisation; this slice then marks what a
 * step clocked in and out (`markTaken`), and answers `timeSyncChanged`.
 */
import { autoCloseAt } from './autoClose';
import { lookUp, nameOf } from './directory';
import type { AutoClockedOut, ClockedIn, ClockedOut, Output, TimeSyncChanged } from './events';
import type { Rules } from './rules';
import type { ClockState, OpenSession, Step } from './sessionState';
import { toHours } from './zoned';

/** A session whose times were taken on an unsynchronised clock, to correct once it syncs. */
export interface Unsynced {
  readonly session: string;
  readonly card: string;
  readonly inAt: number;
  readonly inMono?: number;
  readonly outAt: number | null;
  readonly outMono?: number;
  /**
   * Its clock-in was not taken on this unsynchronised clock (before it, or in an earlier boot):
   * its In is right, only the close is to correct.
   */
  readonly inKnown?: true;
}

/** What the reads and ticks of a step carry: their monotonic time, when the source has one. */
interface Stamped {
  readonly type: string;
  readonly mono?: number | undefined;
}

/**
 * Marks a sessions step's clock-ins and clock-outs taken while the clock is
 * not synchronised, and keeps their times for the correction; an auto
 * clock-out of such a session gets the monotonic time its close stands for.
 * `before` is the state the step started from (its open sessions).
 */
export function markTaken(before: ClockState, event: Stamped, step: Step): Step {
  if (!step.out.some(isSessionEdge)) return step;
  const synced = before.timeSynced !== false;
  const unsynced = new Map(step.state.unsynced ?? []);
  // Set inside the map below (a plain `let` would read as never changed).
  const marked = { any: false };
  const openBefore = (session: string): OpenSession | undefined =>
    [...before.open.values()].find((open) => open.id === session);
  const mono = event.type === 'cardRead' ? event.mono : undefined;
  const out = step.out.map((output): Output => {
    switch (output.type) {
      case 'clock-in':
        if (synced) return output;
        marked.any = true;
        unsynced.set(output.session, {
          session: output.session,
          card: output.card,
          inAt: output.at,
          outAt: null,
          ...(output.mono === undefined ? {} : { inMono: output.mono }),
        });
        return { ...output, unsynced: true };
      case 'clock-out': {
        if (synced) return output;
        marked.any = true;
        const open = openBefore(output.session);
        unsynced.set(output.session, {
          ...(unsynced.get(output.session) ?? {
            session: output.session,
            card: output.card,
            inAt: output.inAt,
            ...(open?.inMono === undefined ? {} : { inMono: open.inMono }),
            inKnown: true,
          }),
          outAt: output.at,
          ...(mono === undefined ? {} : { outMono: mono }),
        });
        return { ...output, unsynced: true, ...(mono === undefined ? {} : { mono }) };
      }
      case 'auto-out': {
        // A session taken on an unsynchronised clock keeps its close there too, with the
        // monotonic time it stands for, so the correction moves its in and out alike.
        const taken = unsynced.get(output.session);
        if (taken === undefined) return output;
        marked.any = true;
        const inMono = taken.inMono ?? openBefore(output.session)?.inMono;
        const outMono = inMono === undefined ? undefined : inMono + (output.at - output.inAt);
        unsynced.set(output.session, {
          ...taken,
          outAt: output.at,
          ...(outMono === undefined ? {} : { outMono }),
        });
        return outMono === undefined ? output : { ...output, mono: outMono };
      }
      default:
        return output;
    }
  });
  return { state: marked.any ? { ...step.state, unsynced } : step.state, out };
}

const isSessionEdge = (output: Output): output is ClockedIn | ClockedOut | AutoClockedOut =>
  output.type === 'clock-in' || output.type === 'clock-out' || output.type === 'auto-out';

/**
 * The system clock became synchronised (or lost it). Times taken before are
 * corrected from the monotonic clock; open sessions, found by session id (one
 * may have followed its person to another card since), start at their
 * corrected time. A session from before a reboot onto a stale clock that a tap
 * closed, and that was past its limit by then (the stale clock could not tell),
 * is closed `auto` at its limit instead (rule 4); the tap stays the clock-out
 * the person was told of.
 */
export function onTimeSync(state: ClockState, event: TimeSyncChanged, rules: Rules): Step {
  if (!event.synced) return { state: { ...state, timeSynced: false }, out: [] };
  const fix = (at: number, mono: number | undefined): number =>
    mono === undefined ? at : event.at - (event.mono - mono);
  const sessions = [...(state.unsynced ?? new Map<string, Unsynced>()).values()]
    .filter((u) => u.inMono !== undefined || u.outMono !== undefined)
    .map((u) => {
      const inAt = fix(u.inAt, u.inMono);
      // Never out before in (a close without its monotonic time is not moved with its in).
      return {
        session: u.session,
        card: u.card,
        inAt,
        outAt: u.outAt === null ? null : Math.max(inAt, fix(u.outAt, u.outMono)),
      };
    });
  const open = new Map(state.open);
  const fixes = new Map(sessions.map((correction) => [correction.session, correction.inAt]));
  for (const [card, session] of state.open) {
    const inAt = fixes.get(session.id);
    if (inAt === undefined) continue;
    // Corrected: its day is known now, and so is its cut-off.
    const corrected: OpenSession = { ...session, inAt };
    delete (corrected as { inUnsynced?: true }).inUnsynced;
    open.set(card, corrected);
  }
  const overdue = pastTheirLimit(state, sessions, rules);
  const corrected = sessions.map((s) => {
    const auto = overdue.find((o) => o.session === s.session);
    return auto === undefined ? s : { ...s, outAt: auto.at };
  });
  const next: ClockState = {
    ...state,
    open,
    cards: withCorrectedSpans(state, corrected),
    timeSynced: true,
    unsynced: new Map(),
  };
  return {
    state: next,
    out: [
      ...(corrected.length === 0
        ? []
        : [{ type: 'correctTimes' as const, at: event.at, sessions: corrected }]),
      ...overdue,
    ],
  };
}

/**
 * The cards' recent spans with the corrected sessions' times: the day's and week's totals the
 * reader tells at the next clock-out count them where they were worked (as after a restart).
 */
function withCorrectedSpans(
  state: ClockState,
  corrected: readonly { session: string; card: string; inAt: number; outAt: number | null }[],
): ClockState['cards'] {
  const taken = state.unsynced ?? new Map<string, Unsynced>();
  const cards = new Map(state.cards);
  for (const c of corrected) {
    const was = taken.get(c.session);
    const memory = cards.get(c.card);
    if (c.outAt === null || was === undefined || memory === undefined) continue;
    const { outAt } = c;
    const at = memory.recent.findIndex((s) => s.inAt === was.inAt && s.outAt === was.outAt);
    if (at < 0) continue;
    const recent = memory.recent.map((span, i) => (i === at ? { inAt: c.inAt, outAt } : span));
    cards.set(c.card, { ...memory, recent });
  }
  return cards;
}

/**
 * The sessions a tap closed on the stale clock whose In is right and whose corrected Out is
 * past their limit (or cut-off): each an auto clock-out there.
 */
function pastTheirLimit(
  state: ClockState,
  sessions: readonly { session: string; card: string; inAt: number; outAt: number | null }[],
  rules: Rules,
): AutoClockedOut[] {
  const taken = state.unsynced ?? new Map<string, Unsynced>();
  return sessions.flatMap((s): AutoClockedOut[] => {
    if (s.outAt === null || taken.get(s.session)?.inKnown !== true) return [];
    const { at, reason } = autoCloseAt(s, rules);
    if (s.outAt <= at) return [];
    return [
      {
        type: 'auto-out',
        at,
        card: s.card,
        name: nameOf(lookUp(state.directory, s.card)),
        session: s.session,
        inAt: s.inAt,
        hours: toHours(at - s.inAt),
        reason,
        replacesClockOut: true,
      },
    ];
  });
}
