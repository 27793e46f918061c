/**
 * The Totals table (streams/totals.ts): days and weeks of the current and the
 * previous pay period, night sessions split at local midnight, DST days of 23
 * and 25 hours, voided sessions skipped, open ones counted to now and marked;
 * a row per person as People tells them (a card and its aliases), not per card.
 */
import fc from 'fast-check';
import { makeDirectory, type Person } from '../streams/directory';
import type { PayPeriod } from '../streams/payPeriod';
import {
  tallySessions,
  totalsFrame,
  totalsOf,
  totalsTable,
  type TotalsSession,
} from '../streams/totals';

const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;
const MONTHLY: PayPeriod = { kind: 'monthly', startDay: 26 };
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${iso}`);
  return ms;
};
const session = (
  card: string,
  inIso: string,
  outIso: string | null,
  extra: Partial<TotalsSession> = {},
): TotalsSession => ({
  card,
  name: null,
  inAt: at(inIso),
  outAt: outIso === null ? null : at(outIso),
  ...extra,
});

describe('the periods and their columns', () => {
  test('a monthly period from the 26th has its days and Monday-first weeks, the previous one after it', () => {
    const frame = totalsFrame(at('2026-04-02T10:00:00+02:00'), MONTHLY, BERLIN);
    const [current, previous] = frame.periods;
    expect(current.days.map((d) => d.date)).toHaveLength(31);
    expect(current.days[0]).toEqual({ date: '2026-03-26', weekday: 4, week: 0 });
    expect(current.days.at(-1)?.date).toBe('2026-04-25');
    expect(current.weeks).toEqual([
      '2026-03-23',
      '2026-03-30',
      '2026-04-06',
      '2026-04-13',
      '2026-04-20',
    ]);
    expect(previous.days[0]?.date).toBe('2026-02-26');
    expect(previous.days.at(-1)?.date).toBe('2026-03-25');
  });

  test('a weekly period is one week starting on its own first day', () => {
    const frame = totalsFrame(
      at('2026-04-02T10:00:00+02:00'),
      { kind: 'weekly', firstDay: 'sunday' },
      BERLIN,
    );
    const [current, previous] = frame.periods;
    expect(current.weeks).toEqual(['2026-03-29']);
    expect(current.days.map((d) => d.week)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(previous.weeks).toEqual(['2026-03-22']);
  });
});

describe('the totals', () => {
  const now = at('2026-04-02T10:00:00+02:00');
  const dayMs = (
    rowCard: string,
    table: ReturnType<typeof totalsOf>,
    p: number,
    date: string,
  ): number => {
    const row = table.rows.find((r) => r.card === rowCard);
    const d = table.frame.periods[p]?.days.findIndex((day) => day.date === date) ?? -1;
    return row?.periods[p]?.days[d] ?? NaN;
  };

  test('a night session is split at local midnight', () => {
    const table = totalsOf(
      [session('A1', '2026-03-31T22:00:00+02:00', '2026-04-01T06:00:00+02:00', { name: 'Ann' })],
      now,
      MONTHLY,
      BERLIN,
    );
    expect(dayMs('A1', table, 0, '2026-03-31')).toBe(2 * HOUR);
    expect(dayMs('A1', table, 0, '2026-04-01')).toBe(6 * HOUR);
    expect(table.rows[0]?.periods[0]?.total).toBe(8 * HOUR);
    expect(table.rows[0]?.periods[0]?.weeks).toEqual([0, 8 * HOUR, 0, 0, 0]);
  });

  test('the spring-forward day holds 23 hours and the fall-back day 25', () => {
    const spring = totalsOf(
      [session('A1', '2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00')],
      at('2026-03-30T12:00:00+02:00'),
      MONTHLY,
      BERLIN,
    );
    expect(dayMs('A1', spring, 0, '2026-03-29')).toBe(23 * HOUR);
    const fall = totalsOf(
      [session('A1', '2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00')],
      at('2026-10-26T12:00:00+01:00'),
      MONTHLY,
      BERLIN,
    );
    // 2026-10-26 starts a new period: the 25th is the previous period's last day.
    expect(dayMs('A1', fall, 1, '2026-10-25')).toBe(25 * HOUR);
  });

  test('a session across the periods’ bound counts in each, and nothing before the previous one counts', () => {
    const table = totalsOf(
      [
        session('A1', '2026-03-25T20:00:00+01:00', '2026-03-26T02:00:00+01:00'),
        session('A1', '2026-02-25T20:00:00+01:00', '2026-02-26T01:00:00+01:00'),
      ],
      now,
      MONTHLY,
      BERLIN,
    );
    const row = table.rows[0];
    expect(row?.periods[0]?.total).toBe(2 * HOUR);
    expect(row?.periods[1]?.total).toBe(4 * HOUR + 1 * HOUR);
  });

  test('a voided session is skipped, a corrected one counts as the store hands it out', () => {
    const table = totalsOf(
      [
        session('A1', '2026-04-01T08:00:00+02:00', '2026-04-01T12:00:00+02:00', { voided: true }),
        session('A1', '2026-04-01T13:00:00+02:00', '2026-04-01T14:30:00+02:00'),
      ],
      now,
      MONTHLY,
      BERLIN,
    );
    expect(dayMs('A1', table, 0, '2026-04-01')).toBe(1.5 * HOUR);
  });

  test('a person with only voided sessions has no row', () => {
    const table = totalsOf(
      [session('A1', '2026-04-01T08:00:00+02:00', '2026-04-01T12:00:00+02:00', { voided: true })],
      now,
      MONTHLY,
      BERLIN,
    );
    expect(table.rows).toEqual([]);
  });

  test('an open session counts up to now and marks the person in since its start', () => {
    const table = totalsOf(
      [
        session('B2', '2026-04-02T08:00:00+02:00', null, { name: 'Bea' }),
        session('A1', '2026-04-01T08:00:00+02:00', '2026-04-01T09:00:00+02:00', { name: 'Ann' }),
      ],
      now,
      MONTHLY,
      BERLIN,
    );
    expect(table.rows.map((r) => [r.name, r.inSince])).toEqual([
      ['Ann', null],
      ['Bea', at('2026-04-02T08:00:00+02:00')],
    ]);
    expect(dayMs('B2', table, 0, '2026-04-02')).toBe(2 * HOUR);
  });

  test('the name is the latest session’s; a card never named shows as its id; rows sort by name', () => {
    const table = totalsOf(
      [
        session('C3', '2026-03-30T08:00:00+02:00', '2026-03-30T09:00:00+02:00', { name: 'Old' }),
        session('C3', '2026-03-31T08:00:00+02:00', '2026-03-31T09:00:00+02:00', { name: 'Zed' }),
        session('04AB', '2026-03-31T08:00:00+02:00', '2026-03-31T09:00:00+02:00'),
        session('A1', '2026-03-31T08:00:00+02:00', '2026-03-31T09:00:00+02:00', { name: 'Ann' }),
      ],
      now,
      MONTHLY,
      BERLIN,
    );
    expect(table.rows.map((r) => r.name)).toEqual(['04AB', 'Ann', 'Zed']);
  });

  const listed = (people: readonly Partial<Person>[]) =>
    makeDirectory(
      people.map((p): Person => ({ card: '', name: '', active: true, aliases: [], ...p })),
    );

  test('an old card made an alias of a person counts on that person’s row, and marks them in', () => {
    // Alice's wedge card clocked on its own (unknown, unnamed) before it became her alias: its
    // closed sessions stay under it, so only People says they are hers.
    const table = totalsOf(
      [
        session('0001234', '2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00'),
        session('A1', '2026-03-30T13:30:00+02:00', '2026-03-30T17:30:00+02:00', { name: 'Alice' }),
        session('0001234', '2026-04-02T08:00:00+02:00', null),
      ],
      now,
      MONTHLY,
      BERLIN,
      listed([{ card: 'A1', name: 'Alice', aliases: ['0001234'] }]),
    );
    expect(table.rows.map((r) => [r.name, r.card, r.inSince])).toEqual([
      ['Alice', 'A1', at('2026-04-02T08:00:00+02:00')],
    ]);
    expect(dayMs('A1', table, 0, '2026-03-30')).toBe(8 * HOUR);
    expect(table.rows[0]?.periods[0]?.total).toBe(10 * HOUR);
  });

  test('People’s name is shown, whatever the sessions were clocked in under; people who share one keep a row each', () => {
    const table = totalsOf(
      [
        session('B1', '2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00', { name: 'Bob' }),
        session('X1', '2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00', { name: 'Alex' }),
        session('X2', '2026-03-30T13:00:00+02:00', '2026-03-30T16:00:00+02:00', { name: 'Alex' }),
        session('C3', '2026-03-30T13:00:00+02:00', '2026-03-30T14:00:00+02:00', { name: 'Cy' }),
      ],
      now,
      MONTHLY,
      BERLIN,
      listed([
        { card: 'B1', name: 'Robert' },
        { card: 'X1', name: 'Alex' },
        { card: 'X2', name: 'Alex' },
        // Listed but not named yet: the sessions' name stands.
        { card: 'C3', name: '' },
      ]),
    );
    expect(table.rows.map((r) => [r.name, r.card, (r.periods[0]?.total ?? NaN) / HOUR])).toEqual([
      ['Alex', 'X1', 4],
      ['Alex', 'X2', 3],
      ['Cy', 'C3', 1],
      ['Robert', 'B1', 4],
    ]);
  });

  test('the closed tally is left as it is when open sessions are added to it', () => {
    const frame = totalsFrame(now, MONTHLY, BERLIN);
    const closed = tallySessions(
      [session('A1', '2026-04-01T08:00:00+02:00', '2026-04-01T09:00:00+02:00')],
      frame,
      (s) => s.outAt ?? now,
    );
    const before = JSON.stringify([...closed]);
    const first = totalsTable(
      frame,
      closed,
      [session('A1', '2026-04-02T08:00:00+02:00', null)],
      now,
    );
    expect(first.rows[0]?.periods[0]?.total).toBe(3 * HOUR);
    expect(JSON.stringify([...closed])).toBe(before);
    const later = totalsTable(
      frame,
      closed,
      [session('A1', '2026-04-02T08:00:00+02:00', null)],
      now + HOUR,
    );
    expect(later.rows[0]?.periods[0]?.total).toBe(4 * HOUR);
  });
});

describe('properties', () => {
  const periods: PayPeriod[] = [
    MONTHLY,
    { kind: 'weekly', firstDay: 'wednesday' },
    { kind: 'semimonthly' },
    { kind: 'biweekly', anchor: '2026-01-05' },
  ];
  const zones = [BERLIN, 'America/Santiago', 'UTC', 'Australia/Lord_Howe'];

  test('day totals sum to the week totals and to the period total, which is the sessions’ time inside it', () => {
    const base = at('2026-03-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.constantFrom(...periods),
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 90 * 24 * 60 }),
        fc.array(
          fc.record({
            card: fc.constantFrom('A', 'B', 'C'),
            start: fc.integer({ min: 0, max: 90 * 24 * 60 }),
            minutes: fc.integer({ min: 1, max: 30 * 60 }),
            open: fc.boolean(),
            voided: fc.boolean(),
          }),
          { maxLength: 25 },
        ),
        (period, zone, nowMinute, drawn) => {
          const now = base + nowMinute * 60_000;
          const sessions: TotalsSession[] = drawn
            .map((d) => ({
              card: d.card,
              name: null,
              inAt: base + d.start * 60_000,
              outAt: d.open ? null : base + (d.start + d.minutes) * 60_000,
              ...(d.voided ? { voided: true as const } : {}),
            }))
            .filter((s) => s.inAt <= now && (s.outAt ?? now) <= now);
          const table = totalsOf(sessions, now, period, zone);
          for (const row of table.rows)
            table.frame.periods.forEach((p, i) => {
              const figures = row.periods[i];
              const days = figures?.days.reduce((a, b) => a + b, 0);
              const weeks = figures?.weeks.reduce((a, b) => a + b, 0);
              expect(days).toBe(figures?.total);
              expect(weeks).toBe(figures?.total);
              const inside = sessions
                .filter((s) => s.card === row.card && s.voided !== true)
                .reduce(
                  (sum, s) =>
                    sum +
                    Math.max(
                      0,
                      Math.min(s.outAt ?? now, p.bounds.to) - Math.max(s.inAt, p.bounds.from),
                    ),
                  0,
                );
              expect(figures?.total).toBe(inside);
            });
        },
      ),
      { numRuns: 200 },
    );
  });
});
