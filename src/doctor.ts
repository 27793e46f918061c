/**
 * `badgeclock doctor`: checks of everything the clock needs, each a pass or
 * fail line with the fix. Read-only: it never changes the store or the sheet.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config';
import { timeSyncCheckOf } from './drivers/clock/timeSync';
import { gpioLinesOf } from './drivers/feedback/gpio/gpioConfig';
import { checkGpio } from './drivers/feedback/gpio/gpioFeedbackDriver';
import { checkInputDevice, type InputDeviceCheck } from './drivers/reader/evdev/inputHelper';
import type { ChipProbe } from './drivers/reader/mfrc522/mfrc522Reader';
import { readerSpecsOf, type Mfrc522Spec, type ReaderSpec } from './drivers/reader/readers';
import type { SheetsClient } from './drivers/sheets/sheetsClient';
import { missingDatabase } from './drivers/store/dbFiles';
import { DB_FILE_NAME, Store } from './drivers/store/store';

export interface Check {
  readonly name: string;
  readonly ok: boolean | 'skip';
  readonly detail: string;
  /** What to do when it fails. */
  readonly fix?: string;
}

export interface DoctorDeps {
  /** The sheet client when a spreadsheet is configured. */
  readonly sheets?: SheetsClient;
  readonly loadServiceAccount?: (file: string) => { client_email: string };
  /** Reads whether the system clock is synchronised; null when it cannot be told. */
  readonly clockSynchronised?: () => Promise<boolean | null>;
  /** Reads an RC522's VersionReg (the mfrc522 readers); without it the chip is not checked. */
  readonly probeReader?: (reader: Mfrc522Spec) => Promise<ChipProbe>;
  /** Where the SPI device is looked for; default: each RC522's own spidev. */
  readonly spiDevicePath?: string;
  /** Opens, checks and grabs an input device (the evdev readers); default: the real helper. */
  readonly checkInput?: (device: string) => Promise<InputDeviceCheck>;
  /** Where gpioset is looked for; default: PATH. */
  readonly gpioSearchPath?: string;
}

/** Runs every check in order; never throws. */
export async function runDoctor(config: Config, deps: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [
    { name: 'configuration', ok: true, detail: config.configFile ?? 'defaults and environment' },
  ];

  const dir = config.dataDir;
  let writable = false;
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    writable = true;
    checks.push({ name: 'data directory', ok: true, detail: `${dir} is writable` });
  } catch (error) {
    checks.push({
      name: 'data directory',
      ok: false,
      detail: `${dir}: ${(error as Error).message}`,
      fix: `make it writable by this user (sudo chown $(whoami) ${dir}), or set BADGECLOCK_DATA_DIR`,
    });
  }

  const dbFile = join(dir, DB_FILE_NAME);
  const lost = existsSync(dbFile) ? null : missingDatabase(dbFile);
  if (lost !== null) {
    checks.push({ name: 'store', ok: false, detail: lost });
  } else if (!existsSync(dbFile)) {
    checks.push({
      name: 'store',
      ok: writable ? 'skip' : false,
      detail: `${dbFile} does not exist yet; the clock creates it on its first start`,
    });
  } else {
    try {
      const store = Store.open(dbFile, { readonly: true });
      const result = store.integrityCheck();
      const { setAside, setAsideCount } =
        result === 'ok' ? store.status() : { setAside: [], setAsideCount: 0 };
      store.close();
      checks.push(
        result === 'ok'
          ? { name: 'store', ok: true, detail: `${dbFile} opens and passes PRAGMA integrity_check` }
          : {
              name: 'store',
              ok: false,
              detail: `${dbFile}: integrity_check says ${result}`,
              fix: 'stop the clock, restore the database from a backup (README, "Data")',
            },
      );
      if (setAsideCount > 0) {
        const listed = setAside.map((entry) => `${entry.key} (${entry.kind}): ${entry.failure}`);
        const more =
          setAsideCount > setAside.length ? [`${setAsideCount - setAside.length} more`] : [];
        checks.push({
          name: 'set aside',
          ok: false,
          detail: `${setAsideCount} change(s) the sheet refused for good, not retried: ${[...listed, ...more].join('; ')}`,
          fix: 'the sessions are kept in the store (badgeclock report shows them); correct or enter them in the sheet by hand',
        });
      }
    } catch (error) {
      checks.push({
        name: 'store',
        ok: false,
        detail: (error as Error).message,
        fix: 'see the message; the file was not changed',
      });
    }
  }

  if (config.spreadsheetId === undefined || config.keyFile === undefined) {
    checks.push({
      name: 'key file',
      ok: 'skip',
      detail: 'no spreadsheet configured (the sheet is off)',
    });
    checks.push({
      name: 'spreadsheet',
      ok: 'skip',
      detail: 'no spreadsheet configured (the sheet is off)',
    });
  } else {
    const keyFile = config.keyFile;
    let account: string | null = null;
    try {
      account = deps.loadServiceAccount?.(keyFile).client_email ?? null;
      const mode = statSync(keyFile).mode;
      if ((mode & 0o077) !== 0) {
        checks.push({
          name: 'key file',
          ok: false,
          detail: `${keyFile} is readable by other users (mode ${(mode & 0o777).toString(8)})`,
          fix: `chmod 600 ${keyFile} (and chown it to the clock's user)`,
        });
      } else {
        checks.push({
          name: 'key file',
          ok: true,
          detail: `${keyFile}: service account ${account ?? '?'}, mode 600`,
        });
      }
    } catch (error) {
      checks.push({
        name: 'key file',
        ok: false,
        detail: (error as Error).message,
        fix: 'download a JSON key for the service account and set BADGECLOCK_KEY_FILE to it',
      });
    }
    if (account !== null && deps.sheets !== undefined) {
      try {
        const sheet = await deps.sheets.check();
        const named = `"${sheet.title}" (${config.spreadsheetId})`;
        const notes = [
          ...sheet.headerWarnings,
          ...(sheet.missingTabs.length === 0
            ? []
            : [`the clock creates the tab(s) ${sheet.missingTabs.join(', ')} on its first start`]),
        ];
        checks.push(
          sheet.headerErrors.length === 0
            ? {
                name: 'spreadsheet',
                ok: true,
                detail: `${named} is reachable and ${sheet.writeConfirmed ? `${account} can edit it` : `readable by ${account} (edit access not confirmed: the server refused the no-op title update)`}${notes.length === 0 ? '' : `; ${notes.join('; ')}`}`,
              }
            : {
                name: 'spreadsheet',
                ok: false,
                detail: `${named}: ${sheet.headerErrors.join('; ')}`,
                fix: 'restore the header row (README, "The tabs"); the clock keeps taps queued until then',
              },
        );
      } catch (error) {
        checks.push({
          name: 'spreadsheet',
          ok: false,
          detail: (error as Error).message,
          fix: `share the sheet with ${account} as Editor, and check BADGECLOCK_SPREADSHEET_ID and the network`,
        });
      }
    } else {
      checks.push({
        name: 'spreadsheet',
        ok: false,
        detail: 'not checked: the key file is not usable',
      });
    }
  }

  checks.push(...(await readerChecks(config, deps)));
  checks.push(gpioCheck(config, deps));

  const check = deps.clockSynchronised ?? timeSyncCheckOf(config);
  const synced = check === undefined ? 'off' : await check();
  const how =
    config.timeSync === 'command' ? `timeSyncCommand: ${config.timeSyncCommand ?? ''}` : 'NTP';
  checks.push(
    synced === true
      ? { name: 'system clock', ok: true, detail: `synchronised (${how})` }
      : synced === false
        ? {
            name: 'system clock',
            ok: false,
            detail: 'not synchronised: taps are stored but their times may be wrong',
            fix:
              config.timeSync === 'command'
                ? `connect the network; "${config.timeSyncCommand ?? ''}" must exit 0 once the clock is synchronised`
                : 'connect the network and enable time sync: sudo timedatectl set-ntp true',
          }
        : synced === 'off'
          ? { name: 'system clock', ok: 'skip', detail: 'not checked (timeSync is off)' }
          : {
              name: 'system clock',
              ok: 'skip',
              detail:
                config.timeSync === 'command'
                  ? `cannot tell: "${config.timeSyncCommand ?? ''}" did not exit 0 or 1`
                  : 'cannot tell (no timedatectl here)',
            },
  );
  return checks;
}

/** The buzzer and LEDs: chip, permission and gpioset, without touching a line. */
function gpioCheck(config: Config, deps: DoctorDeps): Check {
  const check = checkGpio({
    ...gpioLinesOf(config),
    ...(deps.gpioSearchPath === undefined ? {} : { searchPath: deps.gpioSearchPath }),
  });
  if (check === null) {
    return { name: 'buzzer and LEDs', ok: 'skip', detail: 'no GPIO line configured' };
  }
  return check.ok
    ? { name: 'buzzer and LEDs', ok: true, detail: check.detail }
    : {
        name: 'buzzer and LEDs',
        ok: false,
        detail: check.detail,
        fix: 'see the README, "Buzzer and LEDs"; the clock runs without them meanwhile',
      };
}

const ENABLE_SPI =
  'enable SPI (sudo raspi-config nonint do_spi 0, or dtparam=spi=on in /boot/firmware/config.txt) and reboot';

/** The readers: for each RC522, the SPI device and the chip's answer; for each USB reader, its device. */
async function readerChecks(config: Config, deps: DoctorDeps): Promise<Check[]> {
  const specs = readerSpecsOf(config);
  const checks: Check[] = [];
  for (const spec of specs) {
    // One reader keeps the plain names; several are told apart by theirs.
    const named = (name: string): string => (specs.length > 1 ? `${name} (${spec.name})` : name);
    switch (spec.kind) {
      case 'keyboard':
        checks.push({
          name: named('reader'),
          ok: 'skip',
          detail: 'keyboard reader: nothing to check',
        });
        break;
      case 'mfrc522':
        checks.push(
          ...(await rc522Checks(spec, deps)).map((check) => ({
            ...check,
            name: named(check.name),
          })),
        );
        break;
      case 'evdev':
        checks.push(
          ...(await inputChecks(spec, deps)).map((check) => ({
            ...check,
            name: named(check.name),
          })),
        );
        break;
    }
  }
  return checks;
}

/** A USB keyboard-wedge reader on /dev/input: there, readable, a keyboard, and grabbable. */
async function inputChecks(
  spec: Extract<ReaderSpec, { kind: 'evdev' }>,
  deps: DoctorDeps,
): Promise<Check[]> {
  const device = spec.inputDevice;
  const check = await (deps.checkInput ?? checkInputDevice)(device);
  if (!check.ok) {
    const fix = /permission/.test(check.reason)
      ? 'sudo usermod -aG input badgeclock (the service has the group from its unit), then restart it'
      : /python3/.test(check.reason)
        ? 'sudo apt install python3'
        : 'ls -l /dev/input/by-id/ and set BADGECLOCK_INPUT_DEVICE to the reader\'s …-event-kbd entry (README, "USB keyboard-wedge reader as a service")';
    return [{ name: 'input device', ok: false, detail: check.reason, fix }];
  }
  const checks: Check[] = [];
  checks.push(
    check.keyboard
      ? { name: 'input device', ok: true, detail: `${device} opens and has the keys of a keyboard` }
      : {
          name: 'input device',
          ok: false,
          detail: `${device} has no digit keys and Enter: not a keyboard-wedge reader`,
          fix: "ls -l /dev/input/by-id/ and pick the reader's entry ending in -event-kbd",
        },
  );
  if (!spec.inputGrab) {
    checks.push({ name: 'input grab', ok: 'skip', detail: 'inputGrab is false: not grabbed' });
  } else if (check.grab === 'grabbed') {
    checks.push({ name: 'input grab', ok: true, detail: `${device} can be grabbed exclusively` });
  } else if (check.grab === 'busy') {
    checks.push({
      name: 'input grab',
      ok: 'skip',
      detail: `${device} is grabbed by another program: the running clock, if it is up (otherwise stop whatever holds it)`,
    });
  } else {
    checks.push({
      name: 'input grab',
      ok: false,
      detail: `${device} cannot be grabbed: ${check.grab}`,
      fix: 'set inputGrab to false to read it without a grab (its keys then reach the console too)',
    });
  }
  return checks;
}

/** An RC522: the SPI device and the chip's answer. */
async function rc522Checks(spec: Mfrc522Spec, deps: DoctorDeps): Promise<Check[]> {
  const checks: Check[] = [];
  if (spec.spi.kind === 'hardware') {
    const device = deps.spiDevicePath ?? `/dev/spidev${spec.spi.bus}.${spec.spi.device}`;
    if (!existsSync(device)) {
      return [
        {
          name: 'SPI device',
          ok: false,
          detail: `${device} does not exist`,
          fix: `${ENABLE_SPI}; or set BADGECLOCK_SPI_DEVICE to the spidev the RC522 is on`,
        },
        { name: 'reader chip', ok: 'skip', detail: 'not checked: no SPI device' },
      ];
    }
    try {
      accessSync(device, constants.R_OK | constants.W_OK);
      checks.push({ name: 'SPI device', ok: true, detail: `${device} is present and usable` });
    } catch (error) {
      return [
        {
          name: 'SPI device',
          ok: false,
          detail: `${device}: ${(error as Error).message}`,
          fix: "add the clock's user to the spi group (sudo usermod -aG spi badgeclock) and restart it",
        },
        { name: 'reader chip', ok: 'skip', detail: 'not checked: the SPI device is not usable' },
      ];
    }
  } else if (spec.spi.kind === 'soft') {
    // rpi-softspi drives the pins itself and turns them into inputs when it closes: a probe
    // would break the bus of a clock running beside it.
    const { clock, mosi, miso, client } = spec.spi;
    return [
      {
        name: 'SPI device',
        ok: 'skip',
        detail: `software SPI on header pins ${clock},${mosi},${miso},${client} (clock, MOSI, MISO, chip select)`,
      },
      {
        name: 'reader chip',
        ok: 'skip',
        detail:
          'not probed on software SPI (it would disturb a running clock): stop the clock and run badgeclock reader test',
      },
    ];
  }
  if (deps.probeReader === undefined) {
    checks.push({ name: 'reader chip', ok: 'skip', detail: 'not checked' });
    return checks;
  }
  const probe = await deps.probeReader(spec);
  checks.push(
    probe.ok
      ? { name: 'reader chip', ok: true, detail: `the RC522 answers: ${probe.detail}` }
      : {
          name: 'reader chip',
          ok: false,
          detail: probe.detail,
          fix: 'check the wiring against the README table ("RC522 (MFRC522) reader"), then run badgeclock reader test',
        },
  );
  return checks;
}

/** The report a person reads: one line per check, the fix under each failure. */
export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((check) => {
      const mark = check.ok === true ? '✔' : check.ok === 'skip' ? '·' : '✖';
      const fix = check.ok === false && check.fix !== undefined ? `\n    fix: ${check.fix}` : '';
      return `${mark} ${check.name}: ${check.detail}${fix}`;
    })
    .join('\n');
}
