/**
 * The GPIO lines as the feedback driver sets them: one `gpioset` at a time
 * holds them at the current state, and a change stops it and starts the next.
 * A failing write is logged once; on close (or exit) the lines end off.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Observable } from 'rxjs';
import { OFF, type Lines } from '../../../../streams/signals';
import type { Log } from '../../../log';
import { gpiosetArgs, type GpiosetMajor, type LineRequest } from './gpioset';
import { startHolder, STOP_GRACE_MS, type Holder } from './lineHolder';

/** The lines, held by one `gpioset` at a time. */
export interface LinePort {
  /** Sets the lines; completes once the change is under way. */
  set(lines: Lines): Observable<never>;
  /** Turns every line off and releases them (synchronous: it runs on shutdown too). */
  close(): void;
}

/** Closing: tries to turn the lines off (a line still busy a moment after its holder died). */
const CLOSE_ATTEMPTS = 20;
const CLOSE_PAUSE_MS = 10;

/** Opens the lines of `request` through gpioset `bin`; closes them when the process exits. */
export function openLinePort(
  bin: string,
  major: GpiosetMajor,
  request: LineRequest,
  log: Pick<Log, 'info' | 'warn'>,
): LinePort {
  let holder: Holder | null = null;
  /** Whether a holder was ever started (so the lines may have been set). */
  let used = false;
  let closed = false;
  const faults = makeFaultLog(log, () => closed);

  const ended = (self: Holder, problem: string | null): void => {
    if (holder === self) holder = null;
    if (problem === null) faults.worked();
    else faults.failed(problem);
  };
  const start = (lines: Lines): void => {
    used = true;
    try {
      holder = startHolder(bin, gpiosetArgs(major, request, lines, true), ended);
    } catch (error) {
      // spawn throws only for impossible arguments; still, feedback never kills the clock.
      faults.failed(
        `could not run ${bin}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
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
        const next = (): void => {
          if (cancelled || closed) return;
          start(lines);
          subscriber.complete();
        };
        const previous = holder;
        if (previous === null) next();
        else {
          previous.stop();
          void previous.gone.then(next);
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
      if (!turnOff(bin, gpiosetArgs(major, request, OFF, false), holder) && !faults.failing()) {
        log.warn(`GPIO feedback: could not turn the lines off on ${request.chip}`);
      }
    },
  };
  return port;
}

/** A failing write is logged once, not once per beep; it is logged again only after it worked. */
function makeFaultLog(
  log: Pick<Log, 'info' | 'warn'>,
  closed: () => boolean,
): { failed(why: string): void; worked(): void; failing(): boolean } {
  let failing = false;
  return {
    failed: (why) => {
      if (failing || closed()) return;
      failing = true;
      log.warn(`GPIO feedback: ${why}; the clock carries on without it`);
    },
    worked: () => {
      if (!failing || closed()) return;
      failing = false;
      log.info('GPIO feedback works again');
    },
    failing: () => failing,
  };
}

/**
 * Whatever the last holder got to set (a fresh one may not have requested its
 * lines yet; a pattern may be cut short by shutdown), the lines end off: once
 * it is gone, set them off (`offArgs`) and exit, which releases them.
 * (Raspberry Pi OS keeps a released output's value; upstream kernels make it
 * an input.) Synchronous, because a shutdown calls process.exit right after
 * unsubscribing. False when the lines could not be set off.
 */
function turnOff(bin: string, offArgs: readonly string[], last: Holder | null): boolean {
  if (last !== null) {
    last.stop();
    const pid = last.child.pid;
    if (pid !== undefined && !waitUntilExited(pid, STOP_GRACE_MS)) {
      last.child.kill('SIGKILL');
      waitUntilExited(pid, STOP_GRACE_MS);
    }
  }
  for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt += 1) {
    if (spawnSync(bin, offArgs, { stdio: 'ignore', timeout: STOP_GRACE_MS }).status === 0) {
      return true;
    }
    pause(CLOSE_PAUSE_MS);
  }
  return false;
}

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
