/**
 * libgpiod's `gpioset` command line, the way this driver reaches the GPIO
 * character device (/dev/gpiochipN).
 *
 * Why a command and not an npm module: the character device is the one GPIO
 * interface that works on every Pi including the Pi 5 (rpio, pigpio and
 * /dev/mem cannot drive its RP1 chip), and the npm modules that speak it
 * either compile against libgpiod's headers at `npm ci` (which CI and a plain
 * Pi do not have) or are small native prebuilds we would have to trust and
 * keep building. `gpioset` comes from Raspberry Pi OS's own `gpiod` package,
 * is maintained with the kernel's GPIO subsystem, costs no dependency and is
 * tested here through a real child process. The price is a process per line
 * change (a few ms on a Pi), fine for a beep pattern of 100 ms steps.
 *
 * Two generations are in the field: libgpiod 1.6 (Bookworm) and 2.x (Trixie).
 * Both can "set and hold until SIGTERM" and "set and exit"; only the flags
 * differ. (2.x's `--interactive` would avoid the process per change but is a
 * build-time option of the tool, so it is not relied on.)
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Lines } from '../../../../streams/signals';

export type GpiosetMajor = 1 | 2;

/** The feedback lines: a line offset on the chip for each role that is wired. */
export interface LineOffsets {
  readonly buzzer?: number;
  readonly green?: number;
  readonly red?: number;
}

export interface LineRequest {
  /** Chip name (`gpiochip0`), number or path (`/dev/gpiochip0`), as gpioset takes it. */
  readonly chip: string;
  readonly offsets: LineOffsets;
  readonly activeLow: boolean;
}

const roles = ['buzzer', 'green', 'red'] as const;

/** The wired roles with their offsets, in a fixed order. */
export function wiredLines(offsets: LineOffsets): { role: keyof Lines; offset: number }[] {
  return roles.flatMap((role) => {
    const offset = offsets[role];
    return offset === undefined ? [] : [{ role, offset }];
  });
}

/**
 * gpioset's arguments to set `lines`: `hold` keeps them requested until SIGTERM
 * (their value is guaranteed only while requested), otherwise set and exit,
 * which releases them.
 */
export function gpiosetArgs(
  major: GpiosetMajor,
  request: LineRequest,
  lines: Lines,
  hold: boolean,
): string[] {
  const values = wiredLines(request.offsets).map(
    ({ role, offset }) => `${offset}=${lines[role] ? 1 : 0}`,
  );
  const activeLow = request.activeLow ? ['--active-low'] : [];
  return major === 1
    ? [hold ? '--mode=signal' : '--mode=exit', ...activeLow, request.chip, ...values]
    : [
        '--chip',
        request.chip,
        '--consumer',
        'badgeclock',
        ...activeLow,
        // 2.x holds by default; a single toggle period of 0 means "set, then exit".
        ...(hold ? [] : ['--toggle', '0']),
        ...values,
      ];
}

/** The major version from `gpioset --version` (`gpioset (libgpiod) v1.6.3`), or null. */
export function parseGpiosetVersion(output: string): GpiosetMajor | null {
  const major = /\bv(\d+)\.\d+/.exec(output)?.[1];
  if (major === '1') return 1;
  if (major === '2') return 2;
  return null;
}

/** The executable `name` on a PATH-style search path, or null. */
export function findExecutable(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}
