/**
 * The simulation's checks of corrections typed into Log (test/sim/checks.ts,
 * `TypedEdit`) on hand-made rows: a typed time the clock applied passes; one
 * it read back and did not apply fails; text must stay as typed; a row typed
 * and not read back yet is left alone, unless it was missed for a long calm.
 */
import { sheetEqualsStore, sheetRowsSound, type TypedEdit } from './sim/checks';
import type { StoredSession } from './sim/storeView';
import { toSerial, toSerialDate, toSerialDuration } from '../streams/zoned';

const ZONE = 'Europe/Berlin';
const IN = Date.parse('2026-10-28T07:00:00Z');
const OUT = Date.parse('2026-10-28T15:00:00Z');
const TYPED_OUT = Date.parse('2026-10-28T13:30:00Z');
const ID = '20261028T070000.000Z-04010B99D23D67';
const CARD = '04010B99D23D67';
const HEADER = ['Session', 'Date', 'Name', 'Card', 'In', 'Out', 'Hours', 'Status'];

const session = (fixedOut: number | null, voided = 0): StoredSession => ({
  ...{ id: ID, card: CARD, name: 'Ann', inAt: IN, outAt: OUT, status: 'auto' },
  ...{ fixedIn: null, fixedOut, voided, clock: null },
});
const row = (out: unknown, hoursMs: number, status: string): unknown[] => [
  ID,
  toSerialDate(IN, ZONE),
  'Ann',
  CARD,
  toSerial(IN, ZONE),
  out,
  toSerialDuration(hoursMs),
  status,
];
const check = (stored: StoredSession, cells: unknown[], edit: TypedEdit): string[] =>
  sheetEqualsStore({
    log: [HEADER, cells],
    stored: [stored],
    unfinished: [],
    deleted: new Set(),
    zone: ZONE,
    now: OUT + 86_400_000,
    youngMs: 60_000,
    liveLagMs: 180_000,
    typed: new Map([[ID, edit]]),
  });
const typedOut = (due: boolean, missed = false): TypedEdit => ({
  kind: 'out',
  value: TYPED_OUT,
  due,
  missed,
});
const afterFix = row(toSerial(TYPED_OUT, ZONE), TYPED_OUT - IN, 'out');

describe('the checks of corrections typed into Log', () => {
  it('pass when a typed Out was applied: the row shows it, Hours follows, an auto session is out', () => {
    expect(check(session(TYPED_OUT), afterFix, typedOut(true))).toEqual([]);
  });

  it('fail when the clock read a typed Out back and did not apply it', () => {
    expect(check(session(null), afterFix, typedOut(true)).join()).toMatch(/was not applied/);
  });

  it('leave a row typed and not read back yet alone, but not one missed for a long calm', () => {
    const typedOnly = row(toSerial(TYPED_OUT, ZONE), OUT - IN, 'auto');
    expect(check(session(null), typedOnly, typedOut(false))).toEqual([]);
    expect(check(session(null), typedOnly, typedOut(false, true)).join()).toMatch(
      /never read back/,
    );
  });

  it('fail when text typed where Out belongs is gone, or changed the session', () => {
    const text: TypedEdit = { kind: 'text', value: 'see note', due: true };
    expect(check(session(null), row('see note', OUT - IN, 'auto'), text)).toEqual([]);
    expect(check(session(null), row(toSerial(OUT, ZONE), OUT - IN, 'auto'), text).join()).toMatch(
      /text typed is gone/,
    );
    expect(check(session(TYPED_OUT), row('see note', OUT - IN, 'auto'), text).join()).toMatch(
      /changed the session/,
    );
  });

  it('want a voided session void in Status', () => {
    const voided: TypedEdit = { kind: 'void', value: 'void', due: true };
    expect(check(session(null, 1), row(toSerial(OUT, ZONE), OUT - IN, 'void'), voided)).toEqual([]);
    expect(check(session(null), row(toSerial(OUT, ZONE), OUT - IN, 'void'), voided).join()).toMatch(
      /void typed in Status was not applied/,
    );
  });

  it('do not take a typed time for a wrong Hours until it was read back', () => {
    const typedOnly = row(toSerial(TYPED_OUT, ZONE), OUT - IN, 'auto');
    const stored = new Map([[ID, session(null)]]);
    const log = [HEADER, typedOnly];
    expect(
      sheetRowsSound(log, stored, new Set(), ZONE, false, new Map([[ID, typedOut(false)]])),
    ).toEqual([]);
    expect(sheetRowsSound(log, stored, new Set(), ZONE, false).join()).toMatch(/Hours/);
  });
});
