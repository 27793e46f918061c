/**
 * Feedback at the reader on a buzzer and two LEDs: which pattern each domain
 * event gets, and the stream of line states that plays them. Pure: the GPIO
 * driver (src/drivers/feedback/gpio/) only applies the states it is given.
 */
import {
  concat,
  distinctUntilChanged,
  filter,
  ignoreElements,
  map,
  of,
  startWith,
  switchMap,
  timer,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { DomainEvent, Enrolment } from './events';

/** What the three feedback lines should show: true is on (sounding, lit). */
export interface Lines {
  readonly buzzer: boolean;
  readonly green: boolean;
  readonly red: boolean;
}

/** One step of a pattern: these lines, for this long. */
export interface SignalStep {
  readonly lines: Lines;
  readonly ms: number;
}

/** A pattern is played step by step and always ends with every line off. */
export type Pattern = readonly SignalStep[];

export type Signal = 'in' | 'out' | 'ignored' | 'unknown' | 'fault' | 'enrolling' | 'enrolled';

export const OFF: Lines = { buzzer: false, green: false, red: false };

const lit = (on: Partial<Lines>, ms: number): SignalStep => ({ lines: { ...OFF, ...on }, ms });

/**
 * The patterns. Told apart by ear alone (one beep, two, a long one, three, none,
 * a short then a long, two long) and by eye alone (green solid, green blinking
 * then solid, red solid, red blinking, amber, green and red in turn, green
 * blinking slowly).
 * No step is shorter than 100 ms: the driver starts a process per step.
 */
export const patterns: Readonly<Record<Signal, Pattern>> = {
  // One beep, green: you are in.
  in: [lit({ buzzer: true, green: true }, 200), lit({ green: true }, 800)],
  // Two beeps, green blinking with them: you are out.
  out: [
    lit({ buzzer: true, green: true }, 100),
    lit({}, 100),
    lit({ buzzer: true, green: true }, 100),
    lit({ green: true }, 700),
  ],
  // Silent, amber (both LEDs): the tap changed nothing (a double tap, a deactivated card).
  ignored: [lit({ green: true, red: true }, 1000)],
  // One long beep, red: the card is not named in People.
  unknown: [lit({ buzzer: true, red: true }, 700), lit({ red: true }, 500)],
  // Three quick beeps, red blinking: the reader is in trouble.
  fault: [
    lit({ buzzer: true, red: true }, 100),
    lit({}, 100),
    lit({ buzzer: true, red: true }, 100),
    lit({}, 100),
    lit({ buzzer: true, red: true }, 100),
  ],
  // A short beep then a long one, green and red in turn: enrolment waits for a card (rule 14).
  enrolling: [
    lit({ buzzer: true, green: true }, 100),
    lit({ red: true }, 100),
    lit({ buzzer: true, green: true }, 400),
    lit({ red: true }, 400),
  ],
  // Two long beeps, green blinking slowly three times: a card was enrolled.
  enrolled: [
    lit({ buzzer: true, green: true }, 300),
    lit({}, 200),
    lit({ buzzer: true, green: true }, 300),
    lit({}, 200),
    lit({ green: true }, 300),
  ],
};

/**
 * The signal an event gets at the reader, or null. The bare `tap` has none (its
 * outcome follows at once), nor have events nobody at the reader caused
 * (automatic clock-outs, the sheet's news), nor the end of enrolment (the
 * admin card again, or the time running out: nothing to do at the reader).
 */
export function signalOf(event: DomainEvent): Signal | null {
  switch (event.type) {
    case 'clock-in':
      return 'in';
    case 'clock-out':
      return 'out';
    case 'ignored':
      return 'ignored';
    case 'unknown':
      return 'unknown';
    case 'reader-fault':
      return 'fault';
    case 'enrol':
      return enrolSignal[event.step];
    case 'tap':
    case 'tap-late':
    case 'refolded':
    case 'auto-out':
    case 'correction':
    case 'synced':
    case 'sync-failed':
      return null;
  }
}

/** Enrolment's steps: asking for a card, a card enrolled, a card refused (it changed nothing). */
const enrolSignal: Readonly<Record<Enrolment['step'], Signal | null>> = {
  opened: 'enrolling',
  chosen: 'enrolling',
  listed: 'enrolled',
  aliased: 'enrolled',
  refused: 'ignored',
  closed: null,
};

/** Which presentation of a card an event answers; null for events that are not a tap's outcome. */
function tapOf(event: DomainEvent): string | null {
  return 'card' in event ? `${event.card}@${event.at}` : null;
}

export const sameLines = (a: Lines, b: Lines): boolean =>
  a.buzzer === b.buzzer && a.green === b.green && a.red === b.red;

/** Plays one pattern on `scheduler`: each step's lines when it starts, then OFF, then completes. */
export function playPattern(pattern: Pattern, scheduler: SchedulerLike): Observable<Lines> {
  return concat(
    ...pattern.map((step) =>
      concat(of(step.lines), timer(step.ms, scheduler).pipe(ignoreElements())),
    ),
    of(OFF),
  );
}

/**
 * The line states for a stream of domain events: OFF at once, then each
 * signalled event's pattern. One signal per tap: the first outcome of a tap
 * decides (an unknown card accepted is also clocked in; it plays `unknown`).
 * Only changes are emitted.
 */
export function signals(scheduler: SchedulerLike): OperatorFunction<DomainEvent, Lines> {
  return (events$) =>
    events$.pipe(
      map((event) => ({ signal: signalOf(event), tap: tapOf(event) })),
      filter((s): s is { signal: Signal; tap: string | null } => s.signal !== null),
      distinctUntilChanged((a, b) => a.tap !== null && a.tap === b.tap),
      // switchMap: the newest tap's signal is what the person at the reader needs now, so
      // it cuts the older pattern short instead of queueing behind it (feedback "at once",
      // PRODUCT rule 6). Safe to cut: every step sets all three lines and every pattern
      // ends OFF. This is no write that must not be lost: the driver applies these states
      // in order with concatMap.
      switchMap(({ signal }) => playPattern(patterns[signal], scheduler)),
      startWith(OFF),
      distinctUntilChanged(sameLines),
    );
}
