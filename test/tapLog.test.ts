/**
 * Tap logs for replay and import: CSV `ISO-8601 timestamp,card[,reader]`,
 * sorted or not; wall-clock times in the configured zone unless they say otherwise.
 */
import { parseTapLog } from '../src/replay/tapLog';

const FILE = 'old-clock.csv';
const ZONE = 'Europe/Berlin';

const parse = (text: string, zone = ZONE): ReturnType<typeof parseTapLog> =>
  parseTapLog(text, FILE, zone, 'import');

/** Each read as `ISO instant card reader`. */
const reads = (text: string, zone = ZONE): string[] =>
  parse(text, zone).reads.map((r) => `${new Date(r.at).toISOString()} ${r.card} ${r.reader}`);

describe('reading a tap log', () => {
  it('reads timestamp, card and reader; the reader defaults to the configured one', () => {
    expect(
      parse('2026-03-23T08:59:00,04A3C6CAE26180,front\n2026-03-23T17:02:00,04A3C6CAE26180\n'),
    ).toEqual({
      reads: [
        {
          type: 'cardRead',
          at: Date.parse('2026-03-23T07:59:00Z'),
          card: '04A3C6CAE26180',
          reader: 'front',
        },
        {
          type: 'cardRead',
          at: Date.parse('2026-03-23T16:02:00Z'),
          card: '04A3C6CAE26180',
          reader: 'import',
        },
      ],
      problems: [],
      warnings: [],
    });
  });

  it('reads a time without an offset as wall-clock time in the configured zone, DST included', () => {
    expect(reads('2026-01-15T08:00:00,B0B0B0B0\n2026-07-15T08:00:00,B0B0B0B0\n')).toEqual([
      '2026-01-15T07:00:00.000Z B0B0B0B0 import', // CET, UTC+1
      '2026-07-15T06:00:00.000Z B0B0B0B0 import', // CEST, UTC+2
    ]);
    expect(reads('2026-01-15T08:00:00,B0B0B0B0\n', 'America/New_York')).toEqual([
      '2026-01-15T13:00:00.000Z B0B0B0B0 import',
    ]);
  });

  it('takes a time with an offset or Z as the instant it names', () => {
    expect(
      reads(
        [
          '2026-03-23T07:59:00Z,A1A1A1A1',
          '2026-03-23T08:59:00+01:00,A1A1A1A1',
          '2026-03-23T02:59:00-05:00,A1A1A1A1',
        ].join('\n'),
      ),
    ).toEqual([
      '2026-03-23T07:59:00.000Z A1A1A1A1 import',
      '2026-03-23T07:59:00.000Z A1A1A1A1 import',
      '2026-03-23T07:59:00.000Z A1A1A1A1 import',
    ]);
  });

  it('accepts a space instead of T, minutes without seconds, and fractions of a second', () => {
    expect(reads('2026-03-23 08:59,A1A1A1A1\n2026-03-23T08:59:30.250,A1A1A1A1\n', 'UTC')).toEqual([
      '2026-03-23T08:59:00.000Z A1A1A1A1 import',
      '2026-03-23T08:59:30.250Z A1A1A1A1 import',
    ]);
  });

  it('puts unsorted lines in time order, keeping file order for equal times', () => {
    const text = [
      '2026-03-23T17:04:00,A1A1A1A1,third',
      '2026-03-23T08:59:00,A1A1A1A1,first',
      '2026-03-23T12:00:00,B0B0B0B0,second-a',
      '2026-03-23T12:00:00,C0C0C0C0,second-b',
    ].join('\n');
    expect(reads(text, 'UTC').map((r) => r.split(' ')[2])).toEqual([
      'first',
      'second-a',
      'second-b',
      'third',
    ]);
  });

  it('normalises card ids, and keeps a wedge reader’s decimal id as typed', () => {
    expect(
      reads('2026-03-23T08:00:00,04:a3:c6:ca,x\n2026-03-23T09:00:00,0012345678,y\n', 'UTC'),
    ).toEqual(['2026-03-23T08:00:00.000Z 04A3C6CA x', '2026-03-23T09:00:00.000Z 0012345678 y']);
  });

  it('skips a header, comments and blank lines', () => {
    const text =
      'timestamp,card,reader\n# exported from the old clock\n\n2026-03-23T08:00:00,A1A1A1A1\n';
    expect(parse(text, 'UTC')).toEqual({
      reads: [
        {
          type: 'cardRead',
          at: Date.parse('2026-03-23T08:00:00Z'),
          card: 'A1A1A1A1',
          reader: 'import',
        },
      ],
      problems: [],
      warnings: [],
    });
  });

  it('skips a header after comments or blank lines, and one in other words than English', () => {
    const one = ['2026-03-23T08:00:00.000Z A1A1A1A1 import'];
    expect(
      reads('# exported from the old clock\ntimestamp,card\n2026-03-23T08:00:00,A1A1A1A1\n', 'UTC'),
    ).toEqual(one);
    expect(reads('\r\ntimestamp,card\r\n2026-03-23T08:00:00,A1A1A1A1\r\n', 'UTC')).toEqual(one);
    for (const header of [
      'Date/Time,Card',
      'Timestamp (UTC),Card UID',
      'Heure d’entrée;Carte',
      'Zeit;Karten-Nr.',
    ]) {
      expect(
        parse(
          `${header}\n2026-03-23T08:00:00,A1A1A1A1\n`.replace(
            /,/g,
            header.includes(';') ? ';' : ',',
          ),
          'UTC',
        ),
      ).toEqual({
        reads: [expect.objectContaining({ card: 'A1A1A1A1' })],
        problems: [],
        warnings: [],
      });
    }
  });

  it('skips the sep= line a CSV made for Excel starts with, and the header after it', () => {
    for (const text of [
      'sep=;\r\nZeitstempel;Karte\r\n2026-03-23 08:00;A1A1A1A1\r\n',
      'sep=,\n2026-03-23 08:00,A1A1A1A1\n',
    ]) {
      expect(parse(text, 'UTC')).toEqual({
        reads: [expect.objectContaining({ at: Date.parse('2026-03-23T08:00:00Z') })],
        problems: [],
        warnings: [],
      });
    }
  });

  it('takes a first line whose card is a card id as a tap, so a mistyped time is named, not skipped as a header', () => {
    expect(parse('yesterday,A1A1A1A1\n2026-03-23T08:00:00,A1A1A1A1\n').problems).toEqual([
      `${FILE}:1: "yesterday" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
    ]);
  });

  it('reads lines with empty fields after the reader, as a spreadsheet exports a cleared column', () => {
    expect(
      reads(
        'timestamp,card,reader,,\r\n2026-03-23T08:00:00,A1A1A1A1,front,\r\n2026-03-23T09:00:00,A1A1A1A1,, \r\n',
        'UTC',
      ),
    ).toEqual([
      '2026-03-23T08:00:00.000Z A1A1A1A1 front',
      '2026-03-23T09:00:00.000Z A1A1A1A1 import',
    ]);
    expect(parse('2026-03-23T08:00:00,A1A1A1A1,front,,x\n').problems).toEqual([
      `${FILE}:1: expected "timestamp,card[,reader]", got 5 field(s)`,
    ]);
  });

  it('reads a log with CRLF line ends and quoted fields', () => {
    expect(reads('"2026-03-23T08:00:00","A1A1A1A1","Front door, east"\r\n', 'UTC')).toEqual([
      '2026-03-23T08:00:00.000Z A1A1A1A1 Front door, east',
    ]);
  });
});

describe('bad lines in a tap log', () => {
  it('reports a reader name whose quote never closes, and reads the taps after it', () => {
    const text = '2026-03-23T08:00:00,A1A1A1A1,"front\n2026-03-23T17:00:00,A1A1A1A1\n';
    expect(parse(text)).toEqual({
      reads: [
        expect.objectContaining({ card: 'A1A1A1A1', at: Date.parse('2026-03-23T16:00:00Z') }),
      ],
      problems: [`${FILE}:1: the quote opened on line 1 is never closed`],
      warnings: [],
    });
  });

  it('names each bad line by file:line and says what is wrong', () => {
    const text = [
      '2026-03-23T08:00:00,A1A1A1A1', // 1: fine
      'yesterday,A1A1A1A1', // 2: not a time
      '2026-03-23,A1A1A1A1', // 3: a date without a time
      '2026-02-30T08:00:00,A1A1A1A1', // 4: no such day
      '2026-03-23T08:00:00,not-a-card', // 5: not a card id
      '2026-03-23T08:00:00', // 6: no card
      '2026-03-23T08:00:00,A1A1A1A1,front,extra', // 7: too many fields
      '2026-03-23T08:00:00,', // 8: empty card
      '2026-03-23T08:00:00+01:75,A1A1A1A1', // 9: no such offset
      '2026-03-23T08:00:00+2500,A1A1A1A1', // 10: nor this
    ].join('\n');
    const { reads: good, problems } = parse(text);
    expect(good).toHaveLength(1);
    expect(problems).toEqual([
      `${FILE}:2: "yesterday" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
      `${FILE}:3: "2026-03-23" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
      `${FILE}:4: "2026-02-30T08:00:00" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
      `${FILE}:5: not a card id: "not-a-card" (expected hex or decimal digits)`,
      `${FILE}:6: expected "timestamp,card[,reader]", got 1 field(s)`,
      `${FILE}:7: expected "timestamp,card[,reader]", got 4 field(s)`,
      `${FILE}:8: empty card id`,
      `${FILE}:9: "2026-03-23T08:00:00+01:75" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
      `${FILE}:10: "2026-03-23T08:00:00+2500" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
    ]);
  });

  it('counts lines as an editor does, blank lines and multi-line fields included', () => {
    const text = '\n2026-03-23T08:00:00,A1A1A1A1,"two\nlines"\n\nbad,A1A1A1A1\n';
    expect(parse(text).problems).toEqual([
      `${FILE}:5: "bad" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
    ]);
  });

  it('names a tap still to come (a typo in the year?) as a bad line, and allows a clock a few minutes ahead', () => {
    const now = Date.parse('2026-03-23T12:00:00Z');
    const text = [
      '2026-03-23T08:00:00Z,A1A1A1A1',
      '2062-03-23T12:31:00Z,A1A1A1A1', // 2: 36 years ahead
      '2026-03-23T12:04:59Z,A1A1A1A1', // 3: a clock ahead by minutes
      '2026-03-23T12:05:01Z,A1A1A1A1', // 4: more than five minutes ahead
    ].join('\n');
    const { reads: good, problems } = parseTapLog(text, FILE, 'UTC', 'import', now);
    expect(good).toHaveLength(2);
    expect(problems).toEqual([
      `${FILE}:2: 2062-03-23T12:31:00Z is still to come (it is 2026-03-23 12:00 now in UTC): a typo, or the wrong zone?`,
      `${FILE}:4: 2026-03-23T12:05:01Z is still to come (it is 2026-03-23 12:00 now in UTC): a typo, or the wrong zone?`,
    ]);
  });

  it('names a tap before 2000 (a year typed 1026 for 2026) as a bad line, instead of replaying a thousand idle years', () => {
    const now = Date.parse('2026-03-23T12:00:00Z');
    const text = [
      '1026-03-23T08:00:00Z,A1A1A1A1', // 1: a digit wrong
      '1999-12-31T23:59:59Z,A1A1A1A1', // 2: the last second before
      '2000-01-01T00:00:00Z,A1A1A1A1', // 3: the first instant allowed
      '2026-03-23T08:00:00Z,A1A1A1A1',
    ].join('\n');
    const { reads: good, problems } = parseTapLog(text, FILE, 'UTC', 'import', now);
    expect(good.map((r) => new Date(r.at).toISOString())).toEqual([
      '2000-01-01T00:00:00.000Z',
      '2026-03-23T08:00:00.000Z',
    ]);
    expect(problems).toEqual([
      `${FILE}:1: 1026-03-23T08:00:00Z is before the year 2000: a typo in the year?`,
      `${FILE}:2: 1999-12-31T23:59:59Z is before the year 2000: a typo in the year?`,
    ]);
  });

  it('counts the year 2000 on the zone’s calendar: half past midnight in Berlin is no typo', () => {
    const now = Date.parse('2026-03-23T12:00:00Z');
    const text = ['2000-01-01T00:30:00,A1A1A1A1', '1999-12-31T23:30:00,A1A1A1A1'].join('\n');
    const { reads: good, problems } = parseTapLog(text, FILE, 'Europe/Berlin', 'import', now);
    expect(good.map((r) => new Date(r.at).toISOString())).toEqual(['1999-12-31T23:30:00.000Z']);
    expect(problems).toEqual([
      `${FILE}:2: 1999-12-31T23:30:00 is before the year 2000: a typo in the year?`,
    ]);
  });

  it('treats a word on line 1 as a header, but a word on a later line as a bad time', () => {
    expect(parse('when,card\n').problems).toEqual([]);
    expect(parse('2026-03-23T08:00:00,A1A1A1A1\nwhen,card\n').problems).toEqual([
      `${FILE}:2: "when" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
    ]);
  });

  it('an empty log has no reads and no problems', () => {
    expect(parse('')).toEqual({ reads: [], problems: [], warnings: [] });
  });
});

describe('local times the DST changes repeat or skip', () => {
  it('a time the clocks go back over is the first of the two, whatever the process’s TZ, and says so', () => {
    const {
      reads: [first],
      warnings,
    } = parse('2026-10-25T02:30:00,B0B0B0B0\n');
    expect(first?.at).toBe(Date.parse('2026-10-25T02:30:00+02:00'));
    expect(warnings).toEqual([
      `${FILE}:1: 2026-10-25T02:30:00 happens twice in Europe/Berlin (the clocks go back); taken as the first, 02:30+02:00 (write 2026-10-25T02:30:00+01:00 for the second)`,
    ]);
  });

  it('a time the clocks skip is moved forward by the gap, and says so naming the line', () => {
    const text = '2026-03-29T01:59:00,B0B0B0B0\n2026-03-29T02:30:00,B0B0B0B0\n';
    const { reads: taps, problems, warnings } = parse(text);
    expect(taps.map((r) => r.at)).toEqual([
      Date.parse('2026-03-29T01:59:00+01:00'),
      Date.parse('2026-03-29T03:30:00+02:00'),
    ]);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([
      `${FILE}:2: 2026-03-29T02:30:00 does not exist in Europe/Berlin (the clocks go forward by 1h 00m); taken as 03:30+02:00`,
    ]);
  });

  it('a time with an offset is the instant it names, in the repeated hour too, without a warning', () => {
    const text = '2026-10-25T02:30:00+02:00,B0B0B0B0\n2026-10-25T02:30:00+01:00,B0B0B0B0\n';
    expect(parse(text)).toEqual({
      reads: [
        expect.objectContaining({ at: Date.parse('2026-10-25T00:30:00Z') }),
        expect.objectContaining({ at: Date.parse('2026-10-25T01:30:00Z') }),
      ],
      problems: [],
      warnings: [],
    });
  });
});
