/**
 * What a report costs, counted rather than timed: the zone's offset is looked
 * up (an `Intl.DateTimeFormat` call) a bounded number of times per range, not
 * once or more per day-piece of every session; with payroll rules, whose a
 * session is is asked once per session, not once per session and person. The
 * seconds are in `npm run bench`.
 */
import type { SessionRow } from '../src/drivers/store/store';
import { buildReport, formatReport, reportCsv } from '../src/report/report';
import { parseLocalDate } from '../src/report/dates';
import { personTotals } from '../src/report/paid';

const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;

/** Counts every `Intl.DateTimeFormat#format` call (how the tz data is read) made while `work` runs. */
function countZoneLookups(work: () => void): number {
  const prototype = Intl.DateTimeFormat.prototype;
  const original = Object.getOwnPropertyDescriptor(prototype, 'format');
  if (original === undefined) throw new Error('Intl.DateTimeFormat#format is missing');
  let lookups = 0;
  // `format` is a getter handing out a bound function (which callers keep): count its calls.
  Object.defineProperty(prototype, 'format', {
    configurable: true,
    get(this: Intl.DateTimeFormat) {
      return (date?: Date | number): string => {
        lookups += 1;
        return this.formatToParts(date)
          .map((part) => part.value)
          .join('');
      };
    },
  });
  try {
    work();
  } finally {
    Object.defineProperty(prototype, 'format', original);
  }
  return lookups;
}

/** `count` sessions of 8 hours spread over 2026, a few across midnight and the DST nights. */
function yearOfSessions(count: number): SessionRow[] {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const step = (365 * 24 * HOUR) / count;
  return Array.from({ length: count }, (_, i) => {
    const inAt = Math.round(start + i * step);
    return {
      id: `s${i}`,
      card: `C${String(i % 150).padStart(7, '0')}`,
      name: `Person ${i % 150}`,
      inAt,
      outAt: inAt + 8 * HOUR,
      status: 'out',
      reason: null,
      reader: 'door',
    };
  });
}

describe('the cost of a report', () => {
  it('a year of 20,000 sessions looks the zone up fewer times than it has sessions', () => {
    const from = parseLocalDate('2026-01-01', BERLIN);
    const to = parseLocalDate('2027-01-01', BERLIN);
    if (from === null || to === null) throw new Error('bad range');
    const options = { zone: BERLIN, now: Date.parse('2027-06-01T00:00:00Z'), from, to };
    const rows = yearOfSessions(20_000);
    const lookups = countZoneLookups(() => {
      const report = buildReport(rows, options);
      formatReport(report, options);
      reportCsv(report, options);
    });
    expect(lookups).toBeLessThan(rows.length);
  });

  it('Paid for 150 people asks whose each session is once, not once per person', () => {
    const rows = yearOfSessions(3_000);
    const from = Date.parse('2026-01-01T00:00:00Z');
    // A month past the last session's end: none is cut by the range.
    const to = Date.parse('2027-02-01T00:00:00Z');
    const daily = Array.from({ length: 150 }, (_, i) => {
      const card = `C${String(i).padStart(7, '0')}`;
      return { person: `Person ${i}`, card, ms: HOUR };
    });
    let asked = 0;
    const keyOf = (session: SessionRow): string => {
      asked += 1;
      return session.card;
    };
    const totals = personTotals(rows, daily, keyOf, {
      zone: BERLIN,
      from,
      to,
      payroll: { breaks: [{ after: 6, minutes: 30 }] },
      endOf: (session) => session.outAt ?? to,
    });
    expect(totals).toHaveLength(150);
    // Every person's 20 sessions of 8 hours, each with its 30 minute break.
    for (const total of totals) expect(total.paid?.ms).toBe(20 * 7.5 * HOUR);
    expect(asked).toBeLessThanOrEqual(rows.length);
  });
});
