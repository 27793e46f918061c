/**
 * `badgeclock doctor`: every check passes, fails with a fix, or is skipped
 * for a reason, against real files, a real store, the emulated RC522 and,
 * through the built CLI, the local Sheets server.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config';
import { formatChecks, runDoctor, type Check, type DoctorDeps } from '../src/doctor';
import { probeMfrc522 } from '../src/drivers/reader/mfrc522/mfrc522Reader';
import { LOG } from '../src/drivers/sheets/layout';
import { loadServiceAccount } from '../src/drivers/sheets/serviceAccount';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import { fakeGpioset } from './support/fakeGpioset';
import { EmulatedField } from './support/mfrc522Emulator';
import { logText, runCli } from './support/runCli';
import { canRunAsOtherUser } from './support/store-tmpfs';
import { SheetsTestServer } from './support/sheetsTestServer';
import { useTempDir } from './support/useTempDir';

const emulatorModule = join(__dirname, '..', 'dist/test/support/mfrc522Emulator.js');

function configOf(env: Record<string, string>, cwd: string): Config {
  const result = loadConfig({
    env: { BADGECLOCK_TZ: 'UTC', BADGECLOCK_READER_NAME: 'door', ...env },
    cwd,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

/** The uid of nobody, who plays the clock's user. */
const nobodyId = (): number => Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));

const synced = (value: boolean | null) => (): Promise<boolean | null> => Promise.resolve(value);

async function doctor(config: Config, deps: DoctorDeps = {}): Promise<Record<string, Check>> {
  const checks = await runDoctor(config, { clockSynchronised: synced(true), ...deps });
  return Object.fromEntries(checks.map((check) => [check.name, check]));
}

describe('badgeclock doctor', () => {
  const dir = useTempDir('doctor');

  it('on a fresh install passes what it can and says why it skips the rest', async () => {
    const checks = await runDoctor(configOf({ BADGECLOCK_DATA_DIR: 'data' }, dir()), {
      clockSynchronised: synced(true),
    });
    // The free space is whatever this machine has: its line (and its fix, on a machine short of
    // space) is matched, the others compared.
    const lines = formatChecks(checks).split('\n');
    const disk = lines.splice(2, lines[3]?.startsWith('    fix: ') === true ? 2 : 1);
    expect(disk.slice(0, 1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^[✔!✖] disk space: [\\d.]+ [MG]iB free of [\\d.]+ [MG]iB on the disk holding ${join(dir(), 'data')}`,
        ),
      ),
    ]);
    expect(lines.join('\n')).toBe(
      [
        '✔ configuration: defaults and environment',
        `✔ data directory: ${join(dir(), 'data')} does not exist yet; the clock makes it on its first start (if the clock has run before, its data is elsewhere: check --data-dir and BADGECLOCK_DATA_DIR)`,
        `· store: ${join(dir(), 'data', DB_FILE_NAME)} does not exist yet; the clock creates it on its first start`,
        '· key file: no spreadsheet configured (the sheet is off)',
        '· spreadsheet: no spreadsheet configured (the sheet is off)',
        '· reader: keyboard reader: nothing to check',
        '· buzzer and LEDs: no GPIO line configured',
        '✔ system clock: synchronised (NTP)',
      ].join('\n'),
    );
  });

  it('does not make a missing data directory, which may be a mistyped one, and says it is not there', async () => {
    // A mistyped --data-dir made the directory and passed, the clock's real one unchecked.
    const mistyped = join(dir(), 'badgeclok');
    const run = await runCli(['doctor', '--data-dir', mistyped, '--tz', 'UTC'], {
      env: { BADGECLOCK_TIME_SYNC: 'off' },
    });
    expect(run.stdout).toContain(
      `✔ data directory: ${mistyped} does not exist yet; the clock makes it on its first start ` +
        '(if the clock has run before, its data is elsewhere: check --data-dir and BADGECLOCK_DATA_DIR)\n',
    );
    expect(run.stdout).toMatch(/^[✔!] disk space: .* on the disk holding /m);
    expect(existsSync(mistyped)).toBe(false);
    expect(run.code).toBe(0);
  });

  (canRunAsOtherUser() ? it : it.skip)(
    'fails a missing data directory the clock user could not make, with how to make it',
    async () => {
      chmodSync(dir(), 0o755); // root's: nobody may not make a folder in it
      const data = join(dir(), 'data');
      const run = await runCli(['doctor', '--data-dir', data, '--tz', 'UTC'], {
        env: { BADGECLOCK_TIME_SYNC: 'off' },
        user: 'nobody',
      });
      expect(run.stdout).toContain(
        `✖ data directory: ${data} does not exist, and nobody cannot make it in ${dir()} (EACCES)\n` +
          `    fix: make it for the clock's user (sudo install -d -o nobody ${data}); the service`,
      );
      expect(existsSync(data)).toBe(false);
      expect(run.code).toBe(1);
    },
  );

  it('fails a data directory it cannot create, with the fix', async () => {
    writeFileSync(join(dir(), 'file'), '');
    const { 'data directory': check } = await doctor(
      configOf({ BADGECLOCK_DATA_DIR: 'file/data' }, dir()),
    );
    expect(check).toMatchObject({
      ok: false,
      fix: expect.stringContaining('BADGECLOCK_DATA_DIR') as unknown,
    });
  });

  it('fails a data directory that is a file, saying so, not that it is writable', async () => {
    writeFileSync(join(dir(), 'file'), 'notes');
    const { 'data directory': check, store } = await doctor(
      configOf({ BADGECLOCK_DATA_DIR: 'file' }, dir()),
    );
    expect(store?.detail).toMatch(/^not checked/);
    expect(check).toEqual({
      name: 'data directory',
      ok: false,
      detail: `data directory ${join(dir(), 'file')} is a file, not a directory`,
      fix: 'set BADGECLOCK_DATA_DIR (or --data-dir) to a directory, or move the file aside',
    });
    expect(readFileSync(join(dir(), 'file'), 'utf8')).toBe('notes');
  });

  it('passes a healthy store and fails a corrupt one without changing a byte of it', async () => {
    const config = configOf({ BADGECLOCK_DATA_DIR: 'data' }, dir());
    mkdirSync(config.dataDir);
    Store.open(join(config.dataDir, DB_FILE_NAME)).close();
    expect((await doctor(config)).store).toMatchObject({
      ok: true,
      detail: expect.stringContaining('passes PRAGMA integrity_check') as unknown,
    });
    const junk = Buffer.from('this is not a database, whatever its name says\n'.repeat(100));
    writeFileSync(join(config.dataDir, DB_FILE_NAME), junk);
    expect((await doctor(config)).store).toMatchObject({ ok: false });
    expect(readFileSync(join(config.dataDir, DB_FILE_NAME)).equals(junk)).toBe(true);
  });

  it('fails a data directory whose database is gone, saying it had one, instead of calling it a fresh install', async () => {
    const config = configOf({ BADGECLOCK_DATA_DIR: 'data' }, dir());
    mkdirSync(config.dataDir);
    Store.open(join(config.dataDir, DB_FILE_NAME)).close();
    rmSync(join(config.dataDir, DB_FILE_NAME));
    expect((await doctor(config)).store).toMatchObject({
      ok: false,
      detail: expect.stringContaining('had one') as unknown,
    });
  });

  // Root may write any file, so the clock's user is played by nobody (skipped where that cannot be).
  (canRunAsOtherUser() ? it : it.skip)(
    'fails a database another user left in the data directory, which the clock could not open, naming it',
    async () => {
      const data = join(dir(), 'data');
      mkdirSync(data);
      // A first start under sudo: the database is root's, the directory the clock user's.
      Store.open(join(data, DB_FILE_NAME)).close();
      chmodSync(dir(), 0o755);
      chownSync(data, nobodyId(), 0);
      const args = ['doctor', '--data-dir', data, '--tz', 'UTC'];
      const doctorRun = await runCli(args, {
        env: { BADGECLOCK_TIME_SYNC: 'off' },
        user: 'nobody',
      });
      expect(doctorRun.stdout).toContain(
        `✖ data directory: ${data}: EACCES: permission denied, access '${join(data, DB_FILE_NAME)}'\n` +
          `    fix: make it and its files writable by this user (sudo chown -R nobody ${data}), or set BADGECLOCK_DATA_DIR`,
      );
      expect(doctorRun.code).toBe(1);
      // As the clock itself, which refuses to start there.
      const clock = await runCli(['run', '--data-dir', data, '--tz', 'UTC'], {
        env: { BADGECLOCK_TIME_SYNC: 'off' },
        user: 'nobody',
      });
      expect(clock.code).toBe(1);
      expect(logText(clock.stderr)).toContain(`data directory ${data} is not writable`);
    },
  );

  it('fails while the store holds changes the sheet refused for good, naming each with its reason', async () => {
    const config = configOf({ BADGECLOCK_DATA_DIR: 'data' }, dir());
    mkdirSync(config.dataDir);
    const store = Store.open(join(config.dataDir, DB_FILE_NAME));
    const entry = { kind: 'card-listed', key: 'card:CAFE0001', card: 'CAFE0001', at: 1 } as const;
    store.commit({ type: 'commit', events: [], commands: [], outbox: [entry] }, 1);
    store.markDone([entry.key], 2, 'the Sheets API refused a request (400: Invalid value)');
    store.close();
    expect((await doctor(config))['set aside']).toMatchObject({
      ok: false,
      detail:
        '1 change(s) the sheet refused for good, not retried: card:CAFE0001 (card-listed): the Sheets API refused a request (400: Invalid value)',
    });
  });

  it('fails a key file other users can read, and a missing one, each with its fix', async () => {
    const key = join(dir(), 'key.json');
    const server = new SheetsTestServer();
    writeFileSync(key, readFileSync(server.serviceAccount(dir(), 'clock').file));
    chmodSync(key, 0o644);
    const env = { BADGECLOCK_SPREADSHEET_ID: 'sheet0123456789', BADGECLOCK_KEY_FILE: key };
    const readable = await doctor(configOf(env, dir()), { loadServiceAccount });
    expect(readable['key file']).toMatchObject({
      ok: false,
      detail: `${key} is readable by other users (mode 644)`,
      fix: `chmod 600 ${key} (and chown it to the clock's user)`,
    });
    const missing = await doctor(configOf({ ...env, BADGECLOCK_KEY_FILE: 'nope.json' }, dir()), {
      loadServiceAccount,
    });
    expect(missing['key file']).toMatchObject({ ok: false, fix: expect.any(String) as unknown });
    expect(missing['key file']?.detail).toContain('nope.json');
    expect(missing.spreadsheet).toMatchObject({
      ok: false,
      detail: 'not checked: the key file is not usable',
    });
  });

  it('fails a key file whose private key is not a key, and a key file that is a directory, saying which', async () => {
    const key = join(dir(), 'key.json');
    const server = new SheetsTestServer();
    const good = JSON.parse(readFileSync(server.serviceAccount(dir(), 'clock').file, 'utf8')) as {
      private_key: string;
    };
    writeFileSync(key, JSON.stringify({ ...good, private_key: good.private_key.slice(0, 200) }));
    chmodSync(key, 0o600);
    const env = { BADGECLOCK_SPREADSHEET_ID: 'sheet0123456789', BADGECLOCK_KEY_FILE: key };
    const broken = await doctor(configOf(env, dir()), { loadServiceAccount });
    expect(broken['key file']).toMatchObject({
      ok: false,
      detail: `the key file ${key} has a "private_key" that is not a private key (cut short or edited?)`,
      fix: expect.stringMatching(/^download a JSON key for the service account/) as unknown,
    });
    // Not a fault to retry: run leaves the sheet alone until the key is fixed.
    let thrown: unknown;
    try {
      loadServiceAccount(key);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ kind: 'final' });
    const folder = await doctor(configOf({ ...env, BADGECLOCK_KEY_FILE: dir() }, dir()), {
      loadServiceAccount,
    });
    expect(folder['key file']).toMatchObject({
      ok: false,
      detail: `the service-account key file ${dir()} is a directory, not a file`,
      fix: "set BADGECLOCK_KEY_FILE to the JSON key file's path",
    });
  });

  it('with --hub and no broker set, fails as badgeclock hub would refuse to start', async () => {
    const config = configOf({ BADGECLOCK_DATA_DIR: 'data' }, dir());
    expect((await doctor(config, { hub: true })).broker).toEqual({
      name: 'broker',
      ok: false,
      detail: "no broker is set: the hub takes every door's taps from the site's broker",
      fix: "set mqttUrl (BADGECLOCK_MQTT_URL) to the site's broker",
    });
    // A single door needs none.
    expect((await doctor(config)).broker).toBeUndefined();
  });

  it('fails an unsynchronised clock with the fix, and skips where it cannot tell', async () => {
    const config = configOf({}, dir());
    expect((await doctor(config, { clockSynchronised: synced(false) }))['system clock']).toEqual({
      name: 'system clock',
      ok: false,
      detail: 'not synchronised: taps are stored but their times may be wrong',
      fix: 'connect the network and enable time sync: sudo timedatectl set-ntp true',
    });
    // timedatectl that fails (installed, but no systemd runs, as in a container) is not missing.
    expect((await doctor(config, { clockSynchronised: synced(null) }))['system clock']).toEqual({
      name: 'system clock',
      ok: 'skip',
      detail:
        'cannot tell: timedatectl did not answer (not installed, or systemd is not running here)',
    });
  });

  it('warns of a keyboard reader whose standard input is not a terminal (a service reads no cards), with the fix', async () => {
    const config = configOf({}, dir());
    const checks = await runDoctor(config, { clockSynchronised: synced(true), stdinIsTTY: false });
    expect(formatChecks(checks.filter((check) => check.name === 'reader'))).toBe(
      [
        '! reader: keyboard reader, but standard input is not a terminal: under systemd (StandardInput=null) it reads no cards',
        '    fix: set BADGECLOCK_READER to evdev (a USB reader, with BADGECLOCK_INPUT_DEVICE) or mfrc522 in /etc/badgeclock/badgeclock.env',
      ].join('\n'),
    );
    // A warning, not a failure: a file of ids piped in works.
    expect(checks.filter((check) => check.ok === false)).toEqual([]);
    expect((await doctor(config, { stdinIsTTY: true })).reader?.ok).toBe('skip');
  });

  it('asks a configured time-sync command, and names it in the fix', async () => {
    const config = (command: string) =>
      configOf({ BADGECLOCK_TIME_SYNC: 'command', BADGECLOCK_TIME_SYNC_COMMAND: command }, dir());
    const checks = async (command: string) =>
      (await runDoctor(config(command), {}))
        .filter((check) => check.name === 'system clock')
        .map((check) => ({ ok: check.ok, detail: check.detail, fix: check.fix }));
    expect(await checks('exit 0')).toEqual([
      { ok: true, detail: 'synchronised (timeSyncCommand: exit 0)', fix: undefined },
    ]);
    expect(await checks('exit 1')).toEqual([
      {
        ok: false,
        detail: 'not synchronised: taps are stored but their times may be wrong',
        fix: 'connect the network; "exit 1" must exit 0 once the clock is synchronised',
      },
    ]);
    expect(await checks('exit 7')).toEqual([
      { ok: 'skip', detail: 'cannot tell: "exit 7" did not exit 0 or 1', fix: undefined },
    ]);
  });

  it('checks the buzzer and LEDs: the chip and gpioset, or what is missing, without setting a line', async () => {
    const gpioset = fakeGpioset(dir(), '1.6.3');
    const env = {
      BADGECLOCK_GPIO_CHIP: gpioset.chip,
      BADGECLOCK_BUZZER_GPIO: '17',
      BADGECLOCK_GREEN_LED_GPIO: '27',
    };
    const found = await doctor(configOf(env, dir()), { gpioSearchPath: gpioset.dir });
    expect(found['buzzer and LEDs']).toEqual({
      name: 'buzzer and LEDs',
      ok: true,
      detail: `GPIO feedback on ${gpioset.chip} (gpioset v1): buzzer 17, green 27`,
    });
    const missing = await doctor(configOf(env, dir()), { gpioSearchPath: join(dir(), 'empty') });
    expect(missing['buzzer and LEDs']).toMatchObject({
      ok: false,
      detail: 'gpioset not found: install libgpiod’s tools (sudo apt install gpiod)',
      fix: expect.stringContaining('Buzzer and LEDs') as unknown,
    });
    expect(gpioset.calls()).toEqual([]);
  });

  describe('with the RC522 reader', () => {
    it('fails a missing SPI device with how to enable SPI, and does not probe', async () => {
      let probed = false;
      const checks = await doctor(
        configOf({ BADGECLOCK_READER: 'mfrc522', BADGECLOCK_SPI_DEVICE: '/dev/spidev9.9' }, dir()),
        {
          probeReader: () => {
            probed = true;
            return Promise.reject(new Error('not to be called'));
          },
        },
      );
      expect(checks['SPI device']).toMatchObject({
        ok: false,
        detail: '/dev/spidev9.9 does not exist',
        fix: expect.stringContaining('raspi-config nonint do_spi 0') as unknown,
      });
      expect(checks['reader chip']).toMatchObject({
        ok: 'skip',
        detail: 'not checked: no SPI device',
      });
      expect(probed).toBe(false);
    });

    it('passes a chip that answers as an MFRC522, and fails a clone until it is allowed', async () => {
      const field = new EmulatedField();
      const probeAs = (version: number, versions?: number[]) => () =>
        probeMfrc522({
          spi: {
            kind: 'module',
            module: emulatorModule,
            options: { field: field.buffer, version },
          },
          ...(versions === undefined ? {} : { versions }),
        });
      const env = { BADGECLOCK_READER: 'mfrc522' };
      // A file stands in for /dev/spidev0.0: the chip behind it is the emulator.
      const spiDevicePath = join(dir(), 'spidev0.0');
      writeFileSync(spiDevicePath, '');
      const genuine = await doctor(configOf(env, dir()), {
        probeReader: probeAs(0x91),
        spiDevicePath,
      });
      expect(genuine['SPI device']).toEqual({
        name: 'SPI device',
        ok: true,
        detail: `${spiDevicePath} is present and usable`,
      });
      expect(genuine['reader chip']).toEqual({
        name: 'reader chip',
        ok: true,
        detail: 'the RC522 answers: VersionReg 0x91: MFRC522 v1.0',
      });
      const clone = await doctor(configOf(env, dir()), {
        probeReader: probeAs(0x88),
        spiDevicePath,
      });
      expect(clone['reader chip']).toMatchObject({
        ok: false,
        detail: expect.stringContaining(
          'set chipVersions (BADGECLOCK_CHIP_VERSIONS) to 0x91,0x92,0x88',
        ) as unknown,
        fix: expect.stringContaining('badgeclock reader test') as unknown,
      });
      const allowed = configOf({ ...env, BADGECLOCK_CHIP_VERSIONS: '0x91, 0x92, 0x88' }, dir());
      expect(allowed.chipVersions).toEqual([0x91, 0x92, 0x88]);
      const withClone = await doctor(allowed, {
        probeReader: probeAs(0x88, allowed.chipVersions),
        spiDevicePath,
      });
      expect(withClone['reader chip']?.ok).toBe(true);
    });

    it('does not probe a chip on software SPI, which would disturb a running clock', async () => {
      let probed = false;
      const checks = await doctor(
        configOf({ BADGECLOCK_READER: 'mfrc522', BADGECLOCK_SOFT_SPI_PINS: '23,19,21,24' }, dir()),
        {
          probeReader: () => {
            probed = true;
            return Promise.reject(new Error('not to be called'));
          },
        },
      );
      expect(checks['SPI device']?.ok).toBe('skip');
      expect(checks['reader chip']).toMatchObject({
        ok: 'skip',
        detail: expect.stringContaining('stop the clock and run badgeclock reader test') as unknown,
      });
      expect(probed).toBe(false);
    });
  });
});

describe('badgeclock doctor against the sheet (built CLI, local Sheets server)', () => {
  const dir = useTempDir('doctor-cli');
  let server: SheetsTestServer;
  beforeEach(async () => {
    server = await new SheetsTestServer().start();
  });
  afterEach(async () => {
    await server.close();
  });

  const envFor = (account: { file: string }, sheet: string): Record<string, string> => ({
    BADGECLOCK_DATA_DIR: join(dir(), 'data'),
    BADGECLOCK_KEY_FILE: account.file,
    BADGECLOCK_SHEETS_ROOT_URL: server.rootUrl,
    BADGECLOCK_SHEETS_TIMEOUT_SECONDS: '5',
    BADGECLOCK_TIME_SYNC: 'off',
    BADGECLOCK_TZ: 'UTC',
    BADGECLOCK_SPREADSHEET_ID: sheet,
  });

  it('reports an invalid configuration as its first check, naming each problem, and exits 2', async () => {
    const result = await runCli(['doctor'], {
      env: {
        BADGECLOCK_DATA_DIR: join(dir(), 'data'),
        BADGECLOCK_GUARD_SECS: '5',
        BADGECLOCK_TZ: 'Mars/Base',
      },
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /^✖ configuration: 2 problems:\n {4}- BADGECLOCK_GUARD_SECS: unknown setting \(did you mean BADGECLOCK_GUARD_SECONDS\?\)\n {4}- tz \(BADGECLOCK_TZ\): .*\n {4}fix: correct each setting named above/,
    );
    expect(result.stdout).toContain('The other checks need a valid configuration.');
  });

  it('passes a sheet shared as Editor without changing it, and says which tabs the clock will add', async () => {
    const account = server.serviceAccount(dir());
    server.createSpreadsheet('sharedSheet0001', [account.email]);
    const result = await runCli(['doctor'], {
      env: envFor(account, 'sharedSheet0001'),
      timeoutMs: 20_000,
    });
    expect(result.stdout).toContain(
      `✔ key file: ${account.file}: service account ${account.email}, mode 600`,
    );
    expect(result.stdout).toContain(
      `✔ spreadsheet: "Sheet sharedSheet0001" (sharedSheet0001) is reachable and ${account.email} can edit it; ` +
        'the clock creates the tab(s) Log, Now, People, Edits, Totals on its first start',
    );
    expect(result.stdout).toContain('· system clock: not checked (timeSync is off)');
    // Its stdin is a pipe: the keyboard reader is a warning, which fails nothing.
    expect(result.stdout).toContain(
      '! reader: keyboard reader, but standard input is not a terminal',
    );
    expect(result.stdout).toContain('All checks passed (1 warning(s): see ! above).');
    expect(result.code).toBe(0);
    expect(server.tabTitles('sharedSheet0001')).toEqual([]);
    expect(server.title('sharedSheet0001')).toBe('Sheet sharedSheet0001');
  });

  it('passes a server that will not take the no-op title update (400), saying edit access is not confirmed', async () => {
    const account = server.serviceAccount(dir());
    server.createSpreadsheet('standInSheet001', [account.email]);
    // The read goes through; the title update is refused as a bad request.
    server.fail({ delayMs: 0 }, { status: 400 });
    const result = await runCli(['doctor'], {
      env: envFor(account, 'standInSheet001'),
      timeoutMs: 20_000,
    });
    expect(result.stdout).toContain(
      `✔ spreadsheet: "Sheet standInSheet001" (standInSheet001) is reachable and readable by ${account.email} (edit access not confirmed: the server refused the no-op title update)`,
    );
    expect(result.code).toBe(0);
  });

  it('fails a sheet shared read-only, or not at all, naming the account to add as Editor', async () => {
    const account = server.serviceAccount(dir());
    server.createSpreadsheet('viewerSheet0001', [], [account.email]);
    server.createSpreadsheet('privateSheet001', []);
    for (const sheet of ['viewerSheet0001', 'privateSheet001']) {
      const result = await runCli(['doctor'], { env: envFor(account, sheet), timeoutMs: 20_000 });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        new RegExp(
          `✖ spreadsheet: no permission on .*${sheet}.* \\(403: .*add ${account.email.replace(/[.]/g, '\\.')} as an Editor\\.\n {4}fix: share the sheet with`,
        ),
      );
      expect(result.stdout).toMatch(/1 check\(s\) failed\.\n$/);
    }
  });

  it('fails a sheet it cannot reach with the fix for the cause, not sharing it for every one', async () => {
    const account = server.serviceAccount(dir());
    server.createSpreadsheet('sharedSheet0001', [account.email]);
    const doctorSays = async (sheet: string, status?: number): Promise<string> => {
      server.clearFaults();
      if (status !== undefined) server.fail({ status, retryAfter: '1' });
      const result = await runCli(['doctor'], { env: envFor(account, sheet), timeoutMs: 20_000 });
      expect(result.code).toBe(1);
      return result.stdout;
    };
    // A wrong id: the fix is the id, as README's troubleshooting table says.
    expect(await doctorSays('missingSheet001')).toMatch(
      /✖ spreadsheet: spreadsheet missingSheet001 was not found \(404: .*\n {4}fix: set BADGECLOCK_SPREADSHEET_ID to the part of the sheet's URL between \/d\/ and \/edit\n/,
    );
    // A key Google refuses: doctor asked once, so no "refreshing them"; the fix is the key.
    const refused = await doctorSays('sharedSheet0001', 401);
    expect(refused).toContain(
      `✖ spreadsheet: the Sheets API rejected the credentials of ${account.email} (401)\n    fix: the key of ${account.email} was deleted or revoked`,
    );
    // Busy or failing: try again later; sharing mends nothing.
    for (const status of [429, 500]) {
      expect(await doctorSays('sharedSheet0001', status)).toMatch(
        new RegExp(
          `✖ spreadsheet: the Sheets API answered ${status} .*\n {4}fix: Google or the network failed this time: check the network and run doctor again in a few minutes`,
        ),
      );
    }
    expect(server.title('sharedSheet0001')).toBe('Sheet sharedSheet0001');
  });

  it('fails a tab named "log" where the clock needs "Log", which Google would not let it add, and changes nothing', async () => {
    const account = server.serviceAccount(dir());
    server.createSpreadsheet('lowerSheet00001', [account.email]);
    server.addTab('lowerSheet00001', 'log', []);
    const result = await runCli(['doctor'], {
      env: envFor(account, 'lowerSheet00001'),
      timeoutMs: 20_000,
    });
    expect(result.stdout).toContain(
      '✖ spreadsheet: "Sheet lowerSheet00001" (lowerSheet00001): the tab "log" stands where the clock needs "Log": ' +
        'Google takes no two tab names that differ only in case, so the clock cannot add its own and writes nothing to the sheet (taps are kept and queued)\n' +
        '    fix: rename the tab "log" to "Log" (the same for each named), or give it another name and the clock adds its own\n',
    );
    expect(result.code).toBe(1);
    expect(server.tabTitles('lowerSheet00001')).toEqual(['log']);
  });

  it('fails a sheet whose header columns were moved, with the fix, and changes nothing', async () => {
    const account = server.serviceAccount(dir());
    server.createSpreadsheet('movedSheet00001', [account.email]);
    const env = envFor(account, 'movedSheet00001');
    // A person swapped the first two columns of Log.
    const header = [...LOG.headers];
    [header[0], header[1]] = [header[1] ?? '', header[0] ?? ''];
    server.addTab('movedSheet00001', 'Log', [header]);
    const result = await runCli(['doctor'], { env, timeoutMs: 20_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✖ spreadsheet: "Sheet movedSheet00001" \(movedSheet00001\): .*\n {4}fix: restore the header row/,
    );
    expect(server.values('movedSheet00001', 'Log')[0]).toEqual(header);
  });
});
