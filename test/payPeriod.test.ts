/**
 * Pay periods: the period an instant falls in, by each kind, month lengths
 * and leap years, DST in the zone; and as properties, that periods tile time
 * with no gap or overlap and each starts at a local midnight.
 */
import fc from 'fast-check';
import {
  dayNumberOf,
  formatPayPeriod,
  nextPeriod,
  periodAt,
  periodLabel,
  previousPeriod,
  WEEKDAYS,
  type PayPeriod,
} from '../streams/payPeriod';
import { formatLocalDate, startOfLocalDay } from '../streams/zoned';

const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

const label = (iso: string, period: PayPeriod, zone = BERLIN): string =>
  periodLabel(periodAt(at(iso), period, zone), zone);

describe('the pay period of an instant', () => {
  it('weekly from Monday is the ISO week, and from Sunday starts on the Sunday before', () => {
    const wednesday = '2026-04-01T12:00:00+02:00';
    expect(label(wednesday, { kind: 'weekly', firstDay: 'monday' })).toBe(
      '2026-03-30 – 2026-04-05',
    );
    expect(label(wednesday, { kind: 'weekly', firstDay: 'sunday' })).toBe(
      '2026-03-29 – 2026-04-04',
    );
    // The first day itself starts a period.
    expect(label('2026-03-29T00:00:00+01:00', { kind: 'weekly', firstDay: 'sunday' })).toBe(
      '2026-03-29 – 2026-04-04',
    );
  });

  it('every two weeks counts fourteen days from the anchor, before and after it', () => {
    const period: PayPeriod = { kind: 'biweekly', anchor: '2026-01-05' };
    expect(label('2026-01-05T00:00:00+01:00', period)).toBe('2026-01-05 – 2026-01-18');
    expect(label('2026-01-19T09:00:00+01:00', period)).toBe('2026-01-19 – 2026-02-01');
    expect(label('2026-01-04T23:59:59+01:00', period)).toBe('2025-12-22 – 2026-01-04');
    expect(label('2025-06-01T12:00:00+02:00', period)).toBe('2025-05-26 – 2025-06-08');
  });

  it('twice a month is the 1st to the 15th and the 16th to the month’s end, leap years included', () => {
    const period: PayPeriod = { kind: 'semimonthly' };
    expect(label('2024-02-15T23:59:00+01:00', period)).toBe('2024-02-01 – 2024-02-15');
    expect(label('2024-02-16T00:00:00+01:00', period)).toBe('2024-02-16 – 2024-02-29');
    expect(label('2026-02-20T12:00:00+01:00', period)).toBe('2026-02-16 – 2026-02-28');
    expect(label('2026-12-31T23:00:00+01:00', period)).toBe('2026-12-16 – 2026-12-31');
  });

  it('monthly runs from the 1st, or from day N to the day before it in the next month', () => {
    expect(label('2026-02-10T12:00:00+01:00', { kind: 'monthly' })).toBe('2026-02-01 – 2026-02-28');
    const from26: PayPeriod = { kind: 'monthly', startDay: 26 };
    expect(label('2026-04-10T12:00:00+02:00', from26)).toBe('2026-03-26 – 2026-04-25');
    expect(label('2026-04-26T00:00:00+02:00', from26)).toBe('2026-04-26 – 2026-05-25');
    expect(label('2026-01-03T12:00:00+01:00', from26)).toBe('2025-12-26 – 2026-01-25');
    expect(label('2026-12-30T12:00:00+01:00', from26)).toBe('2026-12-26 – 2027-01-25');
    expect(label('2024-03-10T12:00:00+01:00', { kind: 'monthly', startDay: 28 })).toBe(
      '2024-02-28 – 2024-03-27',
    );
  });

  it('takes the local date in the zone, not UTC: 23:30 on the 25th in Berlin is still the 25th', () => {
    const from26: PayPeriod = { kind: 'monthly', startDay: 26 };
    // 2026-03-25 23:30 CET is 22:30 UTC; 2026-03-26 00:30 CET is 23:30 UTC on the 25th.
    expect(label('2026-03-25T22:30:00Z', from26)).toBe('2026-02-26 – 2026-03-25');
    expect(label('2026-03-25T23:30:00Z', from26)).toBe('2026-03-26 – 2026-04-25');
    expect(label('2026-03-25T23:30:00Z', from26, 'UTC')).toBe('2026-02-26 – 2026-03-25');
  });

  it('bounds a period by local midnights, so a week with the spring change is 167 hours long', () => {
    const bounds = periodAt(
      at('2026-03-29T12:00:00+02:00'),
      { kind: 'weekly', firstDay: 'monday' },
      BERLIN,
    );
    expect(bounds).toEqual({
      from: at('2026-03-23T00:00:00+01:00'),
      to: at('2026-03-30T00:00:00+02:00'),
    });
    expect((bounds.to - bounds.from) / HOUR).toBe(7 * 24 - 1);
    const autumn = periodAt(at('2026-10-25T12:00:00+01:00'), { kind: 'monthly' }, BERLIN);
    expect((autumn.to - autumn.from) / HOUR).toBe(31 * 24 + 1);
  });

  it('starts a period where the clocks skip midnight at the jump (Santiago, 2026-09-06)', () => {
    const zone = 'America/Santiago';
    const bounds = periodAt(
      at('2026-09-10T12:00:00-03:00'),
      { kind: 'weekly', firstDay: 'sunday' },
      zone,
    );
    // Midnight of Sunday 6 September does not exist: the day starts at 01:00 -03:00.
    expect(bounds.from).toBe(at('2026-09-06T01:00:00-03:00'));
    expect(periodLabel(bounds, zone)).toBe('2026-09-06 – 2026-09-12');
  });

  it('gives the period before and after', () => {
    const from26: PayPeriod = { kind: 'monthly', startDay: 26 };
    const now = at('2026-04-10T12:00:00+02:00');
    expect(periodLabel(previousPeriod(now, from26, BERLIN), BERLIN)).toBe(
      '2026-02-26 – 2026-03-25',
    );
    expect(periodLabel(nextPeriod(now, from26, BERLIN), BERLIN)).toBe('2026-04-26 – 2026-05-25');
    expect(periodLabel(previousPeriod(now, { kind: 'semimonthly' }, BERLIN), BERLIN)).toBe(
      '2026-03-16 – 2026-03-31',
    );
  });

  it('reads a date as a day number only when it is a real date', () => {
    expect(dayNumberOf('1970-01-02')).toBe(1);
    expect(dayNumberOf('2024-02-29')).not.toBeNull();
    expect(dayNumberOf('2026-02-29')).toBeNull();
    expect(dayNumberOf('2026-2-01')).toBeNull();
  });

  it('writes each period in its short form', () => {
    expect(formatPayPeriod({ kind: 'weekly', firstDay: 'sunday' })).toBe('weekly:sunday');
    expect(formatPayPeriod({ kind: 'biweekly', anchor: '2026-01-05' })).toBe('biweekly:2026-01-05');
    expect(formatPayPeriod({ kind: 'semimonthly' })).toBe('semimonthly');
    expect(formatPayPeriod({ kind: 'monthly' })).toBe('monthly');
    expect(formatPayPeriod({ kind: 'monthly', startDay: 26 })).toBe('monthly:26');
  });
});

describe('pay periods as properties', () => {
  const zones = [
    'UTC',
    BERLIN,
    'America/Los_Angeles',
    'America/Santiago',
    'Australia/Lord_Howe',
    'Pacific/Auckland',
    'Asia/Kathmandu',
  ];
  const anchor = fc
    .integer({ min: 0, max: 40 * 365 })
    .map((days) => new Date(Date.UTC(2000, 0, 1) + days * 86_400_000).toISOString().slice(0, 10));
  const period: fc.Arbitrary<PayPeriod> = fc.oneof(
    fc.constantFrom(...WEEKDAYS).map((firstDay) => ({ kind: 'weekly' as const, firstDay })),
    anchor.map((a) => ({ kind: 'biweekly' as const, anchor: a })),
    fc.constant({ kind: 'semimonthly' as const }),
    fc
      .option(fc.integer({ min: 1, max: 28 }), { nil: undefined })
      .map((startDay) =>
        startDay === undefined
          ? { kind: 'monthly' as const }
          : { kind: 'monthly' as const, startDay },
      ),
  );
  const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });
  const zone = fc.constantFrom(...zones);

  it('each instant lies in the period periodAt gives for it', () => {
    fc.assert(
      fc.property(instant, period, zone, (t, p, z) => {
        const { from, to } = periodAt(t, p, z);
        return from <= t && t < to;
      }),
    );
  });

  it('periods tile time: the next starts where one ends, the previous ends where it starts', () => {
    fc.assert(
      fc.property(instant, period, zone, (t, p, z) => {
        const bounds = periodAt(t, p, z);
        expect(periodAt(bounds.from, p, z)).toEqual(bounds);
        expect(periodAt(bounds.to - 1, p, z)).toEqual(bounds);
        expect(nextPeriod(t, p, z).from).toBe(bounds.to);
        expect(previousPeriod(t, p, z).to).toBe(bounds.from);
      }),
    );
  });

  it('every period starts at a local midnight on its first day and lasts as many days as its kind', () => {
    fc.assert(
      fc.property(instant, period, zone, (t, p, z) => {
        const bounds = periodAt(t, p, z);
        expect(startOfLocalDay(bounds.from, z)).toBe(bounds.from);
        expect(startOfLocalDay(bounds.to, z)).toBe(bounds.to);
        const [first = '', last = ''] = periodLabel(bounds, z).split(' – ');
        const days = (Date.parse(last) - Date.parse(first)) / 86_400_000 + 1;
        const dom = Number(first.slice(8));
        switch (p.kind) {
          case 'weekly':
            expect(days).toBe(7);
            expect(new Date(first).getUTCDay()).toBe(WEEKDAYS.indexOf(p.firstDay));
            break;
          case 'biweekly':
            expect(days).toBe(14);
            expect(Math.abs((Date.parse(first) - Date.parse(p.anchor)) / 86_400_000) % 14).toBe(0);
            break;
          case 'semimonthly':
            expect([1, 16]).toContain(dom);
            expect(days).toBeGreaterThanOrEqual(13);
            expect(days).toBeLessThanOrEqual(16);
            break;
          case 'monthly':
            expect(dom).toBe(p.startDay ?? 1);
            expect(days).toBeGreaterThanOrEqual(28);
            expect(days).toBeLessThanOrEqual(31);
            break;
        }
        expect(formatLocalDate(bounds.from, z)).toBe(first);
      }),
    );
  });
});
