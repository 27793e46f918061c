/**
 * Feedback on the Pi: a buzzer and a green and a red LED on GPIO lines, driven
 * through the GPIO character device with libgpiod's `gpioset` (see gpioset.ts
 * for why). Which pattern, and when each line changes, is decided in
 * streams/signals.ts; this driver only applies line states.
 *
 * One `gpioset` at a time holds the lines at the current state (a line's value
 * is guaranteed only while it is requested); a change stops it and starts the
 * next. Without a chip or the tool the driver logs one line and does nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { concatMap, defer, finalize, ignoreElements, Observable, type SchedulerLike } from 'rxjs';
import type { DomainEvent } from '../../../../streams/events';
import { OFF, signals, type Lines } from '../../../../streams/signals';
import type { Log } from '../../../log';
import {
  findExecutable,
  gpiosetArgs,
  parseGpiosetVersion,
  wiredLines,
  type GpiosetMajor,
  type LineRequest,
} from './gpioset';

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

/** The lines, held by one `gpioset` at a time. */
interface LinePort {
  /** Sets the lines; completes once the change is under way. */
  set(lines: Lines): Observable<never>;
  /** Turns every line off and releases them (synchronous: it runs on shutdown too). */
  close(): void;
}

interface Holder {
  readonly child: ChildProcess;
  stopping: boolean;
  /** Resolves once the process is gone (its lines released). */
  readonly gone: Promise<void>;
  /** SIGTERM, and SIGKILL if that is not enough. */
  readonly stop: () => void;
}

/** How long a holder may take to die after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 2_000;
/** Closing: tries to turn the lines off (a line still busy a moment after its holder died). */
const CLOSE_ATTEMPTS = 20;
const CLOSE_PAUSE_MS = 10;

/** Blocks for `ms`: only on close, which must finish before a shutdown's process.exit. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Blocks until process `pid` has exited (a zombie has released its lines) or
 * `ms` passed. Reads /proc: Node cannot reap a child while it blocks, and
 * GPIO character devices exist only on Linux anyway.
 */
function waitUntilExited(pid: number, ms: number): boolean {
  const deadline = Date.now() + ms;
  for (;;) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    // The state follows the command name in parentheses: "1234 (gpioset) S ...".
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    if (state === 'Z' || state === 'X') return true;
    if (Date.now() >= deadline) return false;
    pause(5);
  }
}

function openLinePort(
  bin: string,
  major: GpiosetMajor,
  request: LineRequest,
  log: Pick<Log, 'info' | 'warn'>,
): LinePort {
  let holder: Holder | null = null;
  /** Whether a holder was ever started (so the lines may have been set). */
  let used = false;
  let failing = false;
  let closed = false;

  // A failing write is logged once, not once per beep; it is logged again only after it worked.
  const failed = (why: string): void => {
    if (failing || closed) return;
    failing = true;
    log.warn(`GPIO feedback: ${why}; the clock carries on without it`);
  };
  const worked = (): void => {
    if (!failing || closed) return;
    failing = false;
    log.info('GPIO feedback works again');
  };

  const startHolder = (lines: Lines): Holder => {
    const args = gpiosetArgs(major, request, lines, true);
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 2_000) stderr += chunk;
    });
    let killer: NodeJS.Timeout | undefined;
    let end: () => void = () => undefined;
    const self: Holder = {
      child,
      stopping: false,
      gone: new Promise<void>((resolve) => {
        end = resolve;
      }),
      stop: () => {
        if (self.stopping) return;
        self.stopping = true;
        child.kill('SIGTERM');
        killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        killer.unref();
      },
    };
    let done = false;
    const finish = (problem: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(killer);
      if (holder === self) holder = null;
      if (problem === null) worked();
      else failed(problem);
      end();
    };
    child.once('error', (error) => {
      finish(`could not run ${bin}: ${error.message}`);
    });
    child.once('close', (code, signal) => {
      // Stopped by us: 1.x exits 0 on SIGTERM, 2.x dies of it. Anything else is a failure.
      const stopped = self.stopping && (code === 0 || signal === 'SIGTERM');
      const said = stderr.trim().split('\n')[0] ?? '';
      finish(
        stopped
          ? null
          : `gpioset ${args.join(' ')} failed: ${said === '' ? `exit ${code ?? signal ?? '?'}` : said}`,
      );
    });
    return self;
  };

  // Whatever way the process ends (an error that exits, a second signal, an uncaught
  // exception), the lines end off and no gpioset is left holding them: Node does not kill
  // its children on exit. close() is synchronous, as an 'exit' listener must be.
  const closeOnExit = (): void => {
    port.close();
  };
  process.once('exit', closeOnExit);

  const port: LinePort = {
    set: (lines) =>
      new Observable<never>((subscriber) => {
        let cancelled = false;
        const start = (): void => {
          if (cancelled || closed) return;
          used = true;
          try {
            holder = startHolder(lines);
          } catch (error) {
            // spawn throws only for impossible arguments; still, feedback never kills the clock.
            failed(
              `could not run ${bin}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
          subscriber.complete();
        };
        const previous = holder;
        if (previous === null) start();
        else {
          previous.stop();
          void previous.gone.then(start);
        }
        return () => {
          cancelled = true;
        };
      }),
    close: () => {
      if (closed) return;
      closed = true;
      process.off('exit', closeOnExit);
      if (!used) return;
      // Whatever the last holder got to set (a fresh one may not have requested its lines
      // yet; a pattern may be cut short by shutdown), the lines end off: once it is gone,
      // set them off and exit, which releases them. (Raspberry Pi OS keeps a released
      // output's value; upstream kernels make it an input.) Synchronous, because a
      // shutdown calls process.exit right after unsubscribing.
      const last = holder;
      if (last !== null) {
        last.stop();
        const pid = last.child.pid;
        if (pid !== undefined && !waitUntilExited(pid, STOP_GRACE_MS)) {
          last.child.kill('SIGKILL');
          waitUntilExited(pid, STOP_GRACE_MS);
        }
      }
      const args = gpiosetArgs(major, request, OFF, false);
      for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt += 1) {
        if (spawnSync(bin, args, { stdio: 'ignore', timeout: STOP_GRACE_MS }).status === 0) return;
        pause(CLOSE_PAUSE_MS);
      }
      if (!failing) log.warn(`GPIO feedback: could not turn the lines off on ${request.chip}`);
    },
  };
  return port;
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
