/**
 * `report --edits` shows each value as it was: a time the clock recorded in the zone, and a
 * text typed into the sheet that was not a time exactly as it was typed.
 */
import { join } from 'node:path';
import { Store, type EditRow } from '../src/drivers/store/store';
import { editsCsv, formatEdits } from '../src/report/edits';
import { defaultRules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import { logText, requireBuiltCli, runCli } from './support/runCli';
import { outMoved, people, player, read, correctionOf, tempDir } from './support/store-fixtures';

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

  it('lists a trail of 200,000 corrections (years of a large site) instead of overflowing the stack', () => {
    const rows = Array.from({ length: 200_000 }, () => typed('2026-03-04T17:30:00'));
    const lines = formatEdits(rows, BERLIN).split('\n');
    expect(lines).toHaveLength(200_002);
    expect(lines[200_000]).toContain('out    2026-03-04 17:00  2026-03-04T17:30:00  rejected: ');
  });

  describe('the command', () => {
    let dir: ReturnType<typeof tempDir>;
    beforeAll(requireBuiltCli);
    beforeEach(() => {
      dir = tempDir('report-edits');
    });
    afterEach(() => {
      dir.remove();
    });

    it('--person names a name nobody answers to, not as someone with no corrections', async () => {
      const data = join(dir.path, 'data');
      const store = Store.open(join(data, 'badgeclock.db'));
      player(store, defaultRules(BERLIN)).play(
        read(Date.parse('2026-03-04T08:00:00+01:00'), 'A11CE000'),
        read(Date.parse('2026-03-04T16:00:00+01:00'), 'A11CE000'),
      );
      store.close();
      const days = [
        '--data-dir',
        data,
        '--tz',
        BERLIN,
        '--from',
        '2026-03-01',
        '--to',
        '2026-03-07',
      ];
      const env = { BADGECLOCK_TIME_SYNC: 'off' };
      const typo = await runCli(['report', ...days, '--edits', '--person', 'Mallory'], { env });
      expect(logText(typo.stderr)).toBe('');
      expect(typo.code).toBe(0);
      expect(typo.stdout).toBe(
        'No corrections in these days.\nNo one in People or in the clock\'s sessions goes by "Mallory".\n',
      );
      const known = await runCli(['report', ...days, '--edits', '--person', 'a11ce000'], { env });
      expect(known.stdout).toBe('No corrections in these days.\n');
    });

    it('--person finds a person by a name their older sessions had, in days with only the new name', async () => {
      const data = join(dir.path, 'data');
      const card = 'B0B0B0B0';
      const t = (iso: string): number => Date.parse(iso);
      const store = Store.open(join(data, 'badgeclock.db'));
      player(store, defaultRules(BERLIN)).play(
        people(t('2026-03-01T00:00:00+01:00'), [{ card, name: 'Robert' }]),
        read(t('2026-03-02T08:00:00+01:00'), card),
        read(t('2026-03-02T16:00:00+01:00'), card),
        people(t('2026-03-05T00:00:00+01:00'), [{ card, name: 'Bob' }]),
        read(t('2026-03-10T08:00:00+01:00'), card),
        read(t('2026-03-10T16:00:00+01:00'), card),
        correctionOf(
          t('2026-03-11T09:00:00+01:00'),
          sessionId(card, t('2026-03-10T08:00:00+01:00')),
          { card, name: 'Bob' },
          outMoved(
            t('2026-03-10T08:00:00+01:00'),
            t('2026-03-10T16:00:00+01:00'),
            t('2026-03-10T15:30:00+01:00'),
          ),
        ),
      );
      store.close();
      const week = [
        '--data-dir',
        data,
        '--tz',
        BERLIN,
        '--from',
        '2026-03-09',
        '--to',
        '2026-03-15',
      ];
      const env = { BADGECLOCK_TIME_SYNC: 'off' };
      const report = await runCli(['report', ...week, '--person', 'robert'], { env });
      expect(logText(report.stderr)).toBe('');
      expect(report.stdout).toMatch(/^ {2}2026-03-10 Tue {2}Bob +7h 30m$/m);
      expect(report.stdout).not.toContain('No sessions');
      const edits = await runCli(['report', ...week, '--edits', '--person', 'robert'], { env });
      expect(edits.stdout.split('\n')[1]).toMatch(
        / Bob +out +2026-03-10 16:00 +2026-03-10 15:30 +applied/,
      );
    });
  });
});
