/**
 * The doctor's checks of the card readers: for each RC522 its SPI device and
 * the chip's answer, for each USB keyboard-wedge reader its input device and
 * grab. Read-only: an RC522 on software SPI is not probed.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import type { Config } from '../config';
import { checkInputDevice } from '../drivers/reader/evdev/inputHelper';
import { readerSpecsOf, type Mfrc522Spec, type ReaderSpec } from '../drivers/reader/readers';
import type { Check, DoctorDeps } from './check';

const ENABLE_SPI =
  'enable SPI (sudo raspi-config nonint do_spi 0, or dtparam=spi=on in /boot/firmware/config.txt) and reboot';

/** The readers: for each RC522, the SPI device and the chip's answer; for each USB reader, its device. */
export async function readerChecks(config: Config, deps: DoctorDeps): Promise<Check[]> {
  const specs = readerSpecsOf(config);
  const checks: Check[] = [];
  for (const spec of specs) {
    // One reader keeps the plain names; several are told apart by theirs.
    const named = (name: string): string => (specs.length > 1 ? `${name} (${spec.name})` : name);
    switch (spec.kind) {
      case 'keyboard':
        checks.push({ ...keyboardCheck(deps.stdinIsTTY), name: named('reader') });
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

/**
 * The keyboard reader reads stdin: at a terminal that is a person or a wedge
 * reader typing; otherwise (a service, a pipe, /dev/null) it ends and the
 * clock reads no cards, so it is a warning (a piped file of ids is fine).
 */
function keyboardCheck(stdinIsTTY: boolean | undefined): Check {
  if (stdinIsTTY !== false) {
    return { name: 'reader', ok: 'skip', detail: 'keyboard reader: nothing to check' };
  }
  return {
    name: 'reader',
    ok: 'warn',
    detail:
      'keyboard reader, but standard input is not a terminal: under systemd (StandardInput=null) it reads no cards',
    fix: 'set BADGECLOCK_READER to evdev (a USB reader, with BADGECLOCK_INPUT_DEVICE) or mfrc522 in /etc/badgeclock/badgeclock.env',
  };
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
  return [
    check.keyboard
      ? { name: 'input device', ok: true, detail: `${device} opens and has the keys of a keyboard` }
      : {
          name: 'input device',
          ok: false,
          detail: `${device} has no digit keys and Enter: not a keyboard-wedge reader`,
          fix: "ls -l /dev/input/by-id/ and pick the reader's entry ending in -event-kbd",
        },
    inputGrabCheck(device, spec.inputGrab, check.grab),
  ];
}

/** Whether the input device can be grabbed (busy: most likely by the running clock). */
function inputGrabCheck(device: string, inputGrab: boolean, grab: string): Check {
  if (!inputGrab) {
    return { name: 'input grab', ok: 'skip', detail: 'inputGrab is false: not grabbed' };
  }
  if (grab === 'grabbed') {
    return { name: 'input grab', ok: true, detail: `${device} can be grabbed exclusively` };
  }
  if (grab === 'busy') {
    return {
      name: 'input grab',
      ok: 'skip',
      detail: `${device} is grabbed by another program: the running clock, if it is up (otherwise stop whatever holds it)`,
    };
  }
  return {
    name: 'input grab',
    ok: false,
    detail: `${device} cannot be grabbed: ${grab}`,
    fix: 'set inputGrab to false to read it without a grab (its keys then reach the console too)',
  };
}

/** An RC522: the SPI device and the chip's answer. */
async function rc522Checks(spec: Mfrc522Spec, deps: DoctorDeps): Promise<Check[]> {
  const spi = spiChecks(spec, deps);
  if (spi.final) return spi.checks;
  return [...spi.checks, await chipCheck(spec, deps)];
}

/**
 * The SPI device an RC522 is on. Final when the chip is not to be probed after
 * it (no usable device, or software SPI); the checks then include the chip's skip.
 */
function spiChecks(
  spec: Mfrc522Spec,
  deps: DoctorDeps,
): { readonly checks: Check[]; readonly final: boolean } {
  if (spec.spi.kind === 'hardware') {
    const device = deps.spiDevicePath ?? `/dev/spidev${spec.spi.bus}.${spec.spi.device}`;
    if (!existsSync(device)) {
      const checks: Check[] = [
        {
          name: 'SPI device',
          ok: false,
          detail: `${device} does not exist`,
          fix: `${ENABLE_SPI}; or set BADGECLOCK_SPI_DEVICE to the spidev the RC522 is on`,
        },
        { name: 'reader chip', ok: 'skip', detail: 'not checked: no SPI device' },
      ];
      return { checks, final: true };
    }
    try {
      accessSync(device, constants.R_OK | constants.W_OK);
      const usable: Check = {
        name: 'SPI device',
        ok: true,
        detail: `${device} is present and usable`,
      };
      return { checks: [usable], final: false };
    } catch (error) {
      const checks: Check[] = [
        {
          name: 'SPI device',
          ok: false,
          detail: `${device}: ${(error as Error).message}`,
          fix: "add the clock's user to the spi group (sudo usermod -aG spi badgeclock) and restart it",
        },
        { name: 'reader chip', ok: 'skip', detail: 'not checked: the SPI device is not usable' },
      ];
      return { checks, final: true };
    }
  }
  if (spec.spi.kind === 'soft') {
    // rpi-softspi drives the pins itself and turns them into inputs when it closes: a probe
    // would break the bus of a clock running beside it.
    const { clock, mosi, miso, client } = spec.spi;
    const checks: Check[] = [
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
    return { checks, final: true };
  }
  return { checks: [], final: false };
}

/** The chip's answer to a read of its VersionReg, when the doctor was given a probe. */
async function chipCheck(spec: Mfrc522Spec, deps: DoctorDeps): Promise<Check> {
  if (deps.probeReader === undefined) {
    return { name: 'reader chip', ok: 'skip', detail: 'not checked' };
  }
  const probe = await deps.probeReader(spec);
  return probe.ok
    ? { name: 'reader chip', ok: true, detail: `the RC522 answers: ${probe.detail}` }
    : {
        name: 'reader chip',
        ok: false,
        detail: probe.detail,
        fix: 'check the wiring against the README table ("RC522 (MFRC522) reader"), then run badgeclock reader test',
      };
}
