import { TestScheduler } from 'rxjs/testing';
import type { DomainEvent } from '../streams/events';
import { OFF, patterns, signals, type Lines, type Pattern, type Signal } from '../streams/signals';

const CARD = '04A3C6CAE26180';
const base = { card: CARD, name: 'Alice', reader: 'door' };
const at = 1000;

const events = {
  tap: { type: 'tap', at, ...base },
  in: { type: 'clock-in', at, ...base, session: `s-${CARD}` },
  out: {
    type: 'clock-out',
    at,
    ...base,
    session: `s-${CARD}`,
    inAt: 0,
    hours: 0,
    todayHours: 0,
    weekHours: 0,
  },
  auto: {
    type: 'auto-out',
    at,
    card: CARD,
    name: 'Alice',
    session: `s-${CARD}`,
    inAt: 0,
    hours: 12,
    reason: 'limit',
  },
  ignored: { type: 'ignored', at, ...base, reason: 'double-tap' },
  unknown: { type: 'unknown', at, ...base, name: null, policy: 'accept' },
  unknownIn: { type: 'clock-in', at, ...base, name: null, session: `s-${CARD}` },
  fault: { type: 'reader-fault', at, reader: 'door', reason: 'dead chip' },
  opened: { type: 'enrol', at, ...base, step: 'opened' },
  chosen: { type: 'enrol', at: 3000, ...base, step: 'chosen' },
  listed: { type: 'enrol', at: 2000, ...base, card: 'CAFE0001', name: 'New 3', step: 'listed' },
  aliased: {
    type: 'enrol',
    at: 3000,
    ...base,
    card: '0012345678',
    step: 'aliased',
    target: CARD,
  },
  refused: { type: 'enrol', at: 2000, ...base, card: 'CAFE0002', step: 'refused', reason: 'x' },
  closed: { type: 'enrol', at: 4000, ...base, step: 'closed', reason: 'admin card again' },
  synced: { type: 'synced', at, what: 'outbox', count: 1, backlog: 0 },
  failed: {
    type: 'sync-failed',
    at,
    what: 'live',
    reason: 'HTTP 503',
    backlog: 0,
    retryInMs: null,
  },
} satisfies Record<string, DomainEvent>;

/** Line states by letter: o off, b beep+green, g green, a amber, r beep+red, q red. */
const lines: Record<string, Lines> = {
  o: OFF,
  b: { buzzer: true, green: true, red: false },
  g: { buzzer: false, green: true, red: false },
  a: { buzzer: false, green: true, red: true },
  r: { buzzer: true, green: false, red: true },
  q: { buzzer: false, green: false, red: true },
};

describe('signals', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('a clock-in is one beep with green, then green alone, then everything off', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s i', { i: events.in });
      const expected = '                o 999ms b 199ms g 799ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('a clock-out is two beeps with green blinking, then green, then off', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s x', { x: events.out });
      const expected = '                o 999ms b 99ms o 99ms b 99ms g 699ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('an ignored tap is a silent amber for a second', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s x', { x: events.ignored });
      const expected = '                o 999ms a 999ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('an unknown card is one long beep with red, then red, then off', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s x', { x: events.unknown });
      const expected = '                o 999ms r 699ms q 499ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('a reader fault is three quick beeps with red blinking, then off', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s x', { x: events.fault });
      const expected = '                o 999ms r 99ms o 99ms r 99ms o 99ms r 99ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('a newer signal cuts the older one short, and the lines still end off', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // clock-in's pattern:  ^---------------! (cut at 1500 ms, its last OFF never comes)
      // the fault's pattern:                  ^-----------------!
      const events$ = hot<DomainEvent>('1s i 499ms f', { i: events.in, f: events.fault });
      const expected =
        '                o 999ms b 199ms g 299ms r 99ms o 99ms r 99ms o 99ms r 99ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('an unknown card that is also clocked in plays one signal: unknown', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // Both outcomes of one tap come in one step; the first one decides. A later tap of
      // the same card is a new presentation and gets its own signal.
      const events$ = hot<DomainEvent>('1s (tui) 2995ms j', {
        t: events.tap,
        u: events.unknown,
        i: events.unknownIn,
        j: { ...events.in, at: 4000 },
      });
      const expected = '                o 999ms r 699ms q 499ms o 1799ms b 199ms g 799ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('enrolment asking for a card is a short beep then a long one, green and red in turn', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // The admin card opens it, then a person's card is chosen: each asks for the next card.
      const events$ = hot<DomainEvent>('1s o 1999ms c', { o: events.opened, c: events.chosen });
      const expected =
        '                o 999ms b 99ms q 99ms b 399ms q 399ms o 999ms b 99ms q 99ms b 399ms q 399ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('a card enrolled (listed or aliased) is two long beeps, green blinking slowly', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s l 1999ms x', { l: events.listed, x: events.aliased });
      const expected =
        '                o 999ms b 299ms o 199ms b 299ms o 199ms g 299ms o 699ms b 299ms o 199ms b 299ms o 199ms g 299ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('a card refused at enrolment is the silent amber; enrolment closing makes no signal', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s r 1999ms c', { r: events.refused, c: events.closed });
      const expected = '                o 999ms a 999ms o';
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe(expected, lines);
    });
  });

  it('the bare tap, automatic clock-outs and sheet news make no signal', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events$ = hot<DomainEvent>('1s (tasf)', {
        t: events.tap,
        a: events.auto,
        s: events.synced,
        f: events.failed,
      });
      expectObservable(events$.pipe(signals(scheduler)), '^ 10s !').toBe('o', lines);
    });
  });
});

describe('patterns', () => {
  /** A pattern as runs of one projection of its lines (merged when equal), ending off. */
  const runs = (pattern: Pattern, see: (l: Lines) => string): string =>
    pattern
      .reduce<{ v: string; ms: number }[]>((out, step) => {
        const v = see(step.lines);
        const last = out[out.length - 1];
        if (last?.v === v) return [...out.slice(0, -1), { v, ms: last.ms + step.ms }];
        return [...out, { v, ms: step.ms }];
      }, [])
      .map((r) => `${r.v}${r.ms}`)
      .join(' ');
  const names: readonly Signal[] = [
    'in',
    'out',
    'ignored',
    'unknown',
    'fault',
    'enrolling',
    'enrolled',
  ];

  it('are told apart by ear alone and by eye alone', () => {
    const byEar = names.map((n) => runs(patterns[n], (l) => (l.buzzer ? 'beep' : '-')));
    const byEye = names.map((n) =>
      runs(patterns[n], (l) => `${l.green ? 'G' : ''}${l.red ? 'R' : ''}` || '-'),
    );
    expect(new Set(byEar).size).toBe(names.length);
    expect(new Set(byEye).size).toBe(names.length);
  });

  it('have no step shorter than 100 ms and end within a second and a half', () => {
    for (const name of names) {
      expect(patterns[name].every((step) => step.ms >= 100)).toBe(true);
      expect(patterns[name].reduce((sum, step) => sum + step.ms, 0)).toBeLessThanOrEqual(1500);
    }
  });
});
