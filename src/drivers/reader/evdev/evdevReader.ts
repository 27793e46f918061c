/**
 * The evdev reader: a USB keyboard-wedge reader read from /dev/input, the
 * way a service (which has no keyboard of its own) reads one. The device is
 * opened and grabbed by a helper process (./inputHelper.ts) whose stdout
 * carries the kernel's input_event records; here they become card ids. A
 * device unplugged, missing or refused is a fault, reported once per
 * incident, and the helper is started again with backoff until it is back.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { defer, mergeMap, Observable, retry, timer } from 'rxjs';
import { backoffDelay } from '../../../../streams/backoff';
import { normaliseCardId } from '../../../../streams/cardId';
import type { CardRead, ReadRejected } from '../../../../streams/events';
import { MAX_LINE_BYTES } from '../keyboardReader';
import { defaultHelper, describeHelperExit, NO_PYTHON, type HelperFault } from './inputHelper';
import { InputEventDecoder, platformEventSize, type InputEventSize } from './inputEvents';
import { KeyIdAssembler, type KeyOutcome } from './keyIds';

export interface EvdevRestartOptions {
  /** Backoff: the first reopen waits up to this long (full jitter)... */
  readonly baseMs: number;
  /** ...doubling per failure up to this: how long a replugged reader may wait to be read again. */
  readonly capMs: number;
  /** A device read this long before it failed starts a new incident (reported, backoff from base). */
  readonly stableMs: number;
}

export const defaultEvdevRestart: EvdevRestartOptions = {
  baseMs: 250,
  capMs: 5_000,
  stableMs: 10_000,
};

/** Keys of one id further apart than this are not one id (a wedge reader types one in ~50 ms). */
export const ID_GAP_MS = 1_000;

export interface EvdevReaderOptions {
  /** The reader's name, carried on every read (the sheet's `Reader` column). */
  readonly reader: string;
  /** The device: preferably its stable /dev/input/by-id/…-event-kbd link. */
  readonly device: string;
  /** Take the device exclusively (EVIOCGRAB); default true. */
  readonly grab?: boolean;
  readonly now: () => number;
  /** Monotonic clock, so durations survive wall-clock jumps. */
  readonly mono?: () => number;
  /** The input_event record size; default this process's (24 bytes 64-bit, 16 bytes 32-bit). */
  readonly eventSize?: InputEventSize;
  /** The helper command and its first arguments; default `python3 -c <script>`. */
  readonly helper?: readonly string[];
  readonly restart?: Partial<EvdevRestartOptions>;
  readonly random?: () => number;
}

type SessionEvent =
  | { readonly kind: 'opened' }
  | { readonly kind: 'keys'; readonly outcomes: readonly KeyOutcome[] }
  | { readonly kind: 'fault'; readonly fault: HelperFault };

/** One helper's life: its key outcomes, then a fault and an error when it ends (so it is restarted). */
function helperSession(options: EvdevReaderOptions): Observable<SessionEvent> {
  return new Observable<SessionEvent>((subscriber) => {
    const { device } = options;
    const [command = 'python3', ...first] = options.helper ?? defaultHelper;
    const args = [...first, 'read', device, ...(options.grab === false ? [] : ['--grab'])];
    // stdin stays open and unused: when this process dies it closes, and the helper lets go of the device.
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const decoder = new InputEventDecoder(options.eventSize ?? platformEventSize());
    const keys = new KeyIdAssembler({ maxLength: MAX_LINE_BYTES, gapMs: ID_GAP_MS });
    let stderr = '';
    let ended = false;
    const end = (fault: HelperFault): void => {
      if (ended) return;
      ended = true;
      const outcomes = keys.end('when the device went away');
      if (outcomes.length > 0) subscriber.next({ kind: 'keys', outcomes });
      subscriber.next({ kind: 'fault', fault });
      subscriber.error(new Error(fault.reason));
    };
    child.stdout.on('data', (chunk: Buffer) => {
      const outcomes = decoder.push(chunk).flatMap((event) => keys.push(event));
      if (outcomes.length > 0) subscriber.next({ kind: 'keys', outcomes });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const lines = stderr.split('\n');
      stderr = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'opened') subscriber.next({ kind: 'opened' });
        else stderr = `${line}\n${stderr}`;
      }
    });
    child.stdin.on('error', () => undefined); // the helper may be gone before we let go of its stdin
    child.on('error', (error: NodeJS.ErrnoException) => {
      end(
        error.code === 'ENOENT'
          ? { key: 'no-python', reason: NO_PYTHON }
          : { key: 'spawn', reason: `cannot start the input helper: ${error.message}` },
      );
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      end(describeHelperExit(device, code, signal, stderr));
    });
    return () => {
      ended = true;
      child.removeAllListeners();
      child.stdout.removeAllListeners();
      child.stderr.removeAllListeners();
      child.on('error', () => undefined);
      child.stdin.end();
      child.kill('SIGTERM');
    };
  });
}

/**
 * Makes the reads$ source for a wedge reader on /dev/input: every id typed
 * and ended with Enter becomes a read; anything else typed, a half-typed id
 * and a device fault become rejections that say why. Never errors: a fault
 * restarts the helper with backoff. Unsubscribing stops the helper.
 */
export function makeEvdevReader(options: EvdevReaderOptions): Observable<CardRead | ReadRejected> {
  const { reader, now, mono } = options;
  const restart = { ...defaultEvdevRestart, ...options.restart };
  const random = options.random ?? Math.random;

  return defer(() => {
    // One incident at a time: the same kind of fault from helper after helper is reported once.
    let failures = 0;
    let reported: string | null = null;
    let openedSince: number | null = null;

    const toEvents = (event: SessionEvent): (CardRead | ReadRejected)[] => {
      switch (event.kind) {
        case 'opened':
          openedSince = performance.now();
          return [];
        case 'keys':
          return event.outcomes.map((outcome) => toEvent(outcome, reader, now(), mono));
        case 'fault': {
          const stable =
            openedSince !== null && performance.now() - openedSince >= restart.stableMs;
          openedSince = null;
          if (stable) reported = null;
          failures = stable ? 1 : failures + 1;
          if (event.fault.key === reported) return [];
          reported = event.fault.key;
          return [{ type: 'readRejected', at: now(), reader, reason: event.fault.reason }];
        }
      }
    };

    return helperSession(options).pipe(
      // Each inner is a synchronous array: nothing can interleave, so mergeMap keeps the order.
      mergeMap(toEvents),
      retry({
        delay: () =>
          timer(
            backoffDelay(failures, random, null, {
              baseMs: restart.baseMs,
              capMs: restart.capMs,
              maxRetryAfterMs: 0,
            }),
          ),
      }),
    );
  });
}

function toEvent(
  outcome: KeyOutcome,
  reader: string,
  at: number,
  mono: (() => number) | undefined,
): CardRead | ReadRejected {
  if (outcome.kind === 'rejected')
    return { type: 'readRejected', at, reader, reason: outcome.reason };
  const id = normaliseCardId(outcome.text);
  if (!id.ok) return { type: 'readRejected', at, reader, reason: `${id.reason}; ignored` };
  return {
    type: 'cardRead',
    at,
    card: id.card,
    reader,
    ...(mono === undefined ? {} : { mono: mono() }),
  };
}
