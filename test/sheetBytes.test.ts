/**
 * What a minute costs in bytes read from the Sheets API must not grow with
 * the length of `Log` (issue 10, fault 8): the bench's own measurement (the
 * real client over HTTP to the test server, every response body counted),
 * with `Log` at 300 and at 3,000 rows.
 */
import { sheetBytes } from '../bench/sheetBytes';

jest.setTimeout(120_000);

describe('bytes read per minute', () => {
  it('stay the same whether Log has 300 rows or ten times as many', async () => {
    const [small, large] = await sheetBytes([300, 3_000]);
    if (small === undefined || large === undefined) throw new Error('two sizes measured');
    // Ids and times in the answers grow by a character or two, never by the rows' count.
    expect(large.badgeclock).toBeLessThan(small.badgeclock * 1.1 + 200);
    // The rows read back for corrections typed into the sheet are in it, as many at both sizes.
    expect(small.readBack).toBeGreaterThan(small.watching * 10);
    expect(large.readBack).toBeLessThan(small.readBack * 1.1 + 200);
    // The baseline read (the whole Session column) does grow: the measurement can tell.
    expect(large.baseline).toBeGreaterThan(small.baseline * 5);
  });
});
