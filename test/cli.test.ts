/**
 * The built CLI (dist/, built by `npm test` before jest runs) as real child
 * processes in a temp dir: help, refusing bad configuration, the clock on
 * piped stdin, garbage on stdin, and replaying a day's tap log.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, logText, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';
import { until } from './support/until';

/** Settings every clock here runs with: a fixed reader name, and no asking timedatectl. */
const BASE_ENV = { BADGECLOCK_READER_NAME: 'front', BADGECLOCK_TIME_SYNC: 'off' };
/** Every line is a tap that toggles: no debounce, no double-tap guard. */
const FAST_ENV = { ...BASE_ENV, BADGECLOCK_DEBOUNCE_SECONDS: '0', BADGECLOCK_GUARD_SECONDS: '0' };

const ALICE = '04A3C6CAE26180';
const BOB = 'B0B0B0B0';
const PEOPLE = `card,name,active,aliases\n${ALICE},Alice,yes,0012345678\n${BOB},"Okafor, Bob",yes,\n`;

/** Non-empty lines of an output. */
const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** `HH:MM` in UTC of every minute from `from` to now: what a console line may show. */
function minutesSince(from: number): string {
  const shown: string[] = [];
  for (let t = Math.floor(from / 60_000) * 60_000; t <= Date.now(); t += 60_000) {
    shown.push(new Date(t).toISOString().slice(11, 16));
  }
  return `(?:${shown.join('|')})`;
}

const fileText = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

describe('badgeclock --help', () => {
  const dir = useTempDir('cli-help');

  it.each([
    [['--help'], /^Usage: badgeclock \[options\] \[command\]/m, ['run', 'replay']],
    [['run', '--help'], /^Usage: badgeclock run \[options\]/m, ['--json', '--config', '--tz']],
    [
      ['replay', '--help'],
      /^Usage: badgeclock replay \[options\] <file>/m,
      ['--json', '--until', '--config'],
    ],
    [['help', 'run'], /^Usage: badgeclock run \[options\]/m, ['--data-dir']],
    [['help', 'replay'], /^Usage: badgeclock replay \[options\] <file>/m, ['--people-file']],
  ])('%j prints its usage and exits 0', async (args, usage, mentions) => {
    const result = await runCli(args, { cwd: dir(), env: BASE_ENV });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
    for (const option of mentions) expect(result.stdout).toContain(option);
    expect(result.stderr).toBe('');
  });
});

describe('badgeclock with a mistyped command', () => {
  const dir = useTempDir('cli-command');

  it('names the unknown command and the nearest one, exit 2, instead of handing it to run', async () => {
    const result = await runCli(['reprot'], { cwd: dir(), env: BASE_ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown command 'reprot' (did you mean report?)");
    expect(result.stderr).not.toContain('too many arguments');
    expect(existsSync(join(dir(), 'data'))).toBe(false);
  });

  it('still runs the clock with no command, options first or none', async () => {
    for (const args of [[], ['--tz', 'UTC']]) {
      const result = await runCli(args, {
        cwd: dir(),
        env: { ...BASE_ENV, BADGECLOCK_DATA_DIR: `data${args.length}` },
        input: `${ALICE}\n`,
        timeoutMs: 2500,
      });
      expect(result.stdout).toMatch(new RegExp(`✔ \\d\\d:\\d\\d  ${ALICE}  in`));
    }
  });
});

describe('badgeclock with an invalid configuration', () => {
  const dir = useTempDir('cli-config');

  it.each([['run'], ['replay']])(
    '%s refuses to start with exit code 2, naming every problem by key and source',
    async (command) => {
      const config = join(dir(), 'clock.json');
      writeFileSync(config, JSON.stringify({ dailyCutoff: '7pm', guardSecnds: 5 }));
      writeFileSync(join(dir(), 'day.csv'), '2024-03-25T08:00:00,A1A1A1A1\n');
      const args = command === 'replay' ? ['replay', join(dir(), 'day.csv')] : ['run'];
      const result = await runCli(
        [
          ...args,
          '--config',
          config,
          '--tz',
          'Mars/Olympus_Mons',
          '--unknown-cards',
          'maybe',
          '--data-dir',
          join(dir(), 'data'),
        ],
        {
          cwd: dir(),
          env: { ...BASE_ENV, BADGECLOCK_GUARD_SECONDS: 'a minute', BADGECLOCK_COLOUR: 'blue' },
        },
      );
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const log = logText(result.stderr);
      expect(log).toContain('invalid configuration (6 problems):');
      expect(log).toContain('  - tz (--tz): not an IANA time zone name');
      expect(log).toContain('  - unknownCards (--unknown-cards): ');
      expect(log).toMatch(/ {2}- guardSeconds \(BADGECLOCK_GUARD_SECONDS\): .*got "a minute"/);
      expect(log).toContain('  - BADGECLOCK_COLOUR: unknown setting');
      expect(log).toContain(`  - dailyCutoff (${config}): expected a local time "HH:mm"`);
      expect(log).toContain(`  - guardSecnds (${config}): unknown setting`);
      // Refused before touching anything.
      expect(existsSync(join(dir(), 'data'))).toBe(false);
    },
  );

  it('refuses a config file that is not valid JSON', async () => {
    writeFileSync(join(dir(), 'badgeclock.config.json'), '{ "tz": "UTC", }');
    const result = await runCli(['run'], { cwd: dir(), env: BASE_ENV });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(
      `config file ${join(dir(), 'badgeclock.config.json')}: not valid JSON`,
    );
  });

  it.each([
    [['run', '--bogus'], "error: unknown option '--bogus'"],
    [['report', '--from'], "error: option '--from <date>' argument missing"],
    [['replay'], "error: missing required argument 'file'"],
  ])(
    '%j is a usage error: it says what is wrong, shows usage and exits 2',
    async (args, message) => {
      const result = await runCli(args, { cwd: dir(), env: BASE_ENV });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Usage: badgeclock');
      expect(existsSync(join(dir(), 'data'))).toBe(false);
    },
  );

  it('refuses a --config file that does not exist', async () => {
    const result = await runCli(['run', '--config', 'nowhere.json'], { cwd: dir(), env: BASE_ENV });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(
      `config file ${join(dir(), 'nowhere.json')}: file not found`,
    );
  });
});

describe('badgeclock run with cards on stdin', () => {
  const dir = useTempDir('cli-run');
  const people = (): string => join(dir(), 'people.csv');
  const args = (...more: string[]): string[] => [
    'run',
    '--data-dir',
    join(dir(), 'data'),
    '--people-file',
    people(),
    '--tz',
    'UTC',
    ...more,
  ];
  const started = (c: Clock): boolean => logText(c.stderr).includes('badgeclock 0.');

  it('clocks people in and out with a console line each, naming them from the people file', async () => {
    writeFileSync(people(), PEOPLE);
    const clock = new Clock(args(), { cwd: dir(), env: FAST_ENV });
    const t0 = Date.now();
    await clock.waitFor(started);
    clock.write(`${ALICE}\nb0:b0:b0:b0\n0012345678\n`);
    await clock.waitFor((c) => linesOf(c.stdout).length === 3);
    clock.write(`${ALICE}\n`);
    await clock.waitFor((c) => linesOf(c.stdout).length === 4);
    expect(await clock.stop()).toBe(0);
    const hhmm = minutesSince(t0);
    expect(linesOf(clock.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^✔ ${hhmm} {2}Alice {2}in$`)),
      expect.stringMatching(new RegExp(`^✔ ${hhmm} {2}Okafor, Bob {2}in$`)),
      // The wedge reader's decimal id is Alice's alias: the same person clocks out.
      expect.stringMatching(
        new RegExp(`^✔ ${hhmm} {2}Alice {2}out {2}0h 00m \\(today 0h 00m, week 0h 00m\\)$`),
      ),
      expect.stringMatching(new RegExp(`^✔ ${hhmm} {2}Alice {2}in$`)),
    ]);
  });

  it('ignores a second tap right after the first as a double tap', async () => {
    writeFileSync(people(), PEOPLE);
    const clock = new Clock(args(), {
      cwd: dir(),
      env: { ...BASE_ENV, BADGECLOCK_DEBOUNCE_SECONDS: '0' },
    });
    await clock.waitFor(started);
    clock.write(`${ALICE}\n${ALICE}\n`);
    await clock.waitFor((c) => linesOf(c.stdout).length === 2);
    expect(await clock.stop()).toBe(0);
    expect(linesOf(clock.stdout)).toEqual([
      expect.stringMatching(/^✔ \d\d:\d\d {2}Alice {2}in$/),
      expect.stringMatching(/^· \d\d:\d\d {2}Alice {2}ignored double tap$/),
    ]);
  });

  it('takes a card held on the reader (read again and again) as one tap', async () => {
    writeFileSync(people(), PEOPLE);
    const clock = new Clock(args(), { cwd: dir(), env: BASE_ENV });
    await clock.waitFor(started);
    clock.write(`${ALICE}\n${ALICE}\n${ALICE}\n${BOB}\n`);
    // Bob's line comes after Alice's repeated reads were handled: nothing came between.
    await clock.waitFor((c) => c.stdout.includes('Okafor, Bob  in'));
    expect(await clock.stop()).toBe(0);
    expect(linesOf(clock.stdout)).toEqual([
      expect.stringMatching(/^✔ \d\d:\d\d {2}Alice {2}in$/),
      expect.stringMatching(/^✔ \d\d:\d\d {2}Okafor, Bob {2}in$/),
    ]);
  });

  it('clocks an unknown card in under its id and adds it to the people file with a blank name', async () => {
    writeFileSync(people(), PEOPLE.trimEnd()); // as a hand edit leaves it: no last newline
    const clock = new Clock(args(), { cwd: dir(), env: FAST_ENV });
    await clock.waitFor(started);
    clock.write('cafe0001\n');
    await clock.waitFor((c) => linesOf(c.stdout).length === 2);
    await until(() => fileText(people()).includes('CAFE0001'), { everyMs: 20 });
    expect(await clock.stop('SIGINT')).toBe(0);
    expect(linesOf(clock.stdout)).toEqual([
      '? unknown card CAFE0001 (clocked in under its id; add a name in People)',
      expect.stringMatching(/^✔ \d\d:\d\d {2}CAFE0001 {2}in$/),
    ]);
    expect(fileText(people())).toBe(`${PEOPLE}CAFE0001,,yes,\n`);
  });

  it('keeps its people file in the data dir by default, creating it with a header', async () => {
    const data = join(dir(), 'data');
    const clock = new Clock(['run', '--data-dir', data, '--tz', 'UTC'], {
      cwd: dir(),
      env: FAST_ENV,
    });
    await clock.waitFor(started);
    clock.write('0099887766\n');
    await clock.waitFor((c) => c.stdout.includes('0099887766  in'));
    await until(() => fileText(join(data, 'people.csv')) !== '', { everyMs: 20 });
    expect(await clock.stop()).toBe(0);
    expect(fileText(join(data, 'people.csv'))).toBe('card,name,active,aliases\n0099887766,,yes,\n');
  });

  it('with --unknown-cards reject does not clock an unknown card in, but still lists it', async () => {
    writeFileSync(people(), PEOPLE);
    const clock = new Clock(args('--unknown-cards', 'reject'), { cwd: dir(), env: FAST_ENV });
    await clock.waitFor(started);
    clock.write(`CAFE0002\n${BOB}\n`);
    await clock.waitFor((c) => c.stdout.includes('Okafor, Bob  in'));
    await until(() => fileText(people()).includes('CAFE0002'), { everyMs: 20 });
    expect(await clock.stop()).toBe(0);
    expect(linesOf(clock.stdout)).toEqual([
      '? unknown card CAFE0002 (not clocked; add a name in People to use it)',
      expect.stringMatching(/^✔ \d\d:\d\d {2}Okafor, Bob {2}in$/),
    ]);
    expect(fileText(people())).toContain('\nCAFE0002,,yes,\n');
  });

  it('--json writes only JSON lines to stdout, one per event, with type, at, card, name, session, hours', async () => {
    writeFileSync(people(), PEOPLE);
    const clock = new Clock(args('--json'), { cwd: dir(), env: FAST_ENV });
    const t0 = Date.now();
    await clock.waitFor(started);
    clock.write(`${ALICE}\n\nnot a card\nCAFE0003\n${ALICE}\n`);
    await clock.waitFor((c) => c.stdout.includes('"clock-out"'));
    expect(await clock.stop()).toBe(0);
    const events = linesOf(clock.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => [e.type, e.card, e.name])).toEqual([
      ['tap', ALICE, 'Alice'],
      ['clock-in', ALICE, 'Alice'],
      ['tap', 'CAFE0003', null],
      ['unknown', 'CAFE0003', null],
      ['clock-in', 'CAFE0003', null],
      ['tap', ALICE, 'Alice'],
      ['clock-out', ALICE, 'Alice'],
    ]);
    for (const event of events) {
      const at = Date.parse(String(event.at));
      expect(event.at).toBe(new Date(at).toISOString());
      expect(at).toBeGreaterThanOrEqual(t0 - 1000);
      expect(at).toBeLessThanOrEqual(Date.now());
    }
    const [, aliceIn, , , cafeIn, , aliceOut] = events;
    expect(aliceIn?.session).toEqual(expect.stringContaining(ALICE));
    expect(cafeIn?.session).toEqual(expect.stringContaining('CAFE0003'));
    expect(aliceOut).toMatchObject({ session: aliceIn?.session, reader: 'front' });
    expect(aliceOut?.hours).toEqual(expect.any(Number));
    expect(aliceOut?.hours).toBeLessThan(0.01);
    // The garbage lines were reported on stderr, not mixed into the JSON on stdout.
    expect(logText(clock.stderr)).toMatch(/reader front: line 2: empty line/);
    expect(logText(clock.stderr)).toMatch(/reader front: line 3: not a card id: "not a card"/);
  });

  it('survives garbage on stdin, a 10 MB line included, reads on after it, and outlives its stdin until SIGTERM', async () => {
    writeFileSync(people(), PEOPLE);
    const clock = new Clock(args(), { cwd: dir(), env: FAST_ENV, timeoutMs: 25_000 });
    await clock.waitFor(started);
    clock.write(`${ALICE}\n`); // line 1
    await clock.waitFor((c) => c.stdout.includes('Alice  in'));
    clock.write('\n'); // line 2
    clock.write(Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x41, 0x0a])); // line 3
    clock.write(`${'x'.repeat(1000)}\n`); // line 4
    const chunk = Buffer.alloc(1024 * 1024, 0x39);
    for (let i = 0; i < 10; i++) clock.write(chunk); // line 5: 10 MB of digits
    clock.write(`\n${BOB}\n`); // line 6
    await clock.waitFor((c) => c.stdout.includes('Okafor, Bob  in'), 15_000);
    // stderr is a pipe of its own: its lines may arrive a little after stdout's.
    await clock.waitFor((c) => logText(c.stderr).includes('line 5: '));
    const faults = logText(clock.stderr);
    expect(faults).toContain('reader front: line 2: empty line');
    expect(faults).toContain(
      'reader front: line 3, column 1: byte 0x00 (NUL) is not part of a card id (binary or a control key)',
    );
    expect(faults).toContain('reader front: line 4: 1000 bytes is too long for a card id');
    expect(faults).toContain('reader front: line 5: 10485760 bytes is too long for a card id');

    // The last card has no newline: only the end of stdin completes it. Its clock-out shows
    // that the end was read; the clock must go on after it (a service has no stdin).
    clock.write(ALICE);
    clock.child.stdin.end();
    await clock.waitFor((c) => c.stdout.includes('Alice  out'));
    // Still running: it notices an edit to the people file, which it polls every 2 s.
    writeFileSync(people(), `${PEOPLE}this is not a card,Nobody\n`);
    await clock.waitFor((c) => logText(c.stderr).includes(`${people()}:4: not a card id`));
    expect(clock.child.exitCode).toBeNull();

    expect(await clock.stop('SIGTERM')).toBe(0);
    expect(logText(clock.stderr)).toContain('badgeclock stopped');
    expect(linesOf(clock.stdout)).toEqual([
      expect.stringMatching(/^✔ \d\d:\d\d {2}Alice {2}in$/),
      expect.stringMatching(/^✔ \d\d:\d\d {2}Okafor, Bob {2}in$/),
      expect.stringMatching(
        /^✔ \d\d:\d\d {2}Alice {2}out {2}0h 00m \(today 0h 00m, week 0h 00m\)$/,
      ),
    ]);
  });
});

describe('badgeclock replay', () => {
  const dir = useTempDir('cli-replay');

  /**
   * The example day, Monday 25 March 2024 in Berlin, as the old clock logged it
   * (out of order, with the readers' own spellings of the ids):
   * - Alice arrives 08:59 and taps again by mistake at 08:59:30 (ignored double tap),
   *   leaves for lunch at 12:31 on the wedge reader (her decimal alias), is back at 13:02
   *   and leaves at 17:04: 3h 32m + 4h 02m = 7h 34m.
   * - Bob arrives 09:15 and leaves 17:30, holding his card on the reader for two
   *   seconds (three reads, one tap): 8h 15m.
   * - Carol's card is deactivated: her tap at 11:00 is ignored.
   * - A visitor's card CAFE0001 clocks in at 10:00 and never out: closed automatically
   *   12 h later, at 22:00, after the last tap of the day.
   */
  const DAY = [
    'timestamp,card,reader',
    '2024-03-25T17:30:02,B0B0B0B0,back',
    '2024-03-25T12:31:00,0012345678,wedge',
    '2024-03-25T08:59:00,04:a3:c6:ca:e2:61:80,front',
    '2024-03-25T09:15:00,b0b0b0b0,front',
    '2024-03-25T08:59:30,04A3C6CAE26180,front',
    '2024-03-25T10:00:00,CAFE0001',
    '2024-03-25T13:02:00,04A3C6CAE26180',
    '2024-03-25T17:04:00,04A3C6CAE26180',
    '2024-03-25T17:30:00,B0B0B0B0,back',
    '2024-03-25T17:30:01,B0B0B0B0,back',
    '2024-03-25T11:00:00,C0C0C0C0',
  ].join('\n');
  const DAY_PEOPLE = `${PEOPLE}C0C0C0C0,Carol,no,\n`;

  const replay = async (
    text: string,
    ...more: string[]
  ): Promise<{ code: number | null; stdout: string; log: string; file: string }> => {
    const file = join(dir(), 'day.csv');
    writeFileSync(file, text);
    writeFileSync(join(dir(), 'people.csv'), DAY_PEOPLE);
    const result = await runCli(
      ['replay', file, '--tz', 'Europe/Berlin', '--people-file', 'people.csv', ...more],
      { cwd: dir(), env: BASE_ENV },
    );
    return { code: result.code, stdout: result.stdout, log: logText(result.stderr), file };
  };

  it('prints the sessions of the example day as a person would write them down', async () => {
    const { code, stdout } = await replay(DAY);
    expect(code).toBe(0);
    expect(linesOf(stdout)).toEqual([
      '✔ 08:59  Alice  in',
      '· 08:59  Alice  ignored double tap',
      '✔ 09:15  Okafor, Bob  in',
      '? unknown card CAFE0001 (clocked in under its id; add a name in People)',
      '✔ 10:00  CAFE0001  in',
      '· 11:00  Carol  ignored: card deactivated in People',
      '✔ 12:31  Alice  out  3h 32m (today 3h 32m, week 3h 32m)',
      '✔ 13:02  Alice  in',
      '✔ 17:04  Alice  out  4h 02m (today 7h 34m, week 7h 34m)',
      '✔ 17:30  Okafor, Bob  out  8h 15m (today 8h 15m, week 8h 15m)',
      '⏱ 22:00  CAFE0001  out automatically at the time limit  12h 00m (forgot to clock out?)',
    ]);
  });

  it('gives the same result whatever the order of the lines', async () => {
    const [header = '', ...taps] = DAY.split('\n');
    const sorted = await replay([header, ...[...taps].sort()].join('\n'));
    const reversed = await replay([header, ...[...taps].sort().reverse()].join('\n'));
    expect(reversed.stdout).toBe(sorted.stdout);
    expect(linesOf(sorted.stdout)).toHaveLength(11);
  });

  it('--json prints one JSON object per event, the auto clock-out included', async () => {
    const { code, stdout } = await replay(DAY, '--json');
    expect(code).toBe(0);
    const events = linesOf(stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.type !== 'tap').map((e) => [e.type, e.card, e.at])).toEqual([
      ['clock-in', ALICE, '2024-03-25T07:59:00.000Z'],
      ['ignored', ALICE, '2024-03-25T07:59:30.000Z'],
      ['clock-in', BOB, '2024-03-25T08:15:00.000Z'],
      ['unknown', 'CAFE0001', '2024-03-25T09:00:00.000Z'],
      ['clock-in', 'CAFE0001', '2024-03-25T09:00:00.000Z'],
      ['ignored', 'C0C0C0C0', '2024-03-25T10:00:00.000Z'],
      ['clock-out', ALICE, '2024-03-25T11:31:00.000Z'],
      ['clock-in', ALICE, '2024-03-25T12:02:00.000Z'],
      ['clock-out', ALICE, '2024-03-25T16:04:00.000Z'],
      ['clock-out', BOB, '2024-03-25T16:30:00.000Z'],
      ['auto-out', 'CAFE0001', '2024-03-25T21:00:00.000Z'],
    ]);
    // Eleven reads; Bob's three while holding his card are one tap.
    expect(events.filter((e) => e.type === 'tap')).toHaveLength(9);
    expect(events.find((e) => e.type === 'auto-out')).toEqual({
      type: 'auto-out',
      at: '2024-03-25T21:00:00.000Z',
      card: 'CAFE0001',
      name: null,
      session: '20240325T090000.000Z-CAFE0001',
      hours: 12,
      in: '2024-03-25T09:00:00.000Z',
      reason: 'limit',
    });
    expect(events.filter((e) => e.type === 'clock-out').map((e) => e.hours)).toEqual([
      3.533333, 4.033333, 8.25,
    ]);
    expect(events.find((e) => e.type === 'clock-out' && e.card === BOB)).toMatchObject({
      name: 'Okafor, Bob',
      session: '20240325T081500.000Z-B0B0B0B0',
      reader: 'back',
    });
  });

  it('closes a forgotten session at the daily cut-off from the config file', async () => {
    writeFileSync(join(dir(), 'clock.json'), JSON.stringify({ dailyCutoff: '20:00' }));
    const { code, stdout } = await replay(DAY, '--config', 'clock.json');
    expect(code).toBe(0);
    expect(linesOf(stdout).at(-1)).toBe(
      '⏱ 20:00  CAFE0001  out automatically at the daily cut-off  10h 00m (forgot to clock out?)',
    );
  });

  it('stops at --until: a session still open then is not closed', async () => {
    const { code, stdout } = await replay(DAY, '--until', '2024-03-25T21:59:00');
    expect(code).toBe(0);
    expect(stdout).not.toContain('⏱');
    expect(linesOf(stdout).at(-1)).toBe(
      '✔ 17:30  Okafor, Bob  out  8h 15m (today 8h 15m, week 8h 15m)',
    );
  });

  it('names the taps --until leaves out, and reads it by the tap log’s rule for a time the clocks repeat', async () => {
    const { code, stdout, log } = await replay(DAY, '--until', '2024-03-25T12:31');
    expect(code).toBe(0);
    expect(linesOf(stdout).at(-1)).toBe('✔ 12:31  Alice  out  3h 32m (today 3h 32m, week 3h 32m)');
    expect(log).toBe(
      '--until 2024-03-25T12:31: 5 tap(s) of the log come after it and are not replayed, the first at 2024-03-25 13:02 04A3C6CAE26180',
    );
    const night = `2024-10-26T22:00:00,${BOB}\n2024-10-27T05:00:00,${BOB}\n`;
    const repeated = await replay(night, '--until', '2024-10-27T02:30');
    expect(repeated.log).toContain(
      '--until: 2024-10-27T02:30 happens twice in Europe/Berlin (the clocks go back); taken as the first, 02:30+02:00',
    );
  });

  it.each([
    ['2024-03-25T21:59,5', 'is not an ISO-8601 date and time (e.g. 2026-03-23T18:00:00)'],
    [
      '2024-03-25T08:58:59',
      "is before the log's first tap (2024-03-25 08:59): nothing would be replayed",
    ],
    ['2999-01-01T00:00', 'is still to come (it is'],
  ])('refuses --until %j with exit 2, replaying nothing', async (until, why) => {
    const { code, stdout, log } = await replay(DAY, '--until', until);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(log).toContain(
      `--until ${until === '2024-03-25T21:59,5' ? JSON.stringify(until) : until} ${why}`,
    );
  });

  it.each(['x', '', '-5', '0x10', '1e3'])(
    'refuses --drain-timeout %j with exit 2 before replaying anything',
    async (seconds) => {
      const { code, stdout, log } = await replay(DAY, '--drain-timeout', seconds);
      expect(code).toBe(2);
      expect(log).toContain(
        `--drain-timeout ${JSON.stringify(seconds)} is not a number of seconds`,
      );
      expect(stdout).toBe('');
    },
  );

  it('refuses a --drain-timeout longer than a timer can wait, which gave up at once', async () => {
    const { code, stdout, log } = await replay(DAY, '--drain-timeout', '99999999');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(log).toContain(
      '--drain-timeout "99999999" is more than 2147483 seconds (24 days), the longest replay can wait',
    );
  });

  it('counts real elapsed time for a night shift across the spring DST change', async () => {
    // 22:00 Saturday to 06:00 Sunday 31 March 2024 in Berlin: the clocks jump 02:00 → 03:00.
    const { code, stdout } = await replay(
      `2024-03-30T22:00:00,${BOB}\n2024-03-31T06:00:00,${BOB}\n`,
    );
    expect(code).toBe(0);
    expect(linesOf(stdout)).toEqual([
      '✔ 22:00  Okafor, Bob  in',
      // Sunday began at midnight: five real hours of it by 06:00.
      '✔ 06:00  Okafor, Bob  out  7h 00m (today 5h 00m, week 7h 00m)',
    ]);
  });

  it('refuses a log with a bad line with exit code 2, naming file:line, replaying nothing', async () => {
    const lines = DAY.split('\n');
    lines.splice(4, 0, 'half past nine,B0B0B0B0'); // line 5
    lines.push('2024-03-25T18:00:00,xyz'); // line 14
    const { code, stdout, log, file } = await replay(lines.join('\n'));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(log).toContain(`tap log ${file} has 2 bad line(s); nothing was replayed`);
    expect(log).toContain(
      `  - ${file}:5: "half past nine" is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
    );
    expect(log).toContain(`  - ${file}:14: not a card id: "xyz"`);
  });

  it('refuses a log with a tap still to come (a year mistyped) with exit 2 at once, naming the line', async () => {
    const { code, stdout, log, file } = await replay(`${DAY}\n2062-03-25T18:00:00,${BOB}\n`);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(log).toContain(`  - ${file}:13: 2062-03-25T18:00:00 is still to come (it is `);
  });

  it('refuses to import into a sheet whose key file is unusable with exit 2, before replaying anything', async () => {
    const file = join(dir(), 'day.csv');
    writeFileSync(file, DAY);
    const result = await runCli(['replay', file, '--tz', 'Europe/Berlin'], {
      cwd: dir(),
      env: {
        ...BASE_ENV,
        BADGECLOCK_SPREADSHEET_ID: 'sheet0123456789',
        BADGECLOCK_KEY_FILE: join(dir(), 'key.json'),
      },
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const log = logText(result.stderr);
    expect(log).toContain(`the service-account key file ${join(dir(), 'key.json')} does not exist`);
    expect(log).toContain(
      'With a sheet set, replay writes the sessions to the sheet: nothing was replayed.',
    );
    expect(log).not.toContain('kept and queued');
  });

  it('says so when the log holds no taps (a header only), instead of finishing without a word', async () => {
    const { code, stdout, log, file } = await replay('timestamp,card,reader\r\n\r\n');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(log).toBe(`tap log ${file} holds no taps: nothing was replayed`);
  });

  it('refuses a tap log it cannot read with exit code 2', async () => {
    const result = await runCli(['replay', 'missing.csv'], { cwd: dir(), env: BASE_ENV });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain('cannot read tap log missing.csv');
  });
});
