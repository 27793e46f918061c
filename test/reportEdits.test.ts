/**
 * `report --edits` shows each value as it was: a time the clock recorded in the zone, and a
 * text typed into the sheet that was not a time exactly as it was typed.
 */
import type { EditRow } from '../src/drivers/store/store';
import { editsCsv, formatEdits } from '../src/report/edits';

const BERLIN = 'Europe/Berlin';

const typed = (text: string): EditRow => ({
  seenAt: Date.parse('2026-03-05T09:00:00+01:00'),
  session: '20260304T070000.000Z-A11CE000',
  card: 'A11CE000',
  name: 'Alice',
  field: 'out',
  old: '2026-03-04T16:00:00.000Z',
  new: text,
  applied: false,
  reason: `${JSON.stringify(text)} in Out is not a time`,
  source: 'sheet',
  why: null,
});

describe('the corrections (report --edits)', () => {
  it.each(['2026-02-30T10:00', '2026-03-04T17:30:00'])(
    'shows the text %s, refused as not a time, as it was typed, not as some other time',
    (text) => {
      const [, line] = formatEdits([typed(text)], BERLIN).split('\n');
      expect(line).toContain(`out    2026-03-04 17:00  ${text}  rejected: `);
      expect(editsCsv([typed(text)], BERLIN)).toContain(`,2026-03-04 17:00,${text},"rejected: `);
    },
  );
});
