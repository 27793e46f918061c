/**
 * The Paid figure: rounding each session's start and end on the local wall
 * clock, the break a day's hours reach, never below zero, a night shift as
 * one shift on the day it starts, DST days, cutting to the range, voided
 * sessions, and the steps that explain it.
 */
import {
  breakRuleFor,
  paidOf,
  roundInstant,
  type DayStep,
  type PaidSession,
  type PaidStep,
  type PayrollRules,
  type SessionStep,
} from '../streams/payroll';

const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;
const MINUTE = 60_000;
const at = (iso: string): number => Date.parse(iso);

let ids = 0;
const session = (inIso: string, outIso: string, extra: Partial<PaidSession> = {}): PaidSession => {
  ids += 1;
  return { id: `s${ids}`, inAt: at(inIso), outAt: at(outIso), ...extra };
};

/** A range of whole local days in Berlin, `to` exclusive. */
const range = (from: string, to: string, zone = BERLIN) => ({ zone, from: at(from), to: at(to) });
const MARCH = range('2026-03-01T00:00:00+01:00', '2026-04-01T00:00:00+02:00');
const BREAKS: PayrollRules = {
  breaks: [
    { after: 6, minutes: 30 },
    { after: 9, minutes: 45 },
  ],
};

const hours = (ms: number): number => ms / HOUR;
const days = (steps: readonly PaidStep[]): DayStep[] =>
  steps.filter((s): s is DayStep => s.kind === 'day');
const sessionSteps = (steps: readonly PaidStep[]): SessionStep[] =>
  steps.filter((s): s is SessionStep => s.kind === 'session');

describe('rounding a time', () => {
  const t = at('2026-03-10T08:07:20+01:00');
  it.each([
    [15, 'nearest', '2026-03-10T08:00:00+01:00'],
    [15, 'up', '2026-03-10T08:15:00+01:00'],
    [15, 'down', '2026-03-10T08:00:00+01:00'],
    [6, 'nearest', '2026-03-10T08:06:00+01:00'],
    [5, 'nearest', '2026-03-10T08:05:00+01:00'],
    [1, 'nearest', '2026-03-10T08:07:00+01:00'],
    [1, 'up', '2026-03-10T08:08:00+01:00'],
  ] as const)('to %i minutes, %s', (to, mode, expected) => {
    expect(roundInstant(t, { to, mode }, BERLIN)).toBe(at(expected));
  });

  it('rounds a time half-way between two marks up, to the nearest', () => {
    const half = at('2026-03-10T08:07:30+01:00');
    expect(roundInstant(half, { to: 15, mode: 'nearest' }, BERLIN)).toBe(
      at('2026-03-10T08:15:00+01:00'),
    );
  });

  it('rounds on the local wall clock, not UTC (Kathmandu is UTC+05:45)', () => {
    const kathmandu = at('2026-03-10T08:07:00+05:45');
    expect(roundInstant(kathmandu, { to: 15, mode: 'nearest' }, 'Asia/Kathmandu')).toBe(
      at('2026-03-10T08:00:00+05:45'),
    );
  });

  it('leaves a time already on the mark as it is, whichever the mode', () => {
    const mark = at('2026-03-10T08:15:00+01:00');
    for (const mode of ['nearest', 'up', 'down'] as const)
      expect(roundInstant(mark, { to: 15, mode }, BERLIN)).toBe(mark);
  });
});

describe('the break a day reaches', () => {
  it('is the rule with the most hours the day reaches, or none', () => {
    expect(breakRuleFor(5.99 * HOUR, BREAKS.breaks)).toBeNull();
    expect(breakRuleFor(6 * HOUR, BREAKS.breaks)).toEqual({ after: 6, minutes: 30 });
    expect(breakRuleFor(10 * HOUR, BREAKS.breaks)).toEqual({ after: 9, minutes: 45 });
    // The order of the list does not matter.
    expect(breakRuleFor(10 * HOUR, [...BREAKS.breaks].reverse())).toEqual({
      after: 9,
      minutes: 45,
    });
  });

  it('is reached by a day of exactly its hours given in tenths (8.3 h is 8h 18m, as 6-minute rounding gives)', () => {
    // 8.3 * 3,600,000 is 29,880,000.000000004 in floating point: a hair more than 8h 18m.
    const tenths: PayrollRules = {
      breaks: [{ after: 8.3, minutes: 30 }],
      rounding: { to: 6, mode: 'nearest' },
    };
    expect(breakRuleFor((8 * 60 + 18) * MINUTE, tenths.breaks)).toEqual({
      after: 8.3,
      minutes: 30,
    });
    const day = [session('2026-03-10T08:01:00+01:00', '2026-03-10T16:19:00+01:00')];
    expect(paidOf(day, tenths, MARCH).ms).toBe((7 * 60 + 48) * MINUTE);
  });
});

describe('the Paid figure', () => {
  it('is the hours worked when there are no rules', () => {
    const paid = paidOf(
      [session('2026-03-10T08:03:00+01:00', '2026-03-10T16:58:00+01:00')],
      { breaks: [] },
      MARCH,
    );
    expect(paid.ms).toBe(8 * HOUR + 55 * MINUTE);
    expect(paid.workedMs).toBe(paid.ms);
  });

  it('takes the break of the day’s worked hours, summed over its sessions', () => {
    const rows = [
      session('2026-03-10T08:00:00+01:00', '2026-03-10T12:00:00+01:00'),
      session('2026-03-10T12:30:00+01:00', '2026-03-10T15:00:00+01:00'),
      session('2026-03-11T08:00:00+01:00', '2026-03-11T18:00:00+01:00'),
      session('2026-03-12T08:00:00+01:00', '2026-03-12T13:00:00+01:00'),
    ];
    const paid = paidOf(rows, BREAKS, MARCH);
    expect(days(paid.steps).map((d) => [d.date, hours(d.workedMs), d.deductedMs / MINUTE])).toEqual(
      [
        ['2026-03-10', 6.5, 30],
        ['2026-03-11', 10, 45],
        ['2026-03-12', 5, 0],
      ],
    );
    expect(hours(paid.ms)).toBe(6 + 9.25 + 5);
    expect(hours(paid.workedMs)).toBe(21.5);
  });

  it('rounds each session’s start and end before the day’s hours are summed', () => {
    const rows = [session('2026-03-10T08:07:00+01:00', '2026-03-10T14:05:00+01:00')];
    // 5h 58m worked; to the nearest quarter 08:00-14:00 is 6 h, which reaches the break.
    const paid = paidOf(rows, { ...BREAKS, rounding: { to: 15, mode: 'nearest' } }, MARCH);
    const [step] = sessionSteps(paid.steps);
    expect(step).toMatchObject({
      paidIn: at('2026-03-10T08:00:00+01:00'),
      paidOut: at('2026-03-10T14:00:00+01:00'),
      ms: 6 * HOUR,
    });
    expect(hours(paid.ms)).toBe(5.5);
  });

  it('never goes below zero, whatever the rules', () => {
    const rows = [session('2026-03-10T08:02:00+01:00', '2026-03-10T08:06:00+01:00')];
    const rounded = paidOf(rows, { breaks: [], rounding: { to: 15, mode: 'down' } }, MARCH);
    expect(rounded.ms).toBe(0);
    const greedy = paidOf(
      [session('2026-03-10T08:00:00+01:00', '2026-03-10T09:00:00+01:00')],
      { breaks: [{ after: 0.5, minutes: 90 }] },
      MARCH,
    );
    expect(greedy.ms).toBe(0);
    expect(days(greedy.steps)[0]).toMatchObject({ deductedMs: HOUR, paidMs: 0 });
  });

  it('counts a night shift as one shift on the day it starts, so it has one break', () => {
    const rows = [session('2026-03-10T22:00:00+01:00', '2026-03-11T06:30:00+01:00')];
    const paid = paidOf(rows, BREAKS, MARCH);
    expect(days(paid.steps).map((d) => [d.date, hours(d.workedMs), d.deductedMs / MINUTE])).toEqual(
      [['2026-03-10', 8.5, 30]],
    );
    expect(hours(paid.ms)).toBe(8);
  });

  it('counts real elapsed time on the spring DST night: 22:00-07:00 is 8 hours worked', () => {
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
    const rows = [session('2026-03-28T22:00:00+01:00', '2026-03-29T07:00:00+02:00')];
    const paid = paidOf(rows, { ...BREAKS, rounding: { to: 15, mode: 'nearest' } }, MARCH);
    expect(days(paid.steps)).toEqual([
      expect.objectContaining({ date: '2026-03-28', workedMs: 8 * HOUR, deductedMs: 30 * MINUTE }),
    ]);
  });

  it('counts real elapsed time on the autumn DST night, rounding a time in the repeated hour to its own instant', () => {
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:07 happens twice.
    const october = range('2026-10-01T00:00:00+02:00', '2026-11-01T00:00:00+01:00');
    const rows = [session('2026-10-25T02:07:00+02:00', '2026-10-25T10:07:00+01:00')];
    const paid = paidOf(rows, { ...BREAKS, rounding: { to: 15, mode: 'nearest' } }, october);
    const [step] = sessionSteps(paid.steps);
    expect(step?.paidIn).toBe(at('2026-10-25T02:00:00+02:00'));
    expect(step?.paidOut).toBe(at('2026-10-25T10:00:00+01:00'));
    // 02:00 CEST to 10:00 CET is nine hours: the 45-minute rule.
    expect(days(paid.steps)).toEqual([
      expect.objectContaining({ workedMs: 9 * HOUR, deductedMs: 45 * MINUTE }),
    ]);
  });

  it('counts only the part inside the range, on the day that part starts', () => {
    const april = range('2026-04-01T00:00:00+02:00', '2026-05-01T00:00:00+02:00');
    const rows = [session('2026-03-31T20:00:00+02:00', '2026-04-01T04:00:00+02:00')];
    expect(hours(paidOf(rows, BREAKS, MARCH).ms)).toBe(4);
    const inApril = paidOf(rows, BREAKS, april);
    expect(hours(inApril.ms)).toBe(4);
    expect(days(inApril.steps).map((d) => d.date)).toEqual(['2026-04-01']);
  });

  it('leaves voided sessions out', () => {
    const rows = [
      session('2026-03-10T08:00:00+01:00', '2026-03-10T12:00:00+01:00'),
      session('2026-03-10T12:00:00+01:00', '2026-03-10T16:00:00+01:00', { voided: true }),
    ];
    const paid = paidOf(rows, BREAKS, MARCH);
    expect(hours(paid.ms)).toBe(4);
    expect(sessionSteps(paid.steps)).toHaveLength(1);
  });

  it('shares the Paid figure out over the sessions, the break off the day’s last session first', () => {
    const rows = [
      session('2026-03-10T08:00:00+01:00', '2026-03-10T12:00:00+01:00', { id: 'morning' }),
      session('2026-03-10T12:30:00+01:00', '2026-03-10T12:50:00+01:00', { id: 'errand' }),
      session('2026-03-10T13:00:00+01:00', '2026-03-10T15:00:00+01:00', { id: 'afternoon' }),
    ];
    const paid = paidOf(rows, { breaks: [{ after: 6, minutes: 45 }] }, MARCH);
    // 6h 20m worked: the 45 minutes come off the afternoon, the day's last session.
    expect(Object.fromEntries([...paid.bySession].map(([id, ms]) => [id, ms / MINUTE]))).toEqual({
      morning: 240,
      errand: 20,
      afternoon: 75,
    });
    const tight = paidOf(rows.slice(0, 2), { breaks: [{ after: 4, minutes: 30 }] }, MARCH);
    expect(Object.fromEntries([...tight.bySession].map(([id, ms]) => [id, ms / MINUTE]))).toEqual({
      morning: 230,
      errand: 0,
    });
    expect([...tight.bySession.values()].reduce((a, b) => a + b, 0)).toBe(tight.ms);
  });
});
