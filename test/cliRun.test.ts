/** The built CLI as a person and a service use it: real processes, real files. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Clock, logText, runCli } from './support/runCli';

describe('the badgeclock command', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-cli-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const fast = { BADGECLOCK_GUARD_SECONDS: '0', BADGECLOCK_DEBOUNCE_SECONDS: '0' };

  it.each([
    ['--help'],
    ['run', '--help'],
    ['replay', '--help'],
    ['report', '--help'],
    ['status', '--help'],
    ['doctor', '--help'],
    ['backup', '--help'],
  ])('%s %s prints help', async (...args) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: badgeclock/);
  });

  it('refuses to start on invalid configuration, naming every problem, with exit code 2', async () => {
    writeFileSync(
      join(dir, 'badgeclock.config.json'),
      JSON.stringify({ guardSecnds: 5, dailyCutoff: '25:00' }),
    );
    const result = await runCli(['run'], {
      cwd: dir,
      env: { BADGECLOCK_TZ: 'Mars/Olympus', BADGECLOCK_DEBOUNCE_SECONDS: 'soon' },
    });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain('invalid configuration (4 problems)');
    expect(logText(result.stderr)).toMatch(/tz \(BADGECLOCK_TZ\): not an IANA time zone/);
    expect(logText(result.stderr)).toMatch(/debounceSeconds \(BADGECLOCK_DEBOUNCE_SECONDS\)/);
    expect(logText(result.stderr)).toMatch(/guardSecnds .*unknown setting/);
    expect(logText(result.stderr)).toMatch(
      /dailyCutoff \(.*badgeclock.config.json\): expected a local time "HH:mm"/,
    );
  });

  it('refuses to start, with exit code 2, when a broker TLS file cannot be read, naming its key and path', async () => {
    const result = await runCli(['run'], {
      cwd: dir,
      env: {
        BADGECLOCK_MQTT_URL: 'mqtts://127.0.0.1:1',
        BADGECLOCK_MQTT_CA_FILE: 'missing-ca.crt',
        BADGECLOCK_DATA_DIR: join(dir, 'data'),
      },
    });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(
      `mqttCaFile (BADGECLOCK_MQTT_CA_FILE): cannot read ${join(dir, 'missing-ca.crt')}: no such file`,
    );
    expect(result.stderr).not.toMatch(/unexpected error|\bat .*\.js:\d+/);
  });

  it('refuses a data directory that is a file, saying so rather than advising chmod', async () => {
    writeFileSync(join(dir, 'data'), 'notes');
    const result = await runCli(['run', '--data-dir', join(dir, 'data')], { cwd: dir });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      `data directory ${join(dir, 'data')} is a file, not a directory. Set BADGECLOCK_DATA_DIR (or --data-dir) to a directory`,
    );
    expect(logText(result.stderr)).not.toContain('chmod');
  });

  it('refuses to start a hub with no broker set as bad configuration, exit code 2', async () => {
    const result = await runCli(['hub', '--data-dir', join(dir, 'data')], { cwd: dir });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain('hub: no broker is set: set mqttUrl');
  });

  it('clocks in and out from stdin, lists unknown cards, survives garbage, and stops on SIGTERM with 0', async () => {
    writeFileSync(join(dir, 'people.csv'), 'card,name\nB0B0B0B0,Bob\n');
    const clock = new Clock(
      [
        'run',
        '--data-dir',
        join(dir, 'data'),
        '--people-file',
        join(dir, 'people.csv'),
        '--tz',
        'UTC',
      ],
      {
        env: fast,
      },
    );
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => /✔ \d\d:\d\d {2}Bob {2}in/.test(c.stdout));
    clock.write('\n\u0000\u0001garbage\n');
    clock.write(Buffer.alloc(10 * 1024 * 1024, 0x39));
    clock.write('\nDEADBEEF\n');
    await clock.waitFor((c) => c.stdout.includes('? unknown card DEADBEEF'));
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) =>
      /✔ \d\d:\d\d {2}Bob {2}out {2}0h 00m \(today 0h 00m, week 0h 00m\)/.test(c.stdout),
    );
    expect(logText(clock.stderr)).toMatch(/line 2: empty line/);
    expect(logText(clock.stderr)).toMatch(/line 3, column 1: byte 0x00 \(NUL\)/);
    expect(logText(clock.stderr)).toMatch(/line 4: 10485760 bytes is too long/);
    clock.child.stdin.end();
    // End of input ends the reader, not the clock, and the log says the clock is deaf now.
    await clock.waitFor((c) => logText(c.stderr).includes('standard input ended'));
    expect(logText(clock.stderr)).toContain(
      'standard input ended: the keyboard reader reads no more cards; under systemd set BADGECLOCK_READER to evdev or mfrc522',
    );
    expect(clock.child.exitCode).toBeNull();
    expect(await clock.stop('SIGTERM')).toBe(0);
    await clock.waitFor((c) => c.stderr.includes('badgeclock stopped'));
    expect(readFileSync(join(dir, 'people.csv'), 'utf8')).toContain('DEADBEEF,,yes,');
  });

  it('enrols at the reader: the admin card, then a new card lists it as New 1; the admin card, a person, another card ties it to them; all in the people file', async () => {
    const people = join(dir, 'people.csv');
    writeFileSync(people, 'card,name,active\nB0B0B0B0,Bob,yes\nAD000001,Manager,admin\n');
    const clock = new Clock(
      ['run', '--json', '--data-dir', join(dir, 'data'), '--people-file', people, '--tz', 'UTC'],
      { env: fast },
    );
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    const steps = (c: Clock) =>
      c.lines().flatMap((line) => {
        const event = JSON.parse(line) as { type: string; step?: string };
        return event.type === 'enrol' ? [event.step] : [];
      });
    clock.write('AD000001\n');
    await clock.waitFor((c) => steps(c).includes('opened'));
    clock.write('C0FFEE00\n');
    await clock.waitFor((c) => steps(c).includes('listed'));
    clock.write('AD000001\n');
    await clock.waitFor((c) => steps(c).length === 3);
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => steps(c).includes('chosen'));
    clock.write('0012345678\n');
    await clock.waitFor((c) => steps(c).includes('aliased'));
    // The alias clocks Bob in at once; the enrolled card clocks in under its placeholder.
    clock.write('0012345678\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    await clock.waitFor(() => /0012345678/.test(readFileSync(people, 'utf8')));
    expect(await clock.stop()).toBe(0);
    const events = clock.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.type === 'clock-in' || e.type === 'clock-out')).toEqual([
      expect.objectContaining({ type: 'clock-in', card: 'B0B0B0B0', name: 'Bob' }),
    ]);
    expect(steps(clock)).toEqual(['opened', 'listed', 'opened', 'chosen', 'aliased']);
    const file = readFileSync(people, 'utf8');
    expect(file).toMatch(/^B0B0B0B0,Bob,yes,0012345678\r?$/m);
    expect(file).toMatch(/^C0FFEE00,New 1,yes,/m);
    const db = new Database(join(dir, 'data', 'badgeclock.db'), { readonly: true });
    expect(db.prepare('SELECT step FROM enrolments ORDER BY id').pluck().all()).toEqual([
      'opened',
      'listed',
      'opened',
      'chosen',
      'aliased',
    ]);
    db.close();
  });

  it('--json writes one JSON object per event and nothing else on stdout', async () => {
    const clock = new Clock(['run', '--json', '--data-dir', join(dir, 'data'), '--tz', 'UTC'], {
      env: fast,
    });
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    clock.write('C0FFEE00\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
    clock.write('C0FFEE00\n');
    await clock.waitFor((c) => c.stdout.includes('"clock-out"'));
    await clock.stop();
    const events = clock.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e.type)).toEqual(['tap', 'unknown', 'clock-in', 'tap', 'clock-out']);
    const out = events[4] ?? {};
    expect(out).toMatchObject({ card: 'C0FFEE00', name: null, session: events[2]?.session });
    expect(typeof out.hours).toBe('number');
    expect(Date.parse(String(out.at))).toBeGreaterThan(0);
  });

  it('a restarted clock carries on: the session opened before the restart is closed after it', async () => {
    const args = ['run', '--json', '--data-dir', join(dir, 'data'), '--tz', 'UTC'];
    const first = new Clock(args, { env: fast });
    await first.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    first.write('A1A1A1A1\n');
    await first.waitFor((c) => c.stdout.includes('"clock-in"'));
    first.child.kill('SIGKILL');
    await first.exited();
    const second = new Clock(args, { env: fast });
    await second.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    second.write('A1A1A1A1\n');
    await second.waitFor((c) => c.stdout.includes('"clock-out"'));
    await second.stop();
    const inEvent = JSON.parse(
      first.stdout.split('\n').find((l) => l.includes('"clock-in"')) ?? '{}',
    ) as { session: string };
    const outEvent = JSON.parse(
      second.stdout.split('\n').find((l) => l.includes('"clock-out"')) ?? '{}',
    ) as { session: string };
    expect(outEvent.session).toBe(inEvent.session);
    const db = new Database(join(dir, 'data', 'badgeclock.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n, min(status) AS status FROM sessions').get()).toEqual({
      n: 1,
      status: 'out',
    });
    db.close();
  });

  it('replays a tap log in any order and prints the sessions; a bad line is refused with file:line', async () => {
    writeFileSync(
      join(dir, 'people.csv'),
      'card,name,active,aliases\n04A3C6CAE26180,Alice,yes,0012345678\n',
    );
    const log = join(dir, 'day.csv');
    writeFileSync(
      log,
      [
        'timestamp,card,reader',
        '2026-03-23T17:04:00,04A3C6CAE26180',
        '2026-03-23T08:59:00,04A3C6CAE26180,front',
        '2026-03-23T12:31:00,0012345678,wedge',
        '2026-03-23T13:02:00,04A3C6CAE26180',
        '2026-03-23T10:00:00,CAFE0001',
      ].join('\n'),
    );
    const result = await runCli(
      ['replay', log, '--tz', 'Europe/Berlin', '--people-file', join(dir, 'people.csv')],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter((l) => /^[✔⏱]/.test(l))).toEqual([
      '✔ 08:59  Alice  in',
      '✔ 10:00  CAFE0001  in',
      '✔ 12:31  Alice  out  3h 32m (today 3h 32m, week 3h 32m)',
      '✔ 13:02  Alice  in',
      '✔ 17:04  Alice  out  4h 02m (today 7h 34m, week 7h 34m)',
      '⏱ 22:00  CAFE0001  out automatically at the time limit  12h 00m (forgot to clock out?)',
    ]);
    writeFileSync(
      log,
      '2026-03-23T08:59:00,04A3C6CAE26180\nyesterday,04A3C6CAE26180\n2026-03-23T09:00:00,zz\n',
    );
    const bad = await runCli(['replay', log], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(logText(bad.stderr)).toContain(`${log}:2: "yesterday" is not an ISO-8601 date and time`);
    expect(logText(bad.stderr)).toContain(`${log}:3: `);
  });

  it('a database that is not a database is refused and left byte for byte as it was', async () => {
    const data = join(dir, 'data');
    const file = join(data, 'badgeclock.db');
    mkdirSync(data);
    const junk = Buffer.from('this is not a database, it is a shopping list\n'.repeat(200));
    writeFileSync(file, junk);
    const result = await runCli(['run', '--data-dir', data], { cwd: dir });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(file);
    expect(logText(result.stderr)).toMatch(
      /not a valid badgeclock database or is corrupt.*not changed/,
    );
    expect(readFileSync(file).equals(junk)).toBe(true);
  });

  it('a database from a newer badgeclock is refused without being changed', async () => {
    const data = join(dir, 'data');
    const file = join(data, 'badgeclock.db');
    mkdirSync(data);
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    const before = readFileSync(file);
    const result = await runCli(['run', '--data-dir', data], { cwd: dir });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toMatch(/schema version 99, newer than this badgeclock knows/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('report --csv neutralises formula-looking names and status shows the open sessions', async () => {
    writeFileSync(join(dir, 'people.csv'), 'card,name\nB0B0B0B0,=1+1\nC0C0C0C0,"@evil, Inc"\n');
    const args = [
      '--data-dir',
      join(dir, 'data'),
      '--people-file',
      join(dir, 'people.csv'),
      '--tz',
      'UTC',
    ];
    const clock = new Clock(['run', ...args], { env: fast });
    await clock.waitFor((c) => c.stderr.includes('badgeclock 0.'));
    clock.write('B0B0B0B0\nC0C0C0C0\n');
    await clock.waitFor((c) => (c.stdout.match(/ in$/gm) ?? []).length === 2);
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => c.stdout.includes(' out '));
    await clock.stop();
    const csv = await runCli(['report', '--csv', ...args], { cwd: dir });
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines[0]).toBe('session,date,name,card,in,out,hours,status,reader');
    expect(lines.find((l) => l.includes('B0B0B0B0'))).toMatch(/,'=1\+1,B0B0B0B0,.*,out,/);
    expect(lines.find((l) => l.includes('C0C0C0C0'))).toMatch(
      /,"'@evil, Inc",C0C0C0C0,.*,,[0-9.]+,in,/,
    );
    const status = await runCli(['status', ...args], { cwd: dir });
    expect(status.stdout).toMatch(/Open sessions: 1\n {2}@evil, Inc +since/);
    expect(status.stdout).toMatch(/Outbox: \d+ pending/);
    expect(status.stdout).toMatch(/Last tap: .* B0B0B0B0 {2}clock-out/);
  });
});
