/**
 * Configuration from real files in a temp dir, BADGECLOCK_* variables and
 * flags: defaults, precedence, and every problem named by key and source.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  envName,
  flagName,
  loadConfig,
  rulesOf,
  type Config,
  type ConfigSources,
} from '../src/config';
import { doorOfHost } from '../src/drivers/mqtt/mqttConfig';
import { useTempDir } from './support/useTempDir';

/** A path as a literal inside a regular expression. */
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('configuration', () => {
  const dir = useTempDir('config');

  /** Loads with `cwd` in the temp dir; an empty environment unless given. */
  const load = (sources: Partial<ConfigSources> = {}): ReturnType<typeof loadConfig> =>
    loadConfig({ env: {}, cwd: dir(), ...sources });

  const configOf = (sources: Partial<ConfigSources> = {}): Config => {
    const result = load(sources);
    if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join('\n')}`);
    return result.config;
  };

  const errorsOf = (sources: Partial<ConfigSources> = {}): readonly string[] => {
    const result = load(sources);
    if (result.ok) throw new Error('expected configuration errors, got a valid config');
    return result.errors;
  };

  const writeJson = (name: string, value: unknown): string => {
    const file = join(dir(), name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };

  describe('defaults', () => {
    it('starts with no file, no variables and no flags on the embedded defaults', () => {
      const config = configOf();
      expect(config).toEqual({
        tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
        reader: 'keyboard',
        spiDevice: '/dev/spidev0.0',
        pollMs: 100,
        chipVersions: [0x91, 0x92],
        readerName: hostname(),
        inputGrab: true,
        dataDir: join(dir(), 'data'),
        peopleFile: join(dir(), 'data', 'people.csv'),
        debounceSeconds: 3,
        guardSeconds: 60,
        autoClockOutHours: 12,
        dailyCutoff: null,
        unknownCards: 'accept',
        adminCards: [],
        sheetsRootUrl: 'https://sheets.googleapis.com/',
        sheetsTimeoutSeconds: 30,
        sheetBatchSize: 500,
        timeSync: 'timedatectl',
        timeSyncSeconds: 30,
        gpioChip: 'gpiochip0',
        gpioActive: 'high',
        payPeriod: { kind: 'weekly', firstDay: 'monday' },
        site: 'site',
        door: doorOfHost(),
        homeAssistant: false,
        configFile: null,
      });
    });

    it('gives the core the default rules of PRODUCT.md in milliseconds', () => {
      expect(rulesOf(configOf({ flags: { tz: 'Europe/Berlin' } }))).toEqual({
        zone: 'Europe/Berlin',
        debounceMs: 3_000,
        guardMs: 60_000,
        limitMs: 12 * 3_600_000,
        dailyCutoff: null,
        unknownCards: 'accept',
        adminCards: [],
        weekStartsOn: 1,
      });
    });

    it("starts the reader's week on a weekly pay period's first day", () => {
      const config = configOf({ env: { BADGECLOCK_PAY_PERIOD: 'weekly:sunday' } });
      expect(rulesOf(config).weekStartsOn).toBe(0);
      expect(rulesOf(configOf({ env: { BADGECLOCK_PAY_PERIOD: 'monthly:26' } })).weekStartsOn).toBe(
        1,
      );
    });

    it('puts the people file in the data dir unless it is set', () => {
      expect(configOf({ env: { BADGECLOCK_DATA_DIR: '/srv/clock' } }).peopleFile).toBe(
        '/srv/clock/people.csv',
      );
      expect(
        configOf({ env: { BADGECLOCK_DATA_DIR: 'var', BADGECLOCK_PEOPLE_FILE: 'staff.csv' } }),
      ).toMatchObject({ dataDir: join(dir(), 'var'), peopleFile: join(dir(), 'staff.csv') });
    });

    it('resolves relative paths against the working directory', () => {
      expect(configOf({ flags: { dataDir: './here/data' } })).toMatchObject({
        dataDir: join(dir(), 'here', 'data'),
        peopleFile: join(dir(), 'here', 'data', 'people.csv'),
      });
    });

    it('reads ./badgeclock.config.json when it is there, and says so', () => {
      const file = writeJson('badgeclock.config.json', { readerName: 'back door' });
      expect(configOf()).toMatchObject({ readerName: 'back door', configFile: file });
    });
  });

  describe('precedence: file < environment < flags', () => {
    it('the file overrides the defaults', () => {
      const file = writeJson('clock.json', {
        tz: 'Europe/Berlin',
        guardSeconds: 10,
        dailyCutoff: '23:00',
        unknownCards: 'reject',
      });
      expect(configOf({ configFile: file })).toMatchObject({
        tz: 'Europe/Berlin',
        guardSeconds: 10,
        dailyCutoff: '23:00',
        unknownCards: 'reject',
        debounceSeconds: 3,
        configFile: file,
      });
    });

    it('an environment variable overrides the file, and a flag overrides both', () => {
      const file = writeJson('clock.json', {
        tz: 'Europe/Berlin',
        readerName: 'from the file',
        dataDir: 'file-data',
        guardSeconds: 10,
      });
      const config = configOf({
        configFile: file,
        env: {
          BADGECLOCK_TZ: 'Asia/Tokyo',
          BADGECLOCK_READER_NAME: 'from the environment',
          BADGECLOCK_GUARD_SECONDS: '20',
        },
        flags: { tz: 'America/New_York', readerName: undefined },
      });
      expect(config).toMatchObject({
        tz: 'America/New_York',
        readerName: 'from the environment',
        dataDir: join(dir(), 'file-data'),
        guardSeconds: 20,
      });
    });

    it('a good value from a later source replaces a bad one from an earlier source', () => {
      const file = writeJson('clock.json', { tz: 'Mars/Olympus_Mons' });
      expect(configOf({ configFile: file, env: { BADGECLOCK_TZ: 'UTC' } }).tz).toBe('UTC');
    });

    it('BADGECLOCK_CONFIG names the file, and --config beats it', () => {
      const fromEnv = writeJson('env.json', { readerName: 'env file' });
      const fromFlag = writeJson('flag.json', { readerName: 'flag file' });
      expect(configOf({ env: { BADGECLOCK_CONFIG: fromEnv } }).readerName).toBe('env file');
      expect(
        configOf({ configFile: fromFlag, env: { BADGECLOCK_CONFIG: fromEnv } }).readerName,
      ).toBe('flag file');
    });

    it('turns variable text into numbers and a cut-off of "off" or "" into none', () => {
      const file = writeJson('clock.json', { dailyCutoff: '22:00' });
      expect(
        configOf({
          configFile: file,
          env: {
            BADGECLOCK_DEBOUNCE_SECONDS: '1.5',
            BADGECLOCK_AUTO_CLOCK_OUT_HOURS: '10',
            BADGECLOCK_DAILY_CUTOFF: 'off',
          },
        }),
      ).toMatchObject({ debounceSeconds: 1.5, autoClockOutHours: 10, dailyCutoff: null });
      expect(configOf({ configFile: file, env: { BADGECLOCK_DAILY_CUTOFF: '' } }).dailyCutoff).toBe(
        null,
      );
    });

    it('reads admin cards from the file as a list and from the environment comma-separated, each as its canonical id', () => {
      const file = writeJson('clock.json', { adminCards: ['04:a3:c6:ca', '0012345678'] });
      expect(configOf({ configFile: file }).adminCards).toEqual(['04A3C6CA', '0012345678']);
      expect(
        configOf({ env: { BADGECLOCK_ADMIN_CARDS: ' 0x04a3c6ca, 0012345678 ,04A3C6CA,' } })
          .adminCards,
      ).toEqual(['04A3C6CA', '0012345678']);
      expect(configOf({ env: { BADGECLOCK_ADMIN_CARDS: '' } }).adminCards).toEqual([]);
    });

    it('gives the core the admin cards in its rules', () => {
      expect(
        rulesOf(configOf({ env: { BADGECLOCK_ADMIN_CARDS: 'ad-00-00-01,99' } })).adminCards,
      ).toEqual(['AD000001', '99']);
    });

    it('refuses a BADGECLOCK_LOG_LEVEL it does not know, naming the levels', () => {
      expect(errorsOf({ env: { BADGECLOCK_LOG_LEVEL: 'loud' } })).toEqual([
        'BADGECLOCK_LOG_LEVEL: expected debug, info, warn, error, got "loud"',
      ]);
      expect(load({ env: { BADGECLOCK_LOG_LEVEL: ' WARN ' } }).ok).toBe(true);
    });

    it('takes numbers from variables and flags in decimal only, not hex, binary or Infinity', () => {
      for (const text of ['0x10', '0b1', '0o7', 'Infinity', '1_000']) {
        expect(errorsOf({ env: { BADGECLOCK_AUTO_CLOCK_OUT_HOURS: text } })).toEqual([
          expect.stringMatching(/^autoClockOutHours \(BADGECLOCK_AUTO_CLOCK_OUT_HOURS\): /),
        ]);
      }
      for (const [text, hours] of [
        ['16', 16],
        [' 10.5 ', 10.5],
        ['+8', 8],
      ] as const) {
        expect(configOf({ env: { BADGECLOCK_AUTO_CLOCK_OUT_HOURS: text } }).autoClockOutHours).toBe(
          hours,
        );
      }
    });

    it('lets BADGECLOCK_LOG_LEVEL through although it is not a setting', () => {
      expect(load({ env: { BADGECLOCK_LOG_LEVEL: 'debug' } }).ok).toBe(true);
    });

    it('ignores variables that are not badgeclock’s', () => {
      expect(load({ env: { HOME: '/root', TZ: 'not a zone', BADGE: 'x' } }).ok).toBe(true);
    });
  });

  describe('every problem is collected and named by key and source', () => {
    it('a bad time zone, from a flag', () => {
      expect(errorsOf({ flags: { tz: 'Mars/Olympus_Mons' } })).toEqual([
        'tz (--tz): not an IANA time zone name (e.g. "Europe/Berlin", "UTC"), got "Mars/Olympus_Mons"',
      ]);
    });

    it('a number setting that is not a number, from the environment', () => {
      expect(errorsOf({ env: { BADGECLOCK_GUARD_SECONDS: 'a minute' } })).toEqual([
        expect.stringMatching(
          /^guardSeconds \(BADGECLOCK_GUARD_SECONDS\): .*expected number.*, got "a minute"$/,
        ),
      ]);
    });

    it('a number out of range, from the file', () => {
      const file = writeJson('clock.json', { autoClockOutHours: 0 });
      expect(errorsOf({ configFile: file })).toEqual([
        expect.stringMatching(new RegExp(`^autoClockOutHours \\(${escape(file)}\\): .*, got 0$`)),
      ]);
    });

    it('a bad daily cut-off', () => {
      expect(errorsOf({ env: { BADGECLOCK_DAILY_CUTOFF: '24:00' } })).toEqual([
        'dailyCutoff (BADGECLOCK_DAILY_CUTOFF): expected a local time "HH:mm", e.g. "23:00", got "24:00"',
      ]);
    });

    it('a time-sync command asked for but not given', () => {
      expect(errorsOf({ env: { BADGECLOCK_TIME_SYNC: 'command' } })).toEqual([
        'timeSyncCommand (BADGECLOCK_TIME_SYNC): timeSync is "command" but no command is set; set BADGECLOCK_TIME_SYNC_COMMAND (exit 0: synchronised, 1: not yet)',
      ]);
    });

    it('one GPIO line given to two parts', () => {
      expect(
        errorsOf({ env: { BADGECLOCK_BUZZER_GPIO: '17', BADGECLOCK_RED_LED_GPIO: '17' } }),
      ).toEqual([
        'redLedGpio (BADGECLOCK_RED_LED_GPIO): GPIO 17 is already buzzerGpio (BADGECLOCK_BUZZER_GPIO); each part needs its own line',
      ]);
    });

    it('a bad chip-version list', () => {
      expect(errorsOf({ env: { BADGECLOCK_CHIP_VERSIONS: '0x91;145' } })).toEqual([
        'chipVersions (BADGECLOCK_CHIP_VERSIONS): expected VersionReg values in hex, e.g. "0x91,0x92,0x88", got "0x91;145"',
      ]);
    });

    it('a bad unknown-card policy', () => {
      expect(errorsOf({ flags: { unknownCards: 'maybe' } })).toEqual([
        expect.stringMatching(
          /^unknownCards \(--unknown-cards\): .*"accept"\|"reject".*, got "maybe"$/,
        ),
      ]);
    });

    it('a bad admin card, from the environment, named by its place in the list and its value', () => {
      expect(errorsOf({ env: { BADGECLOCK_ADMIN_CARDS: '04A3C6CA,front door,ABCDE' } })).toEqual([
        'adminCards[1] (BADGECLOCK_ADMIN_CARDS): not a card id: "front door" (expected hex or decimal digits)',
        'adminCards[2] (BADGECLOCK_ADMIN_CARDS): "ABCDE": hex card id has an odd number of digits (5)',
      ]);
    });

    it('admin cards in the file that are not a list of card ids', () => {
      const notAList = writeJson('clock.json', { adminCards: '04A3C6CA' });
      expect(errorsOf({ configFile: notAList })).toEqual([
        `adminCards (${notAList}): expected a list of card ids, e.g. ["04A3C6CA", "0012345678"], got "04A3C6CA"`,
      ]);
      const aNumber = writeJson('other.json', { adminCards: [12345678, 'AB'] });
      expect(errorsOf({ configFile: aNumber })).toEqual([
        expect.stringMatching(new RegExp(`^adminCards\\[0\\] \\(${escape(aNumber)}\\): .*string`)),
        `adminCards[1] (${aNumber}): "AB": hex card id must be 4 to 16 bytes, got 1`,
      ]);
    });

    it('an unknown key in the file that is a typo, naming the key it is close to', () => {
      const file = writeJson('clock.json', { guardSecnds: 5 });
      expect(errorsOf({ configFile: file })).toEqual([
        `guardSecnds (${file}): unknown setting (did you mean guardSeconds?)`,
      ]);
    });

    it('an unknown key far from every known one, listing the known ones', () => {
      const file = writeJson('clock.json', { colour: 'blue' });
      expect(errorsOf({ configFile: file })).toEqual([
        expect.stringMatching(
          new RegExp(
            `^colour \\(${escape(file)}\\): unknown setting \\(known: tz, reader, .*guardSeconds`,
          ),
        ),
      ]);
    });

    it('an unknown BADGECLOCK_ variable that is a typo, naming the variable it is close to', () => {
      expect(errorsOf({ env: { BADGECLOCK_GUARD_SECS: '5' } })).toEqual([
        'BADGECLOCK_GUARD_SECS: unknown setting (did you mean BADGECLOCK_GUARD_SECONDS?)',
      ]);
      expect(errorsOf({ env: { BADGECLOCK_WALLPAPER: 'blue' } })).toEqual([
        expect.stringMatching(/^BADGECLOCK_WALLPAPER: unknown setting \(known: BADGECLOCK_TZ, /),
      ]);
    });

    it('an unknown flag', () => {
      expect(errorsOf({ flags: { colour: 'blue' } })).toEqual(['--colour: unknown option']);
    });

    it('a file that is not valid JSON, at the line and column where it goes wrong', () => {
      const file = join(dir(), 'clock.json');
      writeFileSync(file, '{ "tz": "UTC", }');
      expect(errorsOf({ configFile: file })).toEqual([
        expect.stringMatching(
          new RegExp(`^config file ${escape(file)}: not valid JSON at line 1, column 16 \\(.+\\)$`),
        ),
      ]);
      writeFileSync(file, '{\r\n  "tz": "UTC",\r\n  "guardSeconds": 6O\r\n}\r\n');
      expect(errorsOf({ configFile: file })[0]).toContain('not valid JSON at line 3, column 20 (');
      writeFileSync(file, "{\n  'tz': 'UTC'\n}");
      expect(errorsOf({ configFile: file })[0]).toContain('not valid JSON at line 2, column 3 (');
      writeFileSync(file, '{\n  "tz": "UTC"\n');
      expect(errorsOf({ configFile: file })[0]).toContain('not valid JSON at line 3, column 1 (');
    });

    it('a file saved with a byte order mark, as Notepad saves UTF-8', () => {
      const file = join(dir(), 'clock.json');
      writeFileSync(file, '\ufeff{ "tz": "UTC", "guardSeconds": 5 }\n');
      expect(configOf({ configFile: file })).toMatchObject({ tz: 'UTC', guardSeconds: 5 });
    });

    it('a file that is JSON but not an object of settings', () => {
      const file = writeJson('clock.json', ['tz', 'UTC']);
      expect(errorsOf({ configFile: file })).toEqual([
        `config file ${file}: expected a JSON object of settings`,
      ]);
    });

    it('a --config file that does not exist', () => {
      expect(errorsOf({ configFile: 'missing.json' })).toEqual([
        `config file ${join(dir(), 'missing.json')}: file not found`,
      ]);
    });

    it('a BADGECLOCK_CONFIG file that does not exist', () => {
      expect(errorsOf({ env: { BADGECLOCK_CONFIG: '/nowhere/clock.json' } })).toEqual([
        'config file /nowhere/clock.json: file not found',
      ]);
    });

    it('a config file that is a directory, naming the flag or variable that gave it', () => {
      mkdirSync(join(dir(), 'clock.json'));
      expect(errorsOf({ configFile: 'clock.json' })).toEqual([
        `config file ${join(dir(), 'clock.json')}: it is a directory, not a file (from --config): name the JSON file itself`,
      ]);
      expect(errorsOf({ env: { BADGECLOCK_CONFIG: `${dir()}/` } })).toEqual([
        `config file ${dir()}: it is a directory, not a file (from BADGECLOCK_CONFIG): name the JSON file itself`,
      ]);
    });

    it('an empty BADGECLOCK_CONFIG or --config, which name no file', () => {
      expect(errorsOf({ env: { BADGECLOCK_CONFIG: '' } })).toEqual([
        "BADGECLOCK_CONFIG is empty: set it to the config file's path, or unset it to read ./badgeclock.config.json if present",
      ]);
      expect(errorsOf({ configFile: '' })).toEqual([
        '--config "" names no file: give the config file\'s path',
      ]);
    });

    it('a spreadsheet without a key file', () => {
      expect(errorsOf({ env: { BADGECLOCK_SPREADSHEET_ID: '1AbCdEfGhIjKlMnOp' } })).toEqual([
        expect.stringMatching(/^keyFile \(BADGECLOCK_SPREADSHEET_ID\): .*BADGECLOCK_KEY_FILE$/),
      ]);
    });

    it('all of them at once, one message each, from every source', () => {
      const file = writeJson('clock.json', {
        dailyCutoff: '7pm',
        guardSecnds: 5,
        debounceSeconds: 'three',
      });
      const errors = errorsOf({
        configFile: file,
        env: {
          BADGECLOCK_TZ: 'Mars/Olympus_Mons',
          BADGECLOCK_AUTO_CLOCK_OUT_HOURS: 'twelve',
          BADGECLOCK_WALLPAPER: 'blue',
        },
        flags: { unknownCards: 'maybe' },
      });
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^BADGECLOCK_WALLPAPER: unknown setting/),
          expect.stringMatching(/^tz \(BADGECLOCK_TZ\): not an IANA time zone/),
          expect.stringMatching(/^autoClockOutHours \(BADGECLOCK_AUTO_CLOCK_OUT_HOURS\): /),
          expect.stringMatching(/^unknownCards \(--unknown-cards\): /),
          `dailyCutoff (${file}): expected a local time "HH:mm", e.g. "23:00", got "7pm"`,
          expect.stringMatching(new RegExp(`^guardSecnds \\(${escape(file)}\\): unknown setting`)),
          expect.stringMatching(
            new RegExp(`^debounceSeconds \\(${escape(file)}\\): .*, got "three"$`),
          ),
        ]),
      );
      expect(errors).toHaveLength(7);
    });

    it('a broken file does not hide the problems of the environment', () => {
      const file = join(dir(), 'clock.json');
      writeFileSync(file, 'tz=UTC');
      const errors = errorsOf({ configFile: file, env: { BADGECLOCK_TZ: 'Nowhere/Special' } });
      expect(errors).toEqual([
        expect.stringMatching(/not valid JSON/),
        expect.stringMatching(/^tz \(BADGECLOCK_TZ\): /),
      ]);
    });
  });

  describe('pay periods and payroll rules', () => {
    it('reads the pay period from the file as an object, and weekly from Monday by default', () => {
      expect(configOf().payPeriod).toEqual({ kind: 'weekly', firstDay: 'monday' });
      expect(configOf().payroll).toBeUndefined();
      const file = writeJson('clock.json', { payPeriod: { kind: 'monthly', startDay: 26 } });
      expect(configOf({ configFile: file }).payPeriod).toEqual({ kind: 'monthly', startDay: 26 });
    });

    it.each([
      ['weekly', { kind: 'weekly', firstDay: 'monday' }],
      ['weekly:sunday', { kind: 'weekly', firstDay: 'sunday' }],
      ['Weekly:Sunday', { kind: 'weekly', firstDay: 'sunday' }],
      ['biweekly:2026-01-05', { kind: 'biweekly', anchor: '2026-01-05' }],
      ['semimonthly', { kind: 'semimonthly' }],
      ['monthly', { kind: 'monthly' }],
      ['monthly:26', { kind: 'monthly', startDay: 26 }],
    ])('reads BADGECLOCK_PAY_PERIOD=%s in its short form', (text, period) => {
      expect(configOf({ env: { BADGECLOCK_PAY_PERIOD: text } }).payPeriod).toEqual(period);
    });

    it('reads the payroll rules from the file and from BADGECLOCK_PAYROLL as JSON, rounding to the nearest unless told', () => {
      const rules = {
        breaks: [
          { after: 6, minutes: 30 },
          { after: 9, minutes: 45 },
        ],
        rounding: { to: 15, mode: 'up' },
      };
      const file = writeJson('clock.json', { payroll: rules });
      expect(configOf({ configFile: file }).payroll).toEqual(rules);
      expect(
        configOf({ env: { BADGECLOCK_PAYROLL: '{ "rounding": { "to": 6 } }' } }).payroll,
      ).toEqual({ breaks: [], rounding: { to: 6, mode: 'nearest' } });
    });

    it('names a bad pay period by its key, where it came from and its value', () => {
      expect(errorsOf({ env: { BADGECLOCK_PAY_PERIOD: 'fortnightly' } })).toEqual([
        expect.stringMatching(
          /^payPeriod \(BADGECLOCK_PAY_PERIOD\): expected "weekly", .*"monthly:<1-28>".*, got "fortnightly"$/,
        ),
      ]);
      expect(errorsOf({ env: { BADGECLOCK_PAY_PERIOD: 'monthly:31' } })).toEqual([
        'payPeriod.startDay (BADGECLOCK_PAY_PERIOD): expected the day of the month a period starts, 1-28 (29-31 are not in every month), got 31',
      ]);
      expect(errorsOf({ env: { BADGECLOCK_PAY_PERIOD: 'weekly:funday' } })).toEqual([
        'payPeriod.firstDay (BADGECLOCK_PAY_PERIOD): expected a day of the week, "monday" … "sunday", got "funday"',
      ]);
      expect(errorsOf({ env: { BADGECLOCK_PAY_PERIOD: 'biweekly:2026-02-30' } })).toEqual([
        'payPeriod.anchor (BADGECLOCK_PAY_PERIOD): expected the first day of one pay period, a real date "YYYY-MM-DD", got "2026-02-30"',
      ]);
      expect(errorsOf({ env: { BADGECLOCK_PAY_PERIOD: 'biweekly' } })).toEqual([
        'payPeriod.anchor (BADGECLOCK_PAY_PERIOD): expected the first day of one pay period, "YYYY-MM-DD", got nothing',
      ]);
    });

    it('names a bad pay period object in the file, an unknown kind and an unknown key', () => {
      const badKind = writeJson('kind.json', { payPeriod: { kind: 'fortnightly' } });
      expect(errorsOf({ configFile: badKind })).toEqual([
        `payPeriod.kind (${badKind}): expected "kind" to be "weekly", "biweekly", "semimonthly" or "monthly", got "fortnightly"`,
      ]);
      const typo = writeJson('typo.json', { payPeriod: { kind: 'monthly', startday: 26 } });
      expect(errorsOf({ configFile: typo })).toEqual([`payPeriod.startday (${typo}): unknown key`]);
    });

    it('names every bad payroll rule by its place and its value', () => {
      const errors = errorsOf({
        env: {
          BADGECLOCK_PAYROLL: JSON.stringify({
            breaks: [
              { after: 6, minutes: 30 },
              { after: 6, minutes: 45 },
              { after: 9, minutes: 15 },
              { after: '10', minutes: 30.5 },
            ],
            rounding: { to: 10, mode: 'sideways', every: 1 },
          }),
        },
      });
      expect(errors).toEqual([
        'payroll.breaks[3].after (BADGECLOCK_PAYROLL): expected the hours worked in a day from which the break applies, got "10"',
        'payroll.breaks[3].minutes (BADGECLOCK_PAYROLL): expected whole minutes, got 30.5',
        'payroll.rounding.to (BADGECLOCK_PAYROLL): expected minutes to round to: 1, 5, 6 or 15, got 10',
        'payroll.rounding.mode (BADGECLOCK_PAYROLL): expected "nearest", "up" or "down", got "sideways"',
        'payroll.rounding.every (BADGECLOCK_PAYROLL): unknown key',
      ]);
      const valid = { after: 6, minutes: 30 };
      expect(
        errorsOf({
          env: {
            BADGECLOCK_PAYROLL: JSON.stringify({
              breaks: [valid, { after: 6, minutes: 45 }, { after: 9, minutes: 15 }],
            }),
          },
        }),
      ).toEqual([
        'payroll.breaks[1] (BADGECLOCK_PAYROLL): after 6 hours is given twice',
        'payroll.breaks[2] (BADGECLOCK_PAYROLL): 15 minutes after 9 hours is less than 45 minutes after 6 hours',
      ]);
    });

    it('names BADGECLOCK_PAYROLL and BADGECLOCK_READERS that are not JSON as such, with the place and the text', () => {
      expect(errorsOf({ env: { BADGECLOCK_PAYROLL: '{ breaks: [] }' } })).toEqual([
        'payroll (BADGECLOCK_PAYROLL): not valid JSON at line 1, column 3, got "{ breaks: [] }"',
      ]);
      expect(errorsOf({ env: { BADGECLOCK_READERS: "[{ 'kind': 'keyboard' }]" } })).toEqual([
        `readers (BADGECLOCK_READERS): not valid JSON at line 1, column 4, got "[{ 'kind': 'keyboard' }]"`,
      ]);
    });
  });

  describe('names of settings outside the file', () => {
    it('maps each key to its variable and its flag', () => {
      expect(envName('tz')).toBe('BADGECLOCK_TZ');
      expect(envName('guardSeconds')).toBe('BADGECLOCK_GUARD_SECONDS');
      expect(envName('autoClockOutHours')).toBe('BADGECLOCK_AUTO_CLOCK_OUT_HOURS');
      expect(flagName('dataDir')).toBe('--data-dir');
      expect(flagName('unknownCards')).toBe('--unknown-cards');
    });
  });
  describe('many doors (MQTT)', () => {
    it('shares nothing by default; the door is the host name as a topic level', () => {
      const config = configOf();
      expect(config.mqttUrl).toBeUndefined();
      expect(config.site).toBe('site');
      expect(config.door).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(doorOfHost('pi.front door')).toBe('pi-front-door');
      expect(doorOfHost('..')).toBe('door');
    });

    it('takes the broker, site, door, user and TLS files from BADGECLOCK_* variables', () => {
      const config = configOf({
        env: {
          BADGECLOCK_MQTT_URL: 'mqtts://broker.local:8883',
          BADGECLOCK_SITE: 'plant-2',
          BADGECLOCK_DOOR: 'back_door',
          BADGECLOCK_MQTT_USERNAME: 'back_door',
          BADGECLOCK_MQTT_PASSWORD: 's3cret',
          BADGECLOCK_MQTT_CA_FILE: 'tls/ca.crt',
        },
      });
      expect(config).toMatchObject({
        mqttUrl: 'mqtts://broker.local:8883',
        site: 'plant-2',
        door: 'back_door',
        mqttUsername: 'back_door',
        mqttPassword: 's3cret',
        mqttCaFile: join(dir(), 'tls/ca.crt'),
      });
    });

    it('names a bad broker URL and a door that is no topic level', () => {
      const errors = errorsOf({
        env: { BADGECLOCK_MQTT_URL: 'http://broker:1883', BADGECLOCK_DOOR: 'front/door' },
      });
      expect(errors).toEqual([
        expect.stringMatching(
          /^mqttUrl \(BADGECLOCK_MQTT_URL\): expected a broker URL.*got "http:/,
        ),
        expect.stringMatching(/^door \(BADGECLOCK_DOOR\): expected a door name.*got "front\/door"/),
      ]);
    });

    it('names a TLS file it cannot read, by its key and path, only for a command that connects', () => {
      mkdirSync(join(dir(), 'tls'));
      writeFileSync(join(dir(), 'tls/door.crt'), 'certificate');
      const env = {
        BADGECLOCK_MQTT_URL: 'mqtts://broker.local:8883',
        BADGECLOCK_MQTT_CA_FILE: 'tls/ca.crt',
        BADGECLOCK_MQTT_CERT_FILE: 'tls/door.crt',
        BADGECLOCK_MQTT_KEY_FILE: 'tls',
      };
      expect(errorsOf({ env, connects: true })).toEqual([
        `mqttCaFile (BADGECLOCK_MQTT_CA_FILE): cannot read ${join(dir(), 'tls/ca.crt')}: no such file; check the path`,
        `mqttKeyFile (BADGECLOCK_MQTT_KEY_FILE): cannot read ${join(dir(), 'tls')}: it is a directory, not a file`,
      ]);
      // report, status and the like never open them.
      expect(configOf({ env }).mqttCaFile).toBe(join(dir(), 'tls/ca.crt'));
    });

    it('names a half-set login and a half-set client certificate', () => {
      const errors = errorsOf({
        env: { BADGECLOCK_MQTT_PASSWORD: 'x', BADGECLOCK_MQTT_CERT_FILE: 'door.crt' },
      });
      expect(errors).toEqual([
        expect.stringMatching(/^mqttKeyFile \(default\): a TLS client certificate needs both/),
        expect.stringMatching(
          /^mqttUsername \(BADGECLOCK_MQTT_PASSWORD\): mqttPassword is set but no user/,
        ),
      ]);
    });
  });
});
