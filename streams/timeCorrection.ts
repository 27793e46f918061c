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
import type { AutoClockedOut, ClockedIn, ClockedOut, Output, TimeSyncChanged } from './events';
import type { ClockState, OpenSession, Step } from './sessionState';

/** A session whose times were taken on an unsynchronised clock, to correct once it syncs. */
export interface Unsynced {
  readonly session: string;
  readonly card: string;
  readonly inAt: number;
  readonly inMono?: number;
  readonly outAt: number | null;
  readonly outMono?: number;
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
 * corrected time.
 */
export function onTimeSync(state: ClockState, event: TimeSyncChanged): Step {
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
    if (inAt !== undefined) open.set(card, { ...session, inAt });
  }
  const next: ClockState = { ...state, open, timeSynced: true, unsynced: new Map() };
  return {
    state: next,
    out: sessions.length === 0 ? [] : [{ type: 'correctTimes', at: event.at, sessions }],
  };
}
