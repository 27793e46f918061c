/**
 * What a `Log` row's cells ask for (streams/sheetEdits.ts), as a table: the
 * clock's own values read back are no edit (to the millisecond, DST nights
 * included), a typed time or text is, a value judged before is not again.
 */
import { sheetEditOf, type WatchedRow } from '../streams/sheetEdits';
import { fromSerial, toSerial } from '../streams/zoned';

const ZONE = 'Europe/Berlin';
const at = (iso: string): number => Date.parse(iso);
const IN = at('2026-03-04T08:00:00.123Z');
const OUT = at('2026-03-04T16:00:00.456Z');
const closed: WatchedRow = {
  session: 'S',
  inAt: IN,
  outAt: OUT,
  status: 'out',
  voided: false,
  seen: {},
};
const open: WatchedRow = { ...closed, outAt: null, status: 'in' };
const cells = (inCell: unknown, outCell: unknown, status: unknown = 'out') => ({
  in: inCell,
  out: outCell,
  status,
});
const asWritten = cells(toSerial(IN, ZONE), toSerial(OUT, ZONE));

describe('what a row asks for', () => {
  it.each([
    ['the clock’s own values', closed, asWritten, null],
    ['an open row as written', open, cells(toSerial(IN, ZONE), '', 'in'), null],
    [
      'an open row whose Out was never written',
      open,
      cells(toSerial(IN, ZONE), undefined, 'in'),
      null,
    ],
    [
      'a typed Out',
      closed,
      cells(toSerial(IN, ZONE), toSerial(at('2026-03-04T17:00:00Z'), ZONE)),
      { session: 'S', outAt: at('2026-03-04T17:00:00Z') },
    ],
    [
      'an Out typed on an open row',
      open,
      cells(toSerial(IN, ZONE), toSerial(at('2026-03-04T17:00:00Z'), ZONE), 'in'),
      { session: 'S', outAt: at('2026-03-04T17:00:00Z') },
    ],
    [
      'an In typed as text',
      closed,
      cells('2026-03-04 08:30', toSerial(OUT, ZONE)),
      { session: 'S', inAt: at('2026-03-04T07:30:00Z') },
    ],
    [
      'text that is no time',
      closed,
      cells('late', toSerial(OUT, ZONE)),
      { session: 'S', notATime: { field: 'in', text: 'late' } },
    ],
    [
      'a blanked Out',
      closed,
      cells(toSerial(IN, ZONE), ''),
      { session: 'S', notATime: { field: 'out', text: '' } },
    ],
    [
      'void typed',
      closed,
      cells(toSerial(IN, ZONE), toSerial(OUT, ZONE), ' Void '),
      { session: 'S', void: true },
    ],
    ['void on a void session', { ...closed, voided: true }, cells(1, 2, 'void'), null],
    [
      'a rejected Out still there',
      { ...closed, seen: { out: 'late' } },
      cells(toSerial(IN, ZONE), 'late'),
      null,
    ],
    [
      'a rejected In still there, and a new Out: asked for together',
      { ...closed, seen: { in: '2026-03-04T17:30:00.000Z' } },
      cells(toSerial(at('2026-03-04T17:30:00Z'), ZONE), toSerial(at('2026-03-04T18:00:00Z'), ZONE)),
      { session: 'S', inAt: at('2026-03-04T17:30:00Z'), outAt: at('2026-03-04T18:00:00Z') },
    ],
    [
      'another Status typed',
      closed,
      cells(toSerial(IN, ZONE), toSerial(OUT, ZONE), 'checked'),
      null,
    ],
  ] as const)('%s', (_what, row, rowCells, expected) => {
    expect(sheetEditOf(row, rowCells, ZONE)).toEqual(expected);
  });

  it('reads back every instant the clock writes as itself, across both DST nights', () => {
    const from = at('2026-03-28T00:00:00Z');
    for (let t = from; t < from + 2 * 86_400_000; t += 997_331)
      expect(Math.abs(fromSerial(toSerial(t, ZONE), ZONE) - t)).toBeLessThan(1);
    const autumn = at('2026-10-24T00:00:00Z');
    for (let t = autumn; t < autumn + 2 * 86_400_000; t += 997_331) {
      const back = fromSerial(toSerial(t, ZONE), ZONE);
      // The repeated hour shows the same wall time twice: a serial reads as its first instant.
      expect([0, 3_600_000]).toContainEqual(Math.round((t - back) / 1000) * 1000);
    }
  });
});

describe('the hour a DST night repeats', () => {
  // Berlin, 25 October 2026: 02:00-03:00 local happens twice; 00:30 UTC is the first 02:30,
  // 01:30 UTC the second.
  const second = at('2026-10-25T01:30:00Z');
  const row: WatchedRow = { ...closed, inAt: at('2026-10-24T23:00:00Z'), outAt: second };

  it('the clock’s own Out in the second of the two hours is no edit', () => {
    expect(
      sheetEditOf(row, cells(toSerial(row.inAt, ZONE), toSerial(second, ZONE)), ZONE),
    ).toBeNull();
  });

  it('a time typed into that hour is its first instant', () => {
    expect(sheetEditOf(row, cells(toSerial(row.inAt, ZONE), '2026-10-25 02:15'), ZONE)).toEqual({
      session: 'S',
      outAt: at('2026-10-25T00:15:00Z'),
    });
  });
});
