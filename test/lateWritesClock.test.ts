/**
 * How long a failed write may still land, across the wall clock stepping: the
 * windows are kept on the monotonic clock (src/drivers/sheets/lateWrites.ts).
 * Found by an audit: on the wall clock, NTP stepping a stale clock forward
 * closed them at once, and a clock stepped back stretched them.
 */
import { LateWrites } from '../src/drivers/sheets/lateWrites';
import type { DataFilterValueRange } from '../src/drivers/sheets/sheetsApi';

const TIMEOUT = 30_000;
/** A timeout and a minute: how long a failed write may still land. */
const WINDOW = TIMEOUT + 60_000;
const STALE = Date.parse('2026-03-20T17:00:00Z');
const REAL = Date.parse('2026-03-23T08:00:00Z');
const write: DataFilterValueRange = {
  dataFilter: { a1Range: 'Log!A2:F2' },
  majorDimension: 'ROWS',
  values: [['closed']],
};

/** A LateWrites on a wall clock and a monotonic clock the test moves. */
function clocks(wallAt: number) {
  let wall = wallAt;
  let mono = 1_000_000;
  const late = new LateWrites(
    TIMEOUT,
    () => wall,
    () => mono,
  );
  return {
    late,
    wall: () => wall,
    /** Real time passes: both clocks move. */
    pass: (ms: number) => {
      wall += ms;
      mono += ms;
    },
    /** The wall clock alone is set (NTP, or a person). */
    step: (ms: number) => {
      wall += ms;
    },
  };
}

describe('a failed write may still land', () => {
  it('for a timeout and a minute after it failed, NTP stepping a stale clock forward meanwhile', () => {
    const c = clocks(STALE);
    c.late.liveFailed();
    c.pass(10_000);
    c.step(REAL - STALE);
    // A batch closes a session 10 s after the failure: the failed write can still land over it.
    expect(c.late.liveUncertain(c.wall())).toBe(true);
    c.late.finals(new Map([['s1', write]]), c.wall());
    expect(c.late.reassertDue(c.wall())).toEqual([]);
    c.pass(WINDOW);
    // Once it cannot land any more, the close is written again.
    expect(c.late.liveUncertain(c.wall())).toBe(false);
    expect(c.late.reassertDue(c.wall()).map((r) => r.session)).toEqual(['s1']);
  });

  it('no longer than that, the wall clock stepped back an hour meanwhile', () => {
    const c = clocks(REAL);
    c.late.writeFailed();
    c.late.liveFailed();
    c.pass(10_000);
    c.step(-3_600_000);
    c.late.finals(new Map([['s1', write]]), c.wall());
    c.pass(WINDOW);
    expect(c.late.liveUncertain(c.wall())).toBe(false);
    expect(c.late.reassertDue(c.wall()).map((r) => r.session)).toEqual(['s1']);
    // A batch sent now is final at once: nothing failed can land over it.
    c.late.reasserted(['s1']);
    c.late.finals(new Map([['s2', write]]), c.wall());
    expect(c.late.reassertDue(c.wall() + 3_600_000)).toEqual([]);
  });

  it('a suspect insert is looked for when its first try would have landed, whatever the wall clock did', () => {
    const c = clocks(STALE);
    c.late.suspect('s1', c.wall());
    c.step(REAL - STALE);
    expect(c.late.due(c.wall())).toEqual([]);
    c.pass(WINDOW);
    expect(c.late.due(c.wall())).toEqual(['s1']);
  });
});
