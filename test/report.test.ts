/**
 * Reports: totals split at local midnight (DST days included), ISO weeks, open
 * sessions counted to now, the person filter, the text and the RFC 4180 CSV;
 * then the `report` command of the built CLI on a real store.
 */
import fc from 'fast-check';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLocalDate, startOfLocalIsoWeek } from '../src/report/dates';
import { editsCsv, formatEdits } from '../src/report/edits';
import {
  buildReport,
  CSV_HEADER,
  formatReport,
  isoWeek,
  matchesPerson,
  reportCsv,
  type ReportOptions,
} from '../src/report/report';
import { makeDirectory, type Person } from '../streams/directory';
import { defaultRules } from '../streams/rules';
import type { EditRow, SessionRow } from '../src/drivers/store/store';
import type { PayrollRules } from '../streams/payroll';
import { periodAt, periodLabel, type PayPeriod } from '../streams/payPeriod';
import { totalsOf } from '../streams/totals';
import { Store } from '../src/drivers/store/store';
import { logText, requireBuiltCli, runCli } from './support/runCli';
import { HOUR, MINUTE, people, player, read, tempDir } from './support/store-fixtures';

const BERLIN = 'Europe/Berlin';
/** The environment of every command here: no asking timedatectl. */
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${iso}`);
  return ms;
};

let ids = 0;
function session(
  inIso: string,
  outIso: string | null,
  extra: Partial<SessionRow & { voided: boolean }> = {},
): SessionRow {
  const inAt = at(inIso);
  const outAt = outIso === null ? null : at(outIso);
  ids += 1;
  return {
    id: `s${ids}`,
    card: 'A11CE000',
    name: 'Alice',
    inAt,
    outAt,
    status: outAt === null ? 'in' : 'out',
    reason: null,
    reader: 'door',
    ...extra,
  };
}

/** Options for the local days `from`..`to` (inclusive) in `zone`. */
function range(from: string, to: string, zone = BERLIN, now = at('2030-01-01T00:00:00Z')) {
  const start = parseLocalDate(from, zone);
  const last = parseLocalDate(to, zone);
  if (start === null || last === null) throw new Error('bad test range');
  const end = parseLocalDate(new Date(last + 36 * HOUR).toISOString().slice(0, 10), zone);
  if (end === null) throw new Error('bad test range');
  return { zone, now, from: start, to: end } satisfies ReportOptions;
}

const totals = (list: readonly { person: string; period: string; ms: number }[]) =>
  list.map((t) => [t.person, t.period, t.ms / HOUR]);

/** An independent RFC 4180 reader for the tests: records of fields, and whether every line ended in CRLF. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const quote = text.indexOf('"', i);
          if (quote < 0) throw new Error('unterminated quoted field');
          field += text.slice(i, quote);
          i = quote + 1;
          if (text[i] === '"') {
            field += '"';
            i++;
          } else break;
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"') throw new Error(`a quote inside an unquoted field at ${i}`);
          field += text.charAt(i);
          i++;
        }
      }
      record.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`record not ended by CRLF at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    records.push(record);
  }
  return records;
}

describe('report totals', () => {
  it('splits a session at local midnight and counts each part on its own day', () => {
    const rows = [session('2026-03-23T22:00:00+01:00', '2026-03-24T02:00:00+01:00')];
    const report = buildReport(rows, range('2026-03-23', '2026-03-29'));
    expect(totals(report.daily)).toEqual([
      ['Alice', '2026-03-23', 2],
      ['Alice', '2026-03-24', 2],
    ]);
    expect(totals(report.weekly)).toEqual([['Alice', '2026-W13', 4]]);
  });

  it('counts real elapsed time across the spring change in Berlin (2026-03-29 has 23 hours)', () => {
    const rows = [
      // 20:00 CET to 08:00 CEST: 12 hours on the wall clock, 11 hours worked.
      session('2026-03-28T20:00:00+01:00', '2026-03-29T08:00:00+02:00'),
      // The whole of the short day, midnight to midnight.
      session('2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00', {
        card: 'B0B0B0B0',
        name: 'Bob',
      }),
    ];
    const report = buildReport(rows, range('2026-03-23', '2026-03-30'));
    expect(totals(report.daily)).toEqual([
      ['Alice', '2026-03-28', 4],
      ['Alice', '2026-03-29', 7],
      ['Bob', '2026-03-29', 23],
    ]);
    expect(totals(report.weekly)).toEqual([
      ['Alice', '2026-W13', 11],
      ['Bob', '2026-W13', 23],
    ]);
    const text = formatReport(report, range('2026-03-23', '2026-03-30'));
    expect(text).toMatch(/^ {2}2026-03-29 Sun {2}Bob +23h 00m$/m);
    expect(text).toMatch(/^ {2}2026-03-28 20:00 → 2026-03-29 08:00 +11h 00m {2}Alice +A11CE000$/m);
  });

  it('counts real elapsed time across the autumn change in Berlin (2026-10-25 has 25 hours)', () => {
    const rows = [
      // 20:00 CEST to 08:00 CET: 12 hours on the wall clock, 13 hours worked.
      session('2026-10-24T20:00:00+02:00', '2026-10-25T08:00:00+01:00'),
      session('2026-10-25T00:00:00+02:00', '2026-10-26T00:00:00+01:00', {
        card: 'B0B0B0B0',
        name: 'Bob',
      }),
    ];
    const report = buildReport(rows, range('2026-10-19', '2026-10-26'));
    expect(totals(report.daily)).toEqual([
      ['Alice', '2026-10-24', 4],
      ['Alice', '2026-10-25', 9],
      ['Bob', '2026-10-25', 25],
    ]);
    expect(totals(report.weekly)).toEqual([
      ['Alice', '2026-W43', 13],
      ['Bob', '2026-W43', 25],
    ]);
  });

  it('splits a session across Sunday midnight between two ISO weeks', () => {
    const rows = [session('2026-03-29T22:00:00+02:00', '2026-03-30T02:00:00+02:00')];
    const report = buildReport(rows, range('2026-03-23', '2026-04-05'));
    expect(totals(report.weekly)).toEqual([
      ['Alice', '2026-W13', 2],
      ['Alice', '2026-W14', 2],
    ]);
  });

  it('names ISO weeks by their local date in the zone, across year ends', () => {
    expect(isoWeek(at('2026-03-29T22:30:00Z'), BERLIN)).toBe('2026-W14');
    expect(isoWeek(at('2026-03-29T22:30:00Z'), 'UTC')).toBe('2026-W13');
    expect(isoWeek(at('2027-01-01T12:00:00Z'), BERLIN)).toBe('2026-W53');
    expect(isoWeek(at('2025-12-29T12:00:00Z'), BERLIN)).toBe('2026-W01');
    expect(isoWeek(at('2026-12-31T23:30:00Z'), BERLIN)).toBe('2026-W53');
  });

  it('counts an open session up to now, and no further than the end of the range', () => {
    const now = at('2026-03-25T11:30:00+01:00');
    const rows = [session('2026-03-25T08:00:00+01:00', null)];
    const inRange = buildReport(rows, range('2026-03-23', '2026-03-29', BERLIN, now));
    expect(totals(inRange.daily)).toEqual([['Alice', '2026-03-25', 3.5]]);
    const later = at('2026-03-26T09:00:00+01:00');
    const upToWednesday = buildReport(rows, range('2026-03-23', '2026-03-25', BERLIN, later));
    expect(totals(upToWednesday.daily)).toEqual([['Alice', '2026-03-25', 16]]);
  });

  it('counts a session left open while the clock was off only up to where the clock will close it', () => {
    // Clocked in Tuesday 08:00, never out, the clock off since: the 12 h limit closes it at 20:00.
    const now = at('2026-03-26T09:00:00+01:00');
    const rows = [session('2026-03-24T08:00:00+01:00', null)];
    const rules = defaultRules(BERLIN);
    const options = {
      ...range('2026-03-23', '2026-03-29', BERLIN, now),
      closeAt: (s: SessionRow) => s.inAt + rules.limitMs,
    };
    const report = buildReport(rows, options);
    expect(totals(report.daily)).toEqual([['Alice', '2026-03-24', 12]]);
    expect(formatReport(report, options)).toContain(
      '  2026-03-24 08:00 → open               12h 00m  Alice   A11CE000  (open past its limit: counted to 2026-03-24 20:00, where the clock closes it as auto when it runs)',
    );
    expect(reportCsv(report, options).split('\r\n')[1]).toContain(',12.0000,');
  });

  it('counts only the part of a session inside the range, and lists the session', () => {
    const rows = [session('2026-03-22T22:00:00+01:00', '2026-03-23T03:00:00+01:00')];
    const report = buildReport(rows, range('2026-03-23', '2026-03-29'));
    expect(totals(report.daily)).toEqual([['Alice', '2026-03-23', 3]]);
    expect(report.sessions).toEqual(rows);
  });

  it('writes 0 hours, a number, for a session open from a time after now (another door with a fast clock), not text', () => {
    const now = at('2026-03-24T08:00:00+01:00');
    const rows = [session('2026-03-24T08:03:00+01:00', null)];
    const options = range('2026-03-23', '2026-03-29', BERLIN, now);
    const [, row = []] = readCsv(reportCsv(buildReport(rows, options), options));
    expect(row[6]).toBe('0.0000');
  });

  it('filters by name in any case or by card id, and keeps unnamed cards findable by card', () => {
    const alice = session('2026-03-23T08:00:00+01:00', '2026-03-23T12:00:00+01:00');
    const unknown = session('2026-03-23T09:00:00+01:00', '2026-03-23T10:00:00+01:00', {
      card: 'DEADBEEF',
      name: null,
    });
    for (const person of ['Alice', 'alice', 'ALICE', '  Alice ', 'A11CE000', 'a11ce000']) {
      expect(matchesPerson(alice, person)).toBe(true);
    }
    for (const person of ['Ali', 'Alice Smith', 'DEADBEEF', '']) {
      expect(matchesPerson(alice, person)).toBe(false);
    }
    expect(matchesPerson(unknown, 'deadbeef')).toBe(true);
    const options = { ...range('2026-03-23', '2026-03-29'), person: 'DeadBeef' };
    const report = buildReport([alice, unknown], options);
    expect(report.sessions).toEqual([unknown]);
    expect(totals(report.daily)).toEqual([['DEADBEEF', '2026-03-23', 1]]);
  });

  it('parses local dates in the zone and finds the Monday of the ISO week', () => {
    expect(parseLocalDate('2026-03-29', BERLIN)).toBe(at('2026-03-29T00:00:00+01:00'));
    expect(parseLocalDate('2026-10-26', BERLIN)).toBe(at('2026-10-26T00:00:00+01:00'));
    for (const bad of ['2026-02-30', '29.03.2026', '2026-3-29', 'today', '']) {
      expect(parseLocalDate(bad, BERLIN)).toBeNull();
    }
    expect(startOfLocalIsoWeek(at('2026-03-29T21:00:00Z'), BERLIN)).toBe(
      at('2026-03-23T00:00:00+01:00'),
    );
    // Late Sunday in UTC is already Monday in Berlin.
    expect(startOfLocalIsoWeek(at('2026-03-29T22:30:00Z'), BERLIN)).toBe(
      at('2026-03-30T00:00:00+02:00'),
    );
  });
});

describe('the report as text', () => {
  it('lists daily and weekly totals and the sessions, marking open ones and flagging automatic ones', () => {
    const now = at('2026-03-27T12:00:00+01:00');
    const options = range('2026-03-23', '2026-03-29', BERLIN, now);
    const rows = [
      session('2026-03-23T08:00:00+01:00', '2026-03-23T16:30:00+01:00'),
      session('2026-03-24T08:00:00+01:00', '2026-03-24T20:00:00+01:00', {
        status: 'auto',
        reason: 'limit',
      }),
      session('2026-03-25T08:00:00+01:00', '2026-03-25T23:00:00+01:00', {
        status: 'auto',
        reason: 'cutoff',
      }),
      session('2026-03-27T09:00:00+01:00', null, { card: 'DEADBEEF', name: null }),
    ];
    expect(formatReport(buildReport(rows, options), options)).toBe(
      [
        'Report 2026-03-23 to 2026-03-29 (Europe/Berlin)',
        '',
        'Daily totals',
        '  2026-03-23 Mon  Alice       8h 30m',
        '  2026-03-24 Tue  Alice      12h 00m',
        '  2026-03-25 Wed  Alice      15h 00m',
        '  2026-03-27 Fri  DEADBEEF    3h 00m',
        '',
        'Weekly totals',
        '  2026-W13  Alice      35h 30m',
        '  2026-W13  DEADBEEF    3h 00m',
        '',
        'Sessions',
        '  2026-03-23 08:00 → 2026-03-23 16:30    8h 30m  Alice     A11CE000',
        '  2026-03-24 08:00 → 2026-03-24 20:00   12h 00m  Alice     A11CE000  (closed automatically at the time limit)',
        '  2026-03-25 08:00 → 2026-03-25 23:00   15h 00m  Alice     A11CE000  (closed automatically at the daily cut-off)',
        '  2026-03-27 09:00 → open                3h 00m  DEADBEEF  DEADBEEF  (open: still clocked in)',
        '',
      ].join('\n'),
    );
  });

  it('writes the offset of a time in the repeated hour of the fall-back night, where the wall clock alone is ambiguous', () => {
    const rows = [
      // 01:30 happens once; 02:30 happens twice (CEST, then CET).
      session('2026-10-25T01:30:00+02:00', '2026-10-25T02:30:00+01:00'),
      session('2026-10-25T02:40:00+02:00', '2026-10-25T02:20:00+01:00', {
        card: 'B0B0B0B0',
        name: 'Bob',
      }),
    ];
    const options = range('2026-10-19', '2026-10-25');
    const text = formatReport(buildReport(rows, options), options);
    expect(text.split('Sessions\n')[1]).toBe(
      [
        '  2026-10-25 01:30        → 2026-10-25 02:30 +01:00    2h 00m  Alice   A11CE000',
        '  2026-10-25 02:40 +02:00 → 2026-10-25 02:20 +01:00    0h 40m  Bob     B0B0B0B0',
        '',
      ].join('\n'),
    );
  });

  it('says so when there are no sessions in the period', () => {
    const options = range('2026-03-23', '2026-03-29');
    expect(formatReport(buildReport([], options), options)).toBe(
      'Report 2026-03-23 to 2026-03-29 (Europe/Berlin)\n\nNo sessions in this period.\n',
    );
  });
});

describe('the corrections (report --edits)', () => {
  it('writes the offset of a time in the repeated hour, so a move from the first 02:30 to the second is not shown as 02:30 to 02:30', () => {
    const edit: EditRow = {
      seenAt: at('2026-10-25T02:45:00+01:00'),
      session: '20261025T000000.000Z-A11CE000',
      card: 'A11CE000',
      name: 'Alice',
      field: 'out',
      old: '2026-10-25T00:30:00.000Z',
      new: '2026-10-25T01:30:00.000Z',
      applied: true,
      reason: null,
      source: 'fix',
      why: 'the second 02:30',
    };
    const [, line] = formatEdits([edit], BERLIN).split('\n');
    expect(line).toMatch(
      /^2026-10-25 02:45 \+01:00 +\S+ +Alice +out +2026-10-25 02:30 \+02:00 +2026-10-25 02:30 \+01:00 +applied/,
    );
    expect(editsCsv([edit], BERLIN)).toContain(
      ',2026-10-25 02:30 +02:00,2026-10-25 02:30 +01:00,applied,',
    );
  });
});

describe('the report as CSV', () => {
  const now = at('2026-03-27T12:00:00+01:00');
  const options = range('2026-03-23', '2026-03-29', BERLIN, now);

  it('is RFC 4180 with a header and CRLF line ends, one row per session with its id, card, name, in, out, hours and status', () => {
    const rows = [
      session('2026-03-23T08:00:00+01:00', '2026-03-23T16:30:00+01:00', { id: 'S-1' }),
      session('2026-03-24T08:00:00+01:00', '2026-03-24T20:00:00+01:00', {
        id: 'S-2',
        status: 'auto',
        reason: 'limit',
      }),
      session('2026-03-27T09:00:00+01:00', null, {
        id: 'S-3',
        card: 'DEADBEEF',
        name: 'Jo "JJ" Smith, Jr.\r\nsecond line',
      }),
    ];
    const csv = reportCsv(buildReport(rows, options), options);
    // readCsv insists on CRLF after every record, the last one included.
    expect(readCsv(csv)).toEqual([
      ['session', 'date', 'name', 'card', 'in', 'out', 'hours', 'status', 'reader'],
      [
        'S-1',
        '2026-03-23',
        'Alice',
        'A11CE000',
        '2026-03-23T08:00:00+01:00',
        '2026-03-23T16:30:00+01:00',
        '8.5000',
        'out',
        'door',
      ],
      [
        'S-2',
        '2026-03-24',
        'Alice',
        'A11CE000',
        '2026-03-24T08:00:00+01:00',
        '2026-03-24T20:00:00+01:00',
        '12.0000',
        'auto',
        'door',
      ],
      [
        'S-3',
        '2026-03-27',
        'Jo "JJ" Smith, Jr.\r\nsecond line',
        'DEADBEEF',
        '2026-03-27T09:00:00+01:00',
        '',
        '3.0000',
        'in',
        'door',
      ],
    ]);
    expect(CSV_HEADER).toEqual(readCsv(csv)[0]);
  });

  it('writes times with the offset in force, across a DST change', () => {
    const rows = [session('2026-10-24T20:00:00+02:00', '2026-10-25T08:00:00+01:00')];
    const autumn = range('2026-10-19', '2026-10-25');
    const [, row = []] = readCsv(reportCsv(buildReport(rows, autumn), autumn));
    expect(row.slice(4, 7)).toEqual([
      '2026-10-24T20:00:00+02:00',
      '2026-10-25T08:00:00+01:00',
      '13.0000',
    ]);
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+49 170 1234567', "'+49 170 1234567"],
    ['-x', "'-x"],
    ['@x', "'@x"],
    ['=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'],
    ['\tTab', "'\tTab"],
    ['Anne-Marie', 'Anne-Marie'],
    ['O+M', 'O+M'],
  ])('neutralises a name like %j so no spreadsheet runs it', (name, written) => {
    const rows = [session('2026-03-23T08:00:00+01:00', '2026-03-23T16:30:00+01:00', { name })];
    const [, row = []] = readCsv(reportCsv(buildReport(rows, options), options));
    expect(row[2]).toBe(written);
  });
});

describe('the report of a pay period, with payroll rules', () => {
  const RULES: PayrollRules = {
    breaks: [
      { after: 6, minutes: 30 },
      { after: 9, minutes: 45 },
    ],
    rounding: { to: 15, mode: 'nearest' },
  };
  const march = {
    ...range('2026-03-01', '2026-03-31'),
    period: '2026-03-01 – 2026-03-31',
    payroll: RULES,
  };
  const rows = [
    // 8h 56m clocked; rounded 08:00 → 17:00 is 9 hours, which reaches the 45-minute rule.
    session('2026-03-10T08:04:00+01:00', '2026-03-10T17:00:00+01:00'),
    // A night shift: one shift of 8 hours on the day it starts, 30 minutes off.
    session('2026-03-11T22:00:00+01:00', '2026-03-12T06:00:00+01:00'),
    session('2026-03-12T10:00:00+01:00', '2026-03-12T12:00:00+01:00', {
      card: 'B0B0B0B0',
      name: 'Bob',
    }),
  ];

  it('keeps the hours as worked and puts Paid beside them in the period totals', () => {
    const report = buildReport(rows, march);
    expect(report.totals.map((t) => [t.person, t.ms / HOUR, (t.paid?.ms ?? NaN) / HOUR])).toEqual([
      ['Alice', 8 + 56 / 60 + 8, 8.25 + 7.5],
      ['Bob', 2, 2],
    ]);
    const text = formatReport(report, march);
    expect(text.split('\n')[0]).toBe('Pay period 2026-03-01 – 2026-03-31 (Europe/Berlin)');
    expect(text).toMatch(
      /^Period totals\n {2}Alice +16h 56m {2}Paid +15h 45m\n {2}Bob +2h 00m {2}Paid +2h 00m$/m,
    );
    // The daily totals stay the raw hours, split at midnight.
    expect(text).toMatch(/^ {2}2026-03-11 Wed {2}Alice +2h 00m$/m);
  });

  it('shows the period totals without Paid when a period is asked for and no rules are set', () => {
    const text = formatReport(buildReport(rows, { ...march, payroll: undefined }), {
      ...march,
      payroll: undefined,
    });
    expect(text).toMatch(/^Period totals\n {2}Alice +16h 56m\n {2}Bob +2h 00m$/m);
    expect(text).not.toContain('Paid');
  });

  it('leaves the report as it was when neither a period nor payroll rules are asked for', () => {
    const plain = range('2026-03-01', '2026-03-31');
    const text = formatReport(buildReport(rows, plain), plain);
    expect(text.split('\n')[0]).toBe('Report 2026-03-01 to 2026-03-31 (Europe/Berlin)');
    expect(text).not.toMatch(/Period totals|Paid|How Paid/);
    expect(reportCsv(buildReport(rows, plain), plain).split('\r\n')[0]).toBe(CSV_HEADER.join(','));
  });

  it('explains each Paid total: the rules, every session’s rounding and every day’s break', () => {
    const options = { ...march, explain: true };
    const text = formatReport(buildReport(rows, options), options);
    const explanation = text.slice(text.indexOf('How Paid is reached'));
    expect(explanation.split('\n')).toEqual([
      'How Paid is reached',
      '  Rules: in and out rounded to the nearest 15 min; breaks 6h → 30 min, 9h → 45 min.',
      '',
      '  Alice',
      '    #1  2026-03-10 08:04 → 2026-03-10 17:00  rounded to 08:00 → 17:00: 9h 00m, counts on 2026-03-10',
      '    #2  2026-03-11 22:00 → 2026-03-12 06:00  as clocked: 8h 00m, counts on 2026-03-11',
      '    2026-03-10  worked 9h 00m, 9h or more: 45 min break, 0h 45m taken off → 8h 15m',
      '    2026-03-11  worked 8h 00m, 6h or more: 30 min break, 0h 30m taken off → 7h 30m',
      '    Paid 15h 45m (worked 17h 00m after rounding, 1h 15m of breaks)',
      '',
      '  Bob',
      '    #1  2026-03-12 10:00 → 2026-03-12 12:00  as clocked: 2h 00m, counts on 2026-03-12',
      '    2026-03-12  worked 2h 00m, no break rule reached → 2h 00m',
      '    Paid 2h 00m (worked 2h 00m after rounding, 0h 00m of breaks)',
      '',
    ]);
  });

  it('says there are no rules when asked to explain without them', () => {
    const options = { ...march, payroll: undefined, explain: true };
    expect(formatReport(buildReport(rows, options), options)).toContain(
      'No payroll rules are set (the config key payroll): the hours are paid as worked.',
    );
  });

  it('adds a paid column to the CSV that adds up to each person’s Paid total', () => {
    const records = readCsv(reportCsv(buildReport(rows, march), march));
    expect(records[0]).toEqual([...CSV_HEADER, 'paid']);
    expect(records.slice(1).map((r) => [r[2], r[6], r[9]])).toEqual([
      ['Alice', '8.9333', '8.2500'],
      ['Alice', '8.0000', '7.5000'],
      ['Bob', '2.0000', '2.0000'],
    ]);
  });

  it('lists a voided session but counts it nowhere, and leaves it out of the CSV', () => {
    const withVoid = [
      ...rows,
      session('2026-03-13T08:00:00+01:00', '2026-03-13T16:00:00+01:00', { voided: true }),
    ];
    const report = buildReport(withVoid, march);
    expect(report.totals.map((t) => t.ms / HOUR)).toEqual([8 + 56 / 60 + 8, 2]);
    expect(report.daily.map((t) => t.period)).not.toContain('2026-03-13');
    expect(formatReport(report, march)).toMatch(
      /2026-03-13 08:00 → 2026-03-13 16:00 .*\(voided: not counted\)$/m,
    );
    expect(readCsv(reportCsv(report, march))).toHaveLength(4);
  });
});

describe('a person, as People tells them', () => {
  const monday = range('2026-03-30', '2026-04-05');
  const breaks: PayrollRules = { breaks: [{ after: 6, minutes: 30 }] };
  const directory = (list: readonly Partial<Person>[]) =>
    makeDirectory(list.map((p) => ({ card: '', name: '', active: true, aliases: [], ...p })));
  const figures = (report: ReturnType<typeof buildReport>) =>
    report.totals.map((t) => [t.person, t.ms / HOUR, (t.paid?.ms ?? NaN) / HOUR]);

  it('counts an old card made an alias on its person, with one break for their day', () => {
    // Alice's wedge card clocked on its own before the manager made it her alias; its closed
    // session stays under it.
    const rows = [
      session('2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00', {
        card: '0001234',
        name: null,
      }),
      session('2026-03-30T13:30:00+02:00', '2026-03-30T17:30:00+02:00'),
    ];
    const options = {
      ...monday,
      payroll: breaks,
      directory: directory([{ card: 'A11CE000', name: 'Alice', aliases: ['0001234'] }]),
    };
    const report = buildReport(rows, options);
    expect(figures(report)).toEqual([['Alice', 8, 7.5]]);
    expect(totals(report.daily)).toEqual([['Alice', '2026-03-30', 8]]);
    expect(buildReport(rows, { ...options, person: 'alice' }).sessions).toEqual(rows);
    expect(buildReport(rows, { ...options, person: '0001234' }).sessions).toEqual(rows);
  });

  it('keeps a person renamed at lunch one person: People’s name, one break, found by either name', () => {
    const bob = { card: 'B0B0B0B0', name: 'Bob' };
    const rows = [
      session('2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00', bob),
      session('2026-03-30T13:00:00+02:00', '2026-03-30T16:00:00+02:00', {
        ...bob,
        name: 'Robert',
      }),
    ];
    const options = {
      ...monday,
      payroll: breaks,
      directory: directory([{ card: 'B0B0B0B0', name: 'Robert' }]),
    };
    const report = buildReport(rows, options);
    expect(figures(report)).toEqual([['Robert', 7, 6.5]]);
    for (const person of ['Robert', 'bob', 'b0b0b0b0'])
      expect(buildReport(rows, { ...options, person }).sessions).toEqual(rows);
    // The session list keeps the name each session was clocked in under.
    expect(formatReport(report, options)).toMatch(/^ {2}2026-03-30 08:00 → .* {2}Bob +B0B0B0B0$/m);
    // Without People, the latest session's name.
    expect(figures(buildReport(rows, { ...monday, payroll: breaks }))).toEqual([
      ['Robert', 7, 6.5],
    ]);
  });

  it('keeps two people who share a name apart, each with their own break, shown with their card', () => {
    const rows = [
      session('2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00', {
        card: 'A1E40001',
        name: 'Alex',
      }),
      session('2026-03-30T13:00:00+02:00', '2026-03-30T16:00:00+02:00', {
        card: 'A1E40002',
        name: 'Alex',
      }),
    ];
    const listed = directory([
      { card: 'A1E40001', name: 'Alex' },
      { card: 'A1E40002', name: 'Alex' },
    ]);
    for (const options of [
      { ...monday, payroll: breaks, directory: listed },
      { ...monday, payroll: breaks },
    ]) {
      const report = buildReport(rows, options);
      expect(figures(report)).toEqual([
        ['Alex (A1E40001)', 4, 4],
        ['Alex (A1E40002)', 3, 3],
      ]);
      expect(totals(report.daily)).toEqual([
        ['Alex (A1E40001)', '2026-03-30', 4],
        ['Alex (A1E40002)', '2026-03-30', 3],
      ]);
      expect(buildReport(rows, { ...options, person: 'alex' }).sessions).toEqual(rows);
      expect(buildReport(rows, { ...options, person: 'A1E40002' }).sessions).toEqual([rows[1]]);
    }
  });
  it('finds a name whatever Unicode form it was typed in, and a card however its bytes are written', () => {
    // Zoë Ñandú as a sheet can hold it (decomposed: e + combining diaeresis) and as typed (composed).
    const decomposed = 'Zoe\u0308 N\u0303andu\u0301';
    const zoe = session('2026-03-30T08:00:00+02:00', '2026-03-30T12:00:00+02:00', {
      card: '04A3C6CA',
      name: decomposed,
    });
    const listed = directory([{ card: '04A3C6CA', name: decomposed, aliases: ['0004629512'] }]);
    for (const person of ['Zoë Ñandú', 'ZOË ÑANDÚ', decomposed, '04:a3:c6:ca', '0x04A3C6CA'])
      for (const options of [monday, { ...monday, directory: listed }])
        expect(buildReport([zoe], { ...options, person }).sessions).toEqual([zoe]);
    expect(matchesPerson(zoe, '04-A3-C6-CA')).toBe(true);
  });
});

describe('the report and the sheet’s Totals', () => {
  const PERIODS: PayPeriod[] = [
    { kind: 'weekly', firstDay: 'monday' },
    { kind: 'weekly', firstDay: 'sunday' },
    { kind: 'biweekly', anchor: '2026-01-05' },
    { kind: 'semimonthly' },
    { kind: 'monthly', startDay: 26 },
  ];
  const ZONES = [BERLIN, 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'UTC'];
  const BASE = at('2026-03-01T00:00:00Z');
  // C is an alias of A; D shares B's name.
  const listed = makeDirectory([
    { card: 'A', name: 'Ann', active: true, aliases: ['C'] },
    { card: 'B', name: 'Ben', active: true, aliases: [] },
    { card: 'D', name: 'Ben', active: true, aliases: [] },
  ]);

  it('agree for every person and day of both pay periods, across DST, aliases and shared names', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.constantFrom(...PERIODS),
        fc.integer({ min: 0, max: 120 * 24 }),
        fc.array(
          fc.record({
            card: fc.constantFrom('A', 'B', 'C', 'D', 'E'),
            start: fc.integer({ min: 0, max: 120 * 24 * 60 }),
            minutes: fc.integer({ min: 1, max: 14 * 60 }),
            open: fc.boolean(),
          }),
          { maxLength: 20 },
        ),
        (zone, period, nowHour, drawn) => {
          const now = BASE + nowHour * HOUR;
          const rows: SessionRow[] = drawn
            .map((d, i) => ({
              id: `s${i}`,
              card: d.card,
              name: d.card === 'E' ? null : `Old ${d.card}`,
              inAt: BASE + d.start * MINUTE,
              outAt: d.open ? null : BASE + (d.start + d.minutes) * MINUTE,
              status: d.open ? ('in' as const) : ('out' as const),
              reason: null,
              reader: 'door',
            }))
            .filter((r) => r.inAt < now && (r.outAt ?? now) <= now);
          const table = totalsOf(rows, now, period, zone, listed);
          table.frame.periods.forEach(({ bounds, days }, p) => {
            const report = buildReport(
              rows.filter((r) => r.inAt < bounds.to && (r.outAt ?? now) > bounds.from),
              { zone, now, ...bounds, directory: listed },
            );
            const fromTotals = table.rows.flatMap((row) =>
              days
                .map((day, d) => [row.card, day.date, row.periods[p]?.days[d] ?? 0] as const)
                .filter(([, , ms]) => ms > 0),
            );
            const fromReport = report.daily.map((t) => [t.card, t.period, t.ms] as const);
            expect(fromReport.filter(([, , ms]) => ms > 0).sort()).toEqual(fromTotals.sort());
          });
        },
      ),
      { numRuns: 300, seed: 20260330 },
    );
  });
});

describe('the report command', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('report');
    data = join(dir.path, 'data');
  });
  afterEach(() => {
    dir.remove();
  });

  const CARDS = {
    alice: 'A11CE000',
    formula: 'F0000001',
    phone: 'F0000002',
    minus: 'F0000003',
    at: 'F0000004',
  };

  /** A week of March 2024 in Berlin, committed by the reducer as the clock does. */
  function seedWeek(): void {
    const store = Store.open(join(data, 'badgeclock.db'));
    const { play } = player(store, defaultRules(BERLIN));
    play(
      people(at('2024-03-17T00:00:00+01:00'), [
        { card: CARDS.alice, name: 'Alice' },
        { card: CARDS.formula, name: '=1+1' },
        { card: CARDS.phone, name: '+49 170 1234567' },
        { card: CARDS.minus, name: '-x' },
        { card: CARDS.at, name: '@x' },
      ]),
      read(at('2024-03-18T08:00:00+01:00'), CARDS.alice),
      read(at('2024-03-18T09:00:00+01:00'), CARDS.formula),
      read(at('2024-03-18T16:30:00+01:00'), CARDS.alice),
      // Forgot to clock out on Monday: closed at 21:00 as auto, then in again, then out.
      read(at('2024-03-19T09:30:00+01:00'), CARDS.formula),
      read(at('2024-03-19T10:00:00+01:00'), CARDS.formula),
      read(at('2024-03-19T22:00:00+01:00'), CARDS.alice),
      read(at('2024-03-20T02:00:00+01:00'), CARDS.alice),
      read(at('2024-03-20T10:00:00+01:00'), CARDS.phone),
      read(at('2024-03-20T11:00:00+01:00'), CARDS.phone),
      read(at('2024-03-21T10:00:00+01:00'), CARDS.minus),
      read(at('2024-03-21T11:00:00+01:00'), CARDS.minus),
      read(at('2024-03-22T10:00:00+01:00'), CARDS.at),
      // The week after: outside the range.
      read(at('2024-03-25T08:00:00+01:00'), CARDS.alice),
      read(at('2024-03-25T09:00:00+01:00'), CARDS.alice),
    );
    store.close();
  }

  const week = ['--from', '2024-03-18', '--to', '2024-03-24', '--tz', BERLIN];

  it('prints daily and weekly totals and the sessions of the range, open ones marked and auto ones flagged', async () => {
    seedWeek();
    const result = await runCli(['report', '--data-dir', data, ...week], { env: QUIET });
    expect(logText(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Report 2024-03-18 to 2024-03-24 (Europe/Berlin)');
    const daily = lines.slice(
      lines.indexOf('Daily totals') + 1,
      lines.indexOf('Weekly totals') - 1,
    );
    const squeeze = (list: string[]) => list.map((l) => l.trim().replace(/ {2,}/g, ' | '));
    expect(squeeze(daily.filter((l) => l.includes('Alice')))).toEqual([
      '2024-03-18 Mon | Alice | 8h 30m',
      '2024-03-19 Tue | Alice | 2h 00m',
      '2024-03-20 Wed | Alice | 2h 00m',
    ]);
    expect(squeeze(daily.filter((l) => l.includes('=1+1')))).toEqual([
      '2024-03-18 Mon | =1+1 | 12h 00m',
      '2024-03-19 Tue | =1+1 | 0h 30m',
    ]);
    // The session left open since (the clock has not run) counts up to its 12 h limit.
    expect(squeeze(daily.filter((l) => l.includes('@x')))).toEqual([
      '2024-03-22 Fri | @x | 12h 00m',
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}2024-W12 {2}Alice +12h 30m$/));
    const sessions = lines.slice(lines.indexOf('Sessions') + 1).filter((l) => l !== '');
    expect(sessions).toHaveLength(7);
    expect(sessions.filter((l) => l.includes('(closed automatically at the time limit)'))).toEqual([
      expect.stringMatching(/^ {2}2024-03-18 09:00 → 2024-03-18 21:00 +12h 00m {2}=1\+1 /),
    ]);
    expect(sessions.filter((l) => l.includes('(open past its limit'))).toEqual([
      expect.stringMatching(
        /^ {2}2024-03-22 10:00 → open +12h 00m {2}@x +F0000004 {2}\(open past its limit: counted to 2024-03-22 22:00,/,
      ),
    ]);
    expect(result.stdout).not.toContain('2024-03-25');
  });

  it('a session left open whose limit passed before the range starts is in the report of its own days only, not listed again in every later one', async () => {
    seedWeek();
    // @x clocked in on Friday 2024-03-22 10:00 and never out: the clock closes it at 22:00.
    const next = ['--from', '2024-03-25', '--to', '2024-03-31', '--tz', BERLIN];
    const text = await runCli(['report', '--data-dir', data, ...next], { env: QUIET });
    expect(text.code).toBe(0);
    const sessions = text.stdout.split('Sessions\n')[1] ?? '';
    expect(sessions.split('\n').filter((line) => line !== '')).toEqual([
      expect.stringMatching(/^ {2}2024-03-25 08:00 → 2024-03-25 09:00 +1h 00m {2}Alice +A11CE000$/),
    ]);
    expect(text.stdout).not.toContain(CARDS.at);
    const csv = await runCli(['report', '--data-dir', data, ...next, '--csv'], { env: QUIET });
    expect(csv.code).toBe(0);
    expect(readCsv(csv.stdout).map((row) => row[3])).toEqual(['card', CARDS.alice]);
  });

  it('--person keeps one person, by name in any case or by card id', async () => {
    seedWeek();
    for (const person of ['alice', 'ALICE', CARDS.alice.toLowerCase()]) {
      const result = await runCli(['report', '--data-dir', data, ...week, '--person', person], {
        env: QUIET,
      });
      expect(result.code).toBe(0);
      const sessions = result.stdout.split('Sessions\n')[1] ?? '';
      expect(sessions.trim().split('\n')).toHaveLength(2);
      expect(result.stdout).not.toMatch(/=1\+1|@x|-x|\+49/);
      expect(result.stdout).toMatch(/^ {2}2024-W12 {2}Alice +12h 30m$/m);
    }
    const nobody = await runCli(['report', '--data-dir', data, ...week, '--person', 'Mallory'], {
      env: QUIET,
    });
    // A name nobody answers to is said to be one, not taken for a person with no hours.
    expect(nobody.stdout).toContain('No sessions for Mallory in this period.');
    expect(nobody.stdout).toContain(
      'No one in People or in the clock\'s sessions goes by "Mallory".',
    );
    // A person who is known but had no sessions in the range is simply without sessions.
    const away = await runCli(
      [
        'report',
        '--data-dir',
        data,
        '--from',
        '2024-04-01',
        '--to',
        '2024-04-07',
        '--person',
        'alice',
      ],
      { env: QUIET },
    );
    expect(away.stdout).toContain('No sessions for alice in this period.');
    expect(away.stdout).not.toContain('goes by');
  });

  it('--person with nothing in it (an unset variable) is refused with exit 2, not taken as the unnamed cards', async () => {
    seedWeek();
    const store = Store.open(join(data, 'badgeclock.db'));
    // A card nobody has named yet: its sessions have no name.
    player(store, defaultRules(BERLIN)).play(
      read(at('2024-03-18T07:00:00+01:00'), 'DEADBEEF'),
      read(at('2024-03-18T07:30:00+01:00'), 'DEADBEEF'),
    );
    store.close();
    for (const person of ['', '  ']) {
      const result = await runCli(['report', '--data-dir', data, ...week, '--person', person], {
        env: QUIET,
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(logText(result.stderr)).toBe(
        `--person ${JSON.stringify(person)} is empty: give a name or a card id`,
      );
    }
    const unknown = session('2024-03-18T07:00:00+01:00', '2024-03-18T07:30:00+01:00', {
      card: 'DEADBEEF',
      name: null,
    });
    expect(matchesPerson(unknown, '')).toBe(false);
  });

  it('--csv writes RFC 4180 CSV, one row per session, with formula-looking names neutralised', async () => {
    seedWeek();
    const result = await runCli(['report', '--csv', '--data-dir', data, ...week], { env: QUIET });
    expect(result.code).toBe(0);
    const records = readCsv(result.stdout);
    expect(records[0]).toEqual([
      'session',
      'date',
      'name',
      'card',
      'in',
      'out',
      'hours',
      'status',
      'reader',
    ]);
    const rows = records.slice(1);
    expect(rows).toHaveLength(7);
    expect(rows.every((row) => row.length === 9)).toBe(true);
    expect(new Set(rows.map((row) => row[0])).size).toBe(7);
    expect(rows.map((row) => [row[2], row[3], row[7]])).toEqual([
      ['Alice', CARDS.alice, 'out'],
      ["'=1+1", CARDS.formula, 'auto'],
      ["'=1+1", CARDS.formula, 'out'],
      ['Alice', CARDS.alice, 'out'],
      ["'+49 170 1234567", CARDS.phone, 'out'],
      ["'-x", CARDS.minus, 'out'],
      ["'@x", CARDS.at, 'in'],
    ]);
    expect(rows[1]?.slice(4, 7)).toEqual([
      '2024-03-18T09:00:00+01:00',
      '2024-03-18T21:00:00+01:00',
      '12.0000',
    ]);
    expect(rows[6]?.[5]).toBe('');
    const filtered = await runCli(
      ['report', '--csv', '--data-dir', data, ...week, '--person', '-x'],
      { env: QUIET },
    );
    expect(readCsv(filtered.stdout).map((row) => row[3])).toEqual(['card', CARDS.minus]);
  });

  it('counts a session open right now up to now', async () => {
    const now = Date.now();
    const store = Store.open(join(data, 'badgeclock.db'));
    player(store, defaultRules(BERLIN)).play(read(now - 2 * HOUR - 5 * MINUTE, 'A11CE000'));
    store.close();
    const day = (ms: number) => new Intl.DateTimeFormat('sv-SE', { timeZone: BERLIN }).format(ms);
    const result = await runCli(
      [
        'report',
        '--data-dir',
        data,
        '--tz',
        BERLIN,
        '--from',
        day(now - 3 * HOUR),
        '--to',
        day(now),
      ],
      { env: QUIET },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /→ open +2h 05m {2}A11CE000 {2}A11CE000 {2}\(open: still clocked in\)/,
    );
  });

  it('report and status count a session left open while the clock was off only to its limit', async () => {
    const now = Date.now();
    const inAt = now - 30 * HOUR;
    const store = Store.open(join(data, 'badgeclock.db'));
    player(store, defaultRules(BERLIN)).play(read(inAt, 'A11CE000'));
    store.close();
    const local = (ms: number, pattern: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat('sv-SE', { timeZone: BERLIN, ...pattern }).format(ms);
    const day = (ms: number) => local(ms, {});
    const dueAt = local(inAt + 12 * HOUR, { dateStyle: 'short', timeStyle: 'short' });
    const report = await runCli(
      ['report', ...['--data-dir', data, '--tz', BERLIN, '--from', day(inAt), '--to', day(now)]],
      { env: QUIET },
    );
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(
      `12h 00m  A11CE000  A11CE000  (open past its limit: counted to ${dueAt}, where the clock closes it as auto when it runs)`,
    );
    const status = await runCli(['status', '--data-dir', data, '--tz', BERLIN], { env: QUIET });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `past its limit: closed as auto at ${dueAt} (12h 00m) when the clock runs`,
    );
  });

  it('refuses bad dates with exit code 2, and a missing store with exit code 1 creating nothing', async () => {
    const bad = await runCli(['report', '--data-dir', data, '--from', '2024-02-30'], {
      env: QUIET,
    });
    expect(bad.code).toBe(2);
    expect(logText(bad.stderr)).toContain('--from "2024-02-30" is not a date (YYYY-MM-DD)');
    const backwards = await runCli(
      ['report', '--data-dir', data, '--from', '2024-03-20', '--to', '2024-03-18'],
      { env: QUIET },
    );
    expect(backwards.code).toBe(2);
    expect(logText(backwards.stderr)).toContain('--to 2024-03-18 is before --from 2024-03-20');
    // A flag left out is named by the date it defaulted to, never left blank.
    const future = await runCli(['report', '--data-dir', data, '--from', '2999-12-05'], {
      env: QUIET,
    });
    expect(future.code).toBe(2);
    expect(logText(future.stderr)).toMatch(
      /--to \d{4}-\d\d-\d\d \(today, the default\) is before --from 2999-12-05$/m,
    );
    const past = await runCli(['report', '--data-dir', data, '--to', '2000-01-03'], { env: QUIET });
    expect(past.code).toBe(2);
    expect(logText(past.stderr)).toMatch(
      /--to 2000-01-03 is before --from \d{4}-\d\d-\d\d \(Monday of this week, the default\)$/m,
    );
    const missing = await runCli(['report', '--data-dir', data, ...week], { env: QUIET });
    expect(missing.code).toBe(1);
    expect(logText(missing.stderr)).toContain(`no database at ${join(data, 'badgeclock.db')} yet`);
    expect(existsSync(data)).toBe(false);
  });

  // BUG: formatReport names the weekday with date-fns `format` in the process's own zone, at
  // 12:00 UTC of the date (report.ts, "Daily totals"): east of UTC+12 (New Zealand in summer,
  // Tonga, Kiribati) every day is labelled with the next day's name.
  it('labels each day with its own weekday wherever the machine is (New Zealand)', async () => {
    seedWeek();
    const result = await runCli(
      [
        'report',
        '--data-dir',
        data,
        '--from',
        '2024-03-18',
        '--to',
        '2024-03-24',
        '--tz',
        'Pacific/Auckland',
      ],
      { env: { ...QUIET, TZ: 'Pacific/Auckland' } },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}2024-03-19 Tue /m);
  });

  const PAYROLL = JSON.stringify({
    breaks: [
      { after: 6, minutes: 30 },
      { after: 9, minutes: 45 },
    ],
    rounding: { to: 15, mode: 'nearest' },
  });

  /** Bob's Monday: his wedge card before it was his alias, then renamed Robert at lunch. */
  function seedRenamed(): void {
    const store = Store.open(join(data, 'badgeclock.db'));
    player(store, defaultRules(BERLIN)).play(
      people(at('2024-03-18T06:00:00+01:00'), [{ card: 'B0B0B0B0', name: 'Bob' }]),
      read(at('2024-03-18T07:00:00+01:00'), '0001234'),
      read(at('2024-03-18T08:00:00+01:00'), '0001234'),
      read(at('2024-03-18T08:30:00+01:00'), 'B0B0B0B0'),
      read(at('2024-03-18T12:00:00+01:00'), 'B0B0B0B0'),
      people(at('2024-03-18T12:10:00+01:00'), [
        { card: 'B0B0B0B0', name: 'Robert', aliases: ['0001234'] },
      ]),
      read(at('2024-03-18T13:00:00+01:00'), 'B0B0B0B0'),
      read(at('2024-03-18T16:00:00+01:00'), 'B0B0B0B0'),
    );
    store.close();
  }

  it('counts a person’s alias card and both their names as one person, by People as the clock last read it', async () => {
    seedRenamed();
    const env = { ...QUIET, BADGECLOCK_PAYROLL: PAYROLL };
    const expectRobert = (result: { code: number | null; stdout: string; stderr: string }) => {
      expect(logText(result.stderr)).toBe('');
      expect(result.code).toBe(0);
      // 1h + 3h 30m + 3h: one day of 7h 30m, which reaches the 6 h break once.
      expect(result.stdout).toMatch(/^Period totals\n {2}Robert +7h 30m {2}Paid +7h 00m\n\n/m);
      expect(result.stdout).toMatch(/^Daily totals\n {2}2024-03-18 Mon {2}Robert +7h 30m\n\n/m);
    };
    // Without a sheet: the people file.
    writeFileSync(
      join(data, 'people.csv'),
      'card,name,active,aliases\nB0B0B0B0,Robert,yes,0001234\n',
    );
    expectRobert(await runCli(['report', '--data-dir', data, ...week], { env }));
    for (const person of ['bob', 'Robert', '0001234']) {
      const one = await runCli(['report', '--data-dir', data, ...week, '--person', person], {
        env,
      });
      expectRobert(one);
      expect((one.stdout.split('Sessions\n')[1] ?? '').trim().split('\n')).toHaveLength(3);
    }
    // With a sheet: the People tab the clock cached, not the people file.
    writeFileSync(join(data, 'people.csv'), 'card,name\nB0B0B0B0,Someone else\n');
    writeFileSync(
      join(data, 'people-sheet.json'),
      JSON.stringify([{ card: 'B0B0B0B0', name: 'Robert', active: true, aliases: ['0001234'] }]),
    );
    const sheetEnv = {
      ...env,
      BADGECLOCK_SPREADSHEET_ID: 'sheet0123456789',
      BADGECLOCK_KEY_FILE: join(dir.path, 'key.json'),
    };
    expectRobert(await runCli(['report', '--data-dir', data, ...week], { env: sheetEnv }));
  });

  it('--period DATE reports the pay period containing that date, with Paid beside the hours', async () => {
    seedWeek();
    const env = { ...QUIET, BADGECLOCK_PAY_PERIOD: 'monthly', BADGECLOCK_PAYROLL: PAYROLL };
    const result = await runCli(
      ['report', '--data-dir', data, '--tz', BERLIN, '--period', '2024-03-20'],
      { env },
    );
    expect(logText(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Pay period 2024-03-01 – 2024-03-31 (Europe/Berlin)');
    const totals = lines.slice(
      lines.indexOf('Period totals') + 1,
      lines.indexOf('Daily totals') - 1,
    );
    // Alice: 8h 30m (30 min off), 4h at night, 1h the week after. =1+1: 12h (auto, 45 min off) and 30m.
    expect(totals.filter((l) => /Alice|=1\+1/.test(l))).toEqual([
      expect.stringMatching(/^ {2}=1\+1 +12h 30m {2}Paid +11h 45m$/),
      expect.stringMatching(/^ {2}Alice +13h 30m {2}Paid +13h 00m$/),
    ]);
    expect(result.stdout).toContain('2024-03-25');
  });

  it('--period current and previous follow payPeriod from the config file, --explain says how Paid was reached', async () => {
    const now = Date.now();
    const store = Store.open(join(data, 'badgeclock.db'));
    player(store, defaultRules(BERLIN)).play(read(now - 2 * HOUR - 5 * MINUTE, 'A11CE000'));
    store.close();
    const config = join(dir.path, 'clock.json');
    writeFileSync(
      config,
      JSON.stringify({
        tz: BERLIN,
        payPeriod: { kind: 'monthly', startDay: 26 },
        payroll: JSON.parse(PAYROLL) as unknown,
      }),
    );
    const period = { kind: 'monthly', startDay: 26 } as const;
    const current = await runCli(
      ['report', '--config', config, '--data-dir', data, '--period', 'current', '--explain'],
      { env: QUIET },
    );
    expect(current.code).toBe(0);
    expect(current.stdout.split('\n')[0]).toBe(
      `Pay period ${periodLabel(periodAt(now, period, BERLIN), BERLIN)} (Europe/Berlin)`,
    );
    expect(current.stdout).toMatch(
      /^How Paid is reached\n {2}Rules: in and out rounded to the nearest 15 min; breaks 6h → 30 min, 9h → 45 min\.$/m,
    );
    expect(current.stdout).toMatch(/^ {4}#1 {2}.* → .*, counts on \d{4}-\d{2}-\d{2}$/m);
    const previous = await runCli(
      ['report', '--config', config, '--data-dir', data, '--period', 'previous'],
      { env: QUIET },
    );
    expect(previous.code).toBe(0);
    const before = periodAt(periodAt(now, period, BERLIN).from - 1, period, BERLIN);
    expect(previous.stdout.split('\n')[0]).toBe(
      `Pay period ${periodLabel(before, BERLIN)} (Europe/Berlin)`,
    );
  });

  it('--csv --period writes the period’s sessions with a paid column when payroll rules are set', async () => {
    seedWeek();
    const env = { ...QUIET, BADGECLOCK_PAY_PERIOD: 'weekly', BADGECLOCK_PAYROLL: PAYROLL };
    const result = await runCli(
      ['report', '--csv', '--data-dir', data, '--tz', BERLIN, '--period', '2024-03-24'],
      { env },
    );
    expect(result.code).toBe(0);
    const records = readCsv(result.stdout);
    expect(records[0]).toEqual([...CSV_HEADER, 'paid']);
    expect(records.slice(1).map((row) => [row[2], row[6], row[9]])).toEqual([
      ['Alice', '8.5000', '8.0000'],
      ["'=1+1", '12.0000', '11.2500'],
      ["'=1+1", '0.5000', '0.5000'],
      ['Alice', '4.0000', '4.0000'],
      ["'+49 170 1234567", '1.0000', '1.0000'],
      ["'-x", '1.0000', '1.0000'],
      ["'@x", '12.0000', '11.2500'],
    ]);
  });

  it('refuses --period with --from or --to, a --period that is not one, and --explain with --csv, with exit code 2', async () => {
    seedWeek();
    const both = await runCli(
      ['report', '--data-dir', data, '--period', 'current', '--from', '2024-03-18'],
      {
        env: QUIET,
      },
    );
    expect(both.code).toBe(2);
    expect(logText(both.stderr)).toContain(
      '--period and --from/--to both choose the days: give one or the other',
    );
    const bad = await runCli(['report', '--data-dir', data, '--period', 'last'], { env: QUIET });
    expect(bad.code).toBe(2);
    expect(logText(bad.stderr)).toContain(
      '--period "last" is not current, previous or a date (YYYY-MM-DD)',
    );
    const explainCsv = await runCli(['report', '--data-dir', data, '--csv', '--explain'], {
      env: QUIET,
    });
    expect(explainCsv.code).toBe(2);
    expect(logText(explainCsv.stderr)).toContain('--explain is for the text report');
    const badConfig = await runCli(['report', '--data-dir', data, '--period', 'current'], {
      env: { ...QUIET, BADGECLOCK_PAY_PERIOD: 'monthly:31' },
    });
    expect(badConfig.code).toBe(2);
    expect(logText(badConfig.stderr)).toContain('payPeriod.startDay (BADGECLOCK_PAY_PERIOD)');
  });
});
