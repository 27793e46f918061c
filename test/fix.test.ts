/**
 * `badgeclock fix` (rule 13): a correction through the same path as any, with
 * the clock stopped (the command judges it) and running (the clock does),
 * kept beside the raw taps; and the time formats a manager types.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { nextDayHint, parseFixTime } from '../src/commands/fix';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import { defaultRules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import { Clock, logText, requireBuiltCli, runCli } from './support/runCli';
import { people, player, read } from './support/store-fixtures';

const HOUR = 3_600_000;
const ALICE = 'A11CE000';
const BERLIN = 'Europe/Berlin';
const T0 = Date.parse('2026-03-23T08:00:00+01:00');
const ENV = { BADGECLOCK_TIME_SYNC: 'off', BADGECLOCK_TZ: BERLIN };

describe('the times a manager types', () => {
  const sessionIn = Date.parse('2026-03-23T22:00:00+01:00');
  it.each([
    ['16:30', '2026-03-23T16:30:00+01:00'],
    ['7:05', '2026-03-23T07:05:00+01:00'],
    ['2026-03-24 06:00', '2026-03-24T06:00:00+01:00'],
    // The spring-forward night: 2026-03-29 03:00 is summer time.
    ['2026-03-29 03:00', '2026-03-29T03:00:00+02:00'],
    ['2026-03-24T06:00:00Z', '2026-03-24T06:00:00Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseFixTime(text, BERLIN, sessionIn)).toBe(Date.parse(iso));
  });

  it.each([
    'half five',
    '25:00',
    '2026-02-30 10:00',
    '10:60',
    '',
    // With an offset too: Date.parse would move these to a day nobody typed.
    '2026-02-30T10:00:00+01:00',
    '2026-02-29T10:00Z',
    '2026-03-24T24:00:00+01:00',
  ])('%j is not a time', (text) => {
    expect(parseFixTime(text, BERLIN, sessionIn)).toBeNull();
  });
});

describe('the hint for an Out typed without its date', () => {
  const at = (iso: string): number => Date.parse(iso);
  const LIMIT = 12 * HOUR;

  it('a night shift: 06:00 is read on the day of the clock-in; the hint gives the next day', () => {
    const inAt = at('2026-03-23T22:00:00+01:00');
    const outAt = parseFixTime('06:00', BERLIN, inAt);
    expect(nextDayHint('06:00', outAt, inAt, BERLIN, LIMIT)).toBe(
      '--out 06:00 is read on the day of the clock-in; for a shift that ended the next day, give the date: --out "2026-03-24 06:00"',
    );
  });

  it('the spring-forward night: the next day is still the next date', () => {
    const inAt = at('2026-03-28T22:00:00+01:00');
    const outAt = parseFixTime('5:30', BERLIN, inAt);
    expect(nextDayHint('5:30', outAt, inAt, BERLIN, LIMIT)).toContain('--out "2026-03-29 5:30"');
  });

  it.each([
    ['an Out after the In', '23:30', '2026-03-23T22:00:00+01:00'],
    ['an Out with its date', '2026-03-23 06:00', '2026-03-23T22:00:00+01:00'],
    [
      'a next-day Out past the limit (07:00 for an In at 08:00 is a typo)',
      '07:00',
      '2026-03-23T08:00:00+01:00',
    ],
  ])('none for %s', (_what, typed, inIso) => {
    const inAt = at(inIso);
    expect(nextDayHint(typed, parseFixTime(typed, BERLIN, inAt), inAt, BERLIN, LIMIT)).toBeNull();
  });
});

describe('badgeclock fix', () => {
  let dir: string;
  let data: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-fix-'));
    data = join(dir, 'data');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A store with Alice's day, 08:00 to 17:00, and her open evening session. */
  function aliceDay(): { day: string; evening: string } {
    const store = Store.open(join(data, DB_FILE_NAME), { newInstall: true });
    player(store, defaultRules(BERLIN)).play(
      people(T0, [{ card: ALICE, name: 'Alice' }]),
      read(T0, ALICE),
      read(T0 + 9 * HOUR, ALICE),
      read(T0 + 11 * HOUR, ALICE),
    );
    store.close();
    return { day: sessionId(ALICE, T0), evening: sessionId(ALICE, T0 + 11 * HOUR) };
  }

  const fix = (args: string[]) => runCli(['fix', ...args, '--data-dir', data], { env: ENV });
  const db = <T>(work: (db: Database.Database) => T): T => {
    const handle = new Database(join(data, DB_FILE_NAME), { readonly: true });
    try {
      return work(handle);
    } finally {
      handle.close();
    }
  };

  it('with the clock stopped, corrects an Out: the record keeps the clock’s time beside the corrected one', async () => {
    const { day } = aliceDay();
    const result = await fix([day, '--out', '16:30', '--why', 'left early, tapped late']);
    expect(result.stdout).toBe(`✔ session ${day} corrected\n`);
    expect(result.code).toBe(0);
    db((handle) => {
      expect(
        handle.prepare('SELECT out_at, fixed_out, voided FROM sessions WHERE id = ?').get(day),
      ).toEqual({
        out_at: T0 + 9 * HOUR,
        fixed_out: T0 + 8.5 * HOUR,
        voided: 0,
      });
      expect(
        handle
          .prepare('SELECT field, old, new, applied, reason, source, why FROM corrections')
          .all(),
      ).toEqual([
        {
          field: 'out',
          old: new Date(T0 + 9 * HOUR).toISOString(),
          new: new Date(T0 + 8.5 * HOUR).toISOString(),
          applied: 1,
          reason: null,
          source: 'fix',
          why: 'left early, tapped late',
        },
      ]);
      // The raw taps are as they were taken.
      expect(handle.prepare('SELECT at FROM taps ORDER BY id').pluck().all()).toEqual([
        T0,
        T0 + 9 * HOUR,
        T0 + 11 * HOUR,
      ]);
      // For the sheet: the row's times, and a line of the Edits tab.
      expect(
        handle
          .prepare(
            "SELECT kind FROM outbox WHERE kind IN ('session-fixed', 'edit-logged') ORDER BY seq",
          )
          .pluck()
          .all(),
      ).toEqual(['session-fixed', 'edit-logged']);
    });
    const csv = await runCli(
      ['report', '--csv', '--from', '2026-03-23', '--to', '2026-03-23', '--data-dir', data],
      { env: ENV },
    );
    expect(csv.stdout).toContain('16:30');
  });

  it('report --edits lists every correction, applied or rejected, with why; verify finds the record whole', async () => {
    const { day } = aliceDay();
    await fix([day, '--out', '16:30', '--why', 'left early']);
    await fix([day, '--in', '18:00', '--why', '=HYPERLINK("x")']);
    const range = ['--from', '2000-01-01', '--to', '2100-01-01', '--data-dir', data];
    const text = await runCli(['report', '--edits', ...range], { env: ENV });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Seen +Session +Name +Field +Old +New +Result +Why +Source$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `${day} +Alice +out +2026-03-23 17:00 +2026-03-23 16:30 +applied +left early +fix$`,
      ),
    );
    expect(lines[2]).toContain('rejected: Out 2026-03-23 16:30 is not after In 2026-03-23 18:00');
    const csv = await runCli(['report', '--edits', '--csv', ...range], { env: ENV });
    // Text a person typed can't become a formula in a spreadsheet.
    expect(csv.stdout).toContain(`"'=HYPERLINK(""x"")"`);
    const verify = await runCli(['verify', '--data-dir', data], { env: ENV });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/3 taps and 2 corrections/);
  });

  it('report --edits --person lists only that person’s corrections, found by any of their names or cards', async () => {
    const BOB = 'B0B0B0B0';
    const store = Store.open(join(data, DB_FILE_NAME), { newInstall: true });
    player(store, defaultRules(BERLIN)).play(
      people(T0, [
        { card: ALICE, name: 'Alice' },
        { card: BOB, name: 'Bob' },
      ]),
      read(T0, ALICE),
      read(T0 + HOUR, BOB),
      read(T0 + 9 * HOUR, ALICE),
      read(T0 + 10 * HOUR, BOB),
    );
    store.close();
    await fix([sessionId(ALICE, T0), '--out', '16:30', '--why', 'Alice left early']);
    await fix([sessionId(BOB, T0 + HOUR), '--out', '17:30', '--why', 'Bob left early']);
    // Corrections are listed by when they were seen: now.
    const range = ['--from', '2000-01-01', '--to', '2100-01-01', '--data-dir', data];
    const edits = (person: string) =>
      runCli(['report', '--edits', '--person', person, ...range], { env: ENV });
    for (const bob of ['bob', 'b0b0b0b0']) {
      const result = await edits(bob);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Bob left early');
      expect(result.stdout).not.toContain('Alice');
    }
    // Nobody goes by Carol: said so, not taken for a person nobody corrected.
    expect((await edits('Carol')).stdout).toBe(
      'No corrections in these days.\nNo one in People or in the clock\'s sessions goes by "Carol".\n',
    );
  });

  it('report --edits with --explain is refused with exit 2: there are no totals to explain', async () => {
    aliceDay();
    const result = await runCli(['report', '--edits', '--explain', '--data-dir', data], {
      env: ENV,
    });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(
      '--explain is for the totals; leave it out with --edits',
    );
  });

  it('rejects an Out before the In with exit 1, says why, and keeps both the session and the refusal', async () => {
    const { day } = aliceDay();
    const result = await fix([day, '--out', '07:00', '--why', 'typo']);
    expect(result.stdout).toBe(
      `✖ session ${day} not corrected: Out 2026-03-23 07:00 is not after In 2026-03-23 08:00\n`,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('give the date');
    db((handle) => {
      expect(
        handle.prepare('SELECT fixed_out FROM sessions WHERE id = ?').pluck().get(day),
      ).toBeNull();
      expect(handle.prepare('SELECT applied FROM corrections').pluck().all()).toEqual([0]);
    });
  });

  it('an Out typed as HH:mm for a night shift is refused as before, with the date it likely meant', async () => {
    const store = Store.open(join(data, DB_FILE_NAME), { newInstall: true });
    const inAt = T0 + 14 * HOUR; // 22:00
    player(store, defaultRules(BERLIN)).play(
      people(T0, [{ card: ALICE, name: 'Alice' }]),
      read(inAt, ALICE),
      read(inAt + 8 * HOUR, ALICE),
    );
    store.close();
    const night = sessionId(ALICE, inAt);
    const result = await fix([night, '--out', '05:30', '--why', 'left early']);
    expect(result.stdout).toBe(
      `✖ session ${night} not corrected: Out 2026-03-23 05:30 is not after In 2026-03-23 22:00\n`,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('give the date: --out "2026-03-24 05:30"');
    const again = await fix([night, '--out', '2026-03-24 05:30', '--why', 'left early']);
    expect(again.stdout).toBe(`✔ session ${night} corrected\n`);
  });

  /** Alice in an hour ago (the command judges at the real time): open, within her limit. */
  function aliceInNow(): string {
    const store = Store.open(join(data, DB_FILE_NAME), { newInstall: true });
    const inAt = Date.now() - HOUR;
    player(store, defaultRules(BERLIN)).play(
      people(inAt - HOUR, [{ card: ALICE, name: 'Alice' }]),
      read(inAt, ALICE),
    );
    store.close();
    return sessionId(ALICE, inAt);
  }

  it('voids an open session: it is closed, out of every total, and the next tap clocks in', async () => {
    const evening = aliceInNow();
    expect((await fix([evening, '--void', '--why', 'tapped a colleague’s badge'])).code).toBe(0);
    db((handle) => {
      expect(
        handle.prepare('SELECT status, voided FROM sessions WHERE id = ?').get(evening),
      ).toEqual({
        status: 'out',
        voided: 1,
      });
      // The row is written as the store has it: closed where the void closed it.
      const closedAt = handle
        .prepare('SELECT out_at FROM sessions WHERE id = ?')
        .pluck()
        .get(evening) as number;
      const entry = handle
        .prepare("SELECT payload FROM outbox WHERE kind = 'session-fixed' AND key LIKE ?")
        .pluck()
        .get(`fixed:${evening}:%`) as string;
      expect(JSON.parse(entry)).toMatchObject({ status: 'void', outAt: closedAt });
    });
    const clock = new Clock(['run', '--json', '--data-dir', data], {
      env: { ...ENV, BADGECLOCK_GUARD_SECONDS: '0' },
    });
    await clock.started();
    clock.write(`${ALICE}\n`);
    await clock.waitFor((c) => /"clock-(in|out)"/.test(c.stdout));
    expect(await clock.stop()).toBe(0);
    expect(clock.stdout).toContain('"clock-in"');
  });

  it('voids a session the stopped clock left open past its limit as the clock has it: closed auto there', async () => {
    // Her evening session began on 23 March: a start would close it at 07:00 the next morning.
    const { evening } = aliceDay();
    expect((await fix([evening, '--void', '--why', 'tapped a colleague’s badge'])).code).toBe(0);
    db((handle) => {
      expect(
        handle.prepare('SELECT status, out_at, voided FROM sessions WHERE id = ?').get(evening),
      ).toEqual({ status: 'auto', out_at: T0 + 23 * HOUR, voided: 1 });
      // A void of a closed session, not a close of an open one (the refold would fold it again).
      expect(
        handle.prepare('SELECT field, old, new FROM corrections WHERE session = ?').all(evening),
      ).toEqual([{ field: 'status', old: 'auto', new: 'void' }]);
    });
  });

  it('with the clock running, the clock judges it within seconds and closes the open session', async () => {
    aliceDay();
    const clock = new Clock(['run', '--json', '--data-dir', data], {
      env: { ...ENV, BADGECLOCK_GUARD_SECONDS: '0' },
    });
    await clock.started();
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    const opened = (
      JSON.parse(clock.lines().find((l) => l.includes('"clock-in"')) ?? '{}') as { session: string }
    ).session;
    // A second after the clock-in: the Out must be after the In, and not in the future.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const result = await fix([
      opened,
      '--out',
      new Date().toISOString(),
      '--why',
      'forgot to tap out',
    ]);
    expect(result.stdout).toBe(`✔ session ${opened} corrected\n`);
    await clock.waitFor((c) => c.stdout.includes('"correction"'));
    // Closed by the correction: the next tap clocks in again.
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => c.stdout.split('"clock-in"').length === 3);
    expect(await clock.stop()).toBe(0);
    expect(clock.stdout).not.toContain('"clock-out"');
  });

  it.each([
    [['--out', '16:30'], '--why is required'],
    [['--void', '--out', '16:30', '--why', 'x'], '--void takes the session out as it is'],
    [['--why', 'x'], 'nothing to correct'],
    [['--out', 'half five', '--why', 'x'], '--out "half five" is not a time'],
    [['--void', '--why', 'x', '--wait', ''], '--wait "" is not a number of seconds'],
    [['--void', '--why', 'x', '--wait', '0x10'], '--wait "0x10" is not a number of seconds'],
  ])('refuses bad input with exit 2 and a clear message: %j', async (args, message) => {
    const { day } = aliceDay();
    const result = await fix([day, ...args]);
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(message);
  });

  it('takes a session id pasted with the blank or line end a sheet cell brings along', async () => {
    const { day } = aliceDay();
    const result = await fix([` ${day}\n`, '--out', '16:30', '--why', 'copied from the Log tab']);
    expect(logText(result.stderr)).toBe('');
    expect(result.stdout).toBe(`✔ session ${day} corrected\n`);
    expect(result.code).toBe(0);
  });

  it('refuses a session that does not exist, saying where ids are', async () => {
    aliceDay();
    const result = await fix(['20260323T070000.000Z-NOPE', '--void', '--why', 'x']);
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain('there is no session 20260323T070000.000Z-NOPE');
  });

  it('refuses a data directory with no database, as status does, and creates nothing there', async () => {
    const typo = join(dir, 'dta');
    mkdirSync(typo);
    const result = await runCli(
      ['fix', '20260323T070000.000Z-NOPE', '--void', '--why', 'x', '--data-dir', typo],
      { env: ENV },
    );
    const status = await runCli(['status', '--data-dir', typo], { env: ENV });
    expect(result.code).toBe(status.code);
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(`no database at ${join(typo, DB_FILE_NAME)} yet`);
    expect(readdirSync(typo)).toEqual([]);
    const absent = join(dir, 'nowhere');
    expect((await runCli(['fix', 'x', '--void', '--why', 'x', '--data-dir', absent])).code).toBe(1);
    expect(existsSync(absent)).toBe(false);
  });
});
