/**
 * Feedback on the Pi: a buzzer and a green and a red LED on GPIO lines, driven
 * through the GPIO character device with libgpiod's `gpioset` (see gpioset.ts
 * for why). Which pattern, and when each line changes, is decided in
 * streams/signals.ts; this driver only applies line states.
 *
 * One `gpioset` at a time holds the lines at the current state (a line's value
 * is guaranteed only while it is requested); a change stops it and starts the
 * next (linePort.ts, lineHolder.ts). Without a chip or the tool the driver logs
 * one line and does nothing.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import {
  concatMap,
  defer,
  finalize,
  ignoreElements,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { DomainEvent } from '../../../../streams/events';
import { signals } from '../../../../streams/signals';
import type { Log } from '../../../log';
import { findExecutable, parseGpiosetVersion, wiredLines, type GpiosetMajor } from './gpioset';
import { openLinePort, type LinePort } from './linePort';

export interface GpioFeedbackOptions {
  /** The GPIO chip: a name (`gpiochip0`, the Pi's header on every model), number or path. */
  readonly chip: string;
  /** Line offsets on the chip (the BCM GPIO numbers on a Pi: 17 is GPIO17); each optional. */
  readonly buzzer?: number;
  readonly green?: number;
  readonly red?: number;
  /** Lines are on when low (an LED wired from 3V3 to the pin, a low-triggered buzzer module). */
  readonly activeLow?: boolean;
  /** Times the patterns. */
  readonly scheduler: SchedulerLike;
  readonly log: Pick<Log, 'info' | 'warn'>;
  /** Where `gpioset` is looked for; default PATH. */
  readonly searchPath?: string;
}

/** `gpiochip0` → `/dev/gpiochip0`, `0` → `/dev/gpiochip0`, a path stays. */
export function chipPath(chip: string): string {
  if (chip.includes('/')) return chip;
  return /^\d+$/.test(chip) ? `/dev/gpiochip${chip}` : `/dev/${chip}`;
}

/** What the GPIO check found: the tool and its generation, or why feedback cannot work here. */
export type GpioCheck =
  | {
      readonly ok: true;
      readonly bin: string;
      readonly major: GpiosetMajor;
      /** e.g. "GPIO feedback on gpiochip0 (gpioset v2): buzzer 17, green 27, red 22". */
      readonly detail: string;
    }
  | { readonly ok: false; readonly detail: string };

/**
 * Checks the configured lines, the chip, the permission and the gpioset tool,
 * without touching a line: the driver's start-up and doctor's check. Null when
 * no line is configured.
 */
export function checkGpio(
  options: Pick<
    GpioFeedbackOptions,
    'chip' | 'buzzer' | 'green' | 'red' | 'activeLow' | 'searchPath'
  >,
): GpioCheck | null {
  const offsets = { buzzer: options.buzzer, green: options.green, red: options.red };
  const wired = wiredLines(offsets);
  if (wired.length === 0) return null;
  const fail = (detail: string): GpioCheck => ({ ok: false, detail });
  const used = wired.map((w) => w.offset);
  if (new Set(used).size !== used.length) {
    return fail(`one GPIO line is configured for two roles (${used.join(', ')})`);
  }
  const path = chipPath(options.chip);
  if (!existsSync(path)) {
    return fail(
      `no GPIO chip ${path} on this machine (on a Raspberry Pi it is gpiochip0; \`gpiodetect\` lists the chips)`,
    );
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    return fail(
      `no permission to use ${path}: add the user running badgeclock to the gpio group (sudo usermod -aG gpio <user>)`,
    );
  }
  const bin = findExecutable('gpioset', options.searchPath ?? process.env.PATH ?? '');
  if (bin === null) {
    return fail('gpioset not found: install libgpiod’s tools (sudo apt install gpiod)');
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 5_000 });
  const major =
    version.error === undefined ? parseGpiosetVersion(`${version.stdout}${version.stderr}`) : null;
  if (major === null) {
    return fail(`could not tell which libgpiod ${bin} is from (\`gpioset --version\`)`);
  }
  const roles = wired.map(({ role, offset }) => `${role} ${offset}`).join(', ');
  const activeLow = options.activeLow ?? false;
  return {
    ok: true,
    bin,
    major,
    detail: `GPIO feedback on ${options.chip} (gpioset v${major}): ${roles}${activeLow ? ', active low' : ''}`,
  };
}

/** Checks the chip and the tool; logs one line either way. Null: no GPIO feedback here. */
function probe(options: GpioFeedbackOptions): LinePort | null {
  const { log } = options;
  const check = checkGpio(options);
  if (check === null) {
    log.info('GPIO feedback off: no buzzer or LED line configured');
    return null;
  }
  if (!check.ok) {
    log.warn(`GPIO feedback off: ${check.detail}`);
    return null;
  }
  log.info(check.detail);
  const offsets = { buzzer: options.buzzer, green: options.green, red: options.red };
  return openLinePort(
    check.bin,
    check.major,
    { chip: options.chip, offsets, activeLow: options.activeLow ?? false },
    log,
  );
}

/**
 * Makes the GPIO feedback driver: a buzzer/LED pattern per tap outcome and
 * reader fault. Never errors: without hardware it logs one line and ignores
 * the events; a failing write is logged once. On unsubscribe (or when the
 * events end) every line is turned off and released.
 */
export function makeGpioFeedbackDriver(
  options: GpioFeedbackOptions,
): (events$: Observable<DomainEvent>) => Observable<never> {
  return (events$) =>
    defer(() => {
      const port = probe(options);
      if (port === null) return events$.pipe(ignoreElements());
      return events$.pipe(
        signals(options.scheduler),
        // concatMap: each state is a write to the lines, neither to be dropped nor reordered
        // (the last one of every pattern is OFF). Each write only swaps a process, so the
        // queue stays short.
        concatMap((lines) => port.set(lines)),
        finalize(() => {
          port.close();
        }),
      );
    });
}
