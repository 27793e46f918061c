/**
 * `report --explain` as a manager checks it: the figures it shows add up, day by day, to the
 * Paid total beside the hours.
 */
import type { SessionRow } from '../src/drivers/store/store';
import { buildReport, formatReport, type ReportOptions } from '../src/report/report';
import type { PayrollRules } from '../streams/payroll';

const BERLIN = 'Europe/Berlin';
const at = (iso: string): number => Date.parse(iso);

function session(id: string, inIso: string, outIso: string): SessionRow {
  return {
    id,
    card: 'A11CE000',
    name: 'Alice',
    inAt: at(inIso),
    outAt: at(outIso),
    status: 'out',
    reason: null,
    reader: 'door',
  };
}

const MARCH: ReportOptions = {
  zone: BERLIN,
  now: at('2030-01-01T00:00:00Z'),
  from: at('2026-03-01T00:00:00+01:00'),
  to: at('2026-04-01T00:00:00+02:00'),
  period: '2026-03-01 – 2026-03-31',
  explain: true,
};

/** The explanation's lines, from its heading on. */
function explanation(rows: readonly SessionRow[], payroll: PayrollRules): string[] {
  const options = { ...MARCH, payroll };
  const text = formatReport(buildReport(rows, options), options);
  return text.slice(text.indexOf('How Paid is reached')).split('\n');
}

describe('how Paid is reached', () => {
  it('shows the seconds taps leave when nothing is rounded, so each day adds up to its sessions', () => {
    // 3h 57m 20s and 4h 01m 40s: 7h 59m worked. In whole minutes alone, 3h 57m + 4h 01m is 7h 58m.
    const rows = [
      session('s1', '2026-03-02T08:03:20+01:00', '2026-03-02T12:00:40+01:00'),
      session('s2', '2026-03-02T12:30:10+01:00', '2026-03-02T16:31:50+01:00'),
      session('s3', '2026-03-03T08:00:10+01:00', '2026-03-03T16:30:50+01:00'),
    ];
    expect(explanation(rows, { breaks: [{ after: 6, minutes: 30 }] }).slice(3)).toEqual([
      '  Alice',
      '    #1  2026-03-02 08:03 → 2026-03-02 12:00  as clocked: 3h 57m 20s, counts on 2026-03-02',
      '    #2  2026-03-02 12:30 → 2026-03-02 16:31  as clocked: 4h 01m 40s, counts on 2026-03-02',
      '    #3  2026-03-03 08:00 → 2026-03-03 16:30  as clocked: 8h 30m 40s, counts on 2026-03-03',
      '    2026-03-02  worked 7h 59m, 6h or more: 30 min break, 0h 30m taken off → 7h 29m',
      '    2026-03-03  worked 8h 30m 40s, 6h or more: 30 min break, 0h 30m taken off → 8h 00m 40s',
      // No rounding is set: the worked time is as clocked, not "after rounding".
      '    Paid 15h 29m 40s (worked 16h 29m 40s, 1h 00m of breaks)',
      '',
    ]);
  });

  it('writes a rounded time in the repeated hour of the fall-back night with its offset', () => {
    // Out at the first 02:50 (summer time), in again at the second 02:10 (winter time).
    const rows = [
      session('s1', '2026-10-24T22:00:00+02:00', '2026-10-25T02:50:00+02:00'),
      session('s2', '2026-10-25T02:10:00+01:00', '2026-10-25T06:00:00+01:00'),
    ];
    const october = {
      ...MARCH,
      from: at('2026-10-01T00:00:00+02:00'),
      to: at('2026-11-01T00:00:00+01:00'),
    };
    const payroll: PayrollRules = { breaks: [], rounding: { to: 15, mode: 'nearest' } };
    const options = { ...october, period: '2026-10-01 – 2026-10-31', payroll };
    const text = formatReport(buildReport(rows, options), options);
    expect(text).toContain(
      '#1  2026-10-24 22:00 → 2026-10-25 02:50 +02:00  rounded to 22:00 → 02:45 +02:00: 4h 45m,',
    );
    expect(text).toContain(
      '#2  2026-10-25 02:10 +01:00 → 2026-10-25 06:00  rounded to 02:15 +01:00 → 06:00: 3h 45m,',
    );
  });

  it('says a session is still open, and where it is counted to, instead of showing that as its Out', () => {
    const open = {
      ...session('s1', '2026-03-10T08:00:00+01:00', '2026-03-10T08:00:00+01:00'),
      outAt: null,
      status: 'in' as const,
    };
    const options = { ...MARCH, now: at('2026-03-10T12:00:00+01:00'), payroll: { breaks: [] } };
    const text = formatReport(buildReport([open], options), options);
    expect(text).toContain(
      '#1  2026-03-10 08:00 → open, counted to 2026-03-10 12:00  as clocked: 4h 00m, counts on 2026-03-10',
    );
  });

  it('names the part of a session inside the range as inside the report’s days, not a period, when none was asked for', () => {
    const night = [session('s1', '2026-03-10T22:00:00+01:00', '2026-03-11T06:00:00+01:00')];
    const payroll: PayrollRules = { breaks: [] };
    const ends = { to: at('2026-03-11T00:00:00+01:00') };
    const days = { ...MARCH, ...ends, period: undefined, payroll };
    expect(formatReport(buildReport(night, days), days)).toContain(
      'as clocked: 2h 00m (the part inside the report’s days), counts on 2026-03-10',
    );
    const period = { ...MARCH, ...ends, payroll };
    expect(formatReport(buildReport(night, period), period)).toContain(
      'as clocked: 2h 00m (the part inside the period), counts on 2026-03-10',
    );
  });
});
