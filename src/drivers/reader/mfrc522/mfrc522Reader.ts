/**
 * The MFRC522 reader: the reads$ source for an RC522 board on the Pi's SPI.
 * The chip is polled in a worker thread (its bus work blocks); here its
 * messages become events, and a worker that crashes or reports a dead chip is
 * restarted with backoff, the fault reported once per incident.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { defer, filter, map, Observable, retry, timer } from 'rxjs';
import { backoffDelay } from '../../../../streams/backoff';
import { normaliseCardId } from '../../../../streams/cardId';
import type { CardRead, ReadRejected } from '../../../../streams/events';
import { describeVersion, MFRC522_VERSIONS, nameVersion } from './poller';
import { isWorkerMessage, type StopMessage, type WorkerConfig } from './protocol';
import { defaultSpi, type SpiSpec } from './spi';
import { randomUidReason } from './uid';

export interface RestartOptions {
  /** Backoff: the first restart waits up to this long (full jitter)... */
  readonly baseMs: number;
  /** ...doubling per failure up to this. */
  readonly capMs: number;
  /** A worker healthy this long before it failed starts a new incident (report, backoff from base). */
  readonly stableMs: number;
}

export interface Mfrc522ReaderOptions {
  /** The reader's name, carried on every read (the sheet's `Reader` column). */
  readonly reader: string;
  readonly now: () => number;
  /** Monotonic clock, so durations survive wall-clock jumps. */
  readonly mono?: () => number;
  readonly spi?: SpiSpec;
  /** Poll interval; default 100 ms. */
  readonly pollMs?: number;
  /** VersionReg values taken as a working chip; default 0x91, 0x92. */
  readonly versions?: readonly number[];
  readonly restart?: Partial<RestartOptions>;
  readonly random?: () => number;
  /** The worker's JavaScript file; default worker.js beside this module (see `workerScript`). */
  readonly workerScript?: string;
  /** The lock of an SPI bus shared with another RC522 (./busLock.ts). */
  readonly busLock?: SharedArrayBuffer;
}

export const defaultRestart: RestartOptions = { baseMs: 500, capMs: 30_000, stableMs: 10_000 };

/** Sightings of one random UID closer than this are one presentation, refused once. */
const RANDOM_GAP_MS = 2_000;

/** How long a worker told to stop may take before it is terminated. */
const STOP_GRACE_MS = 1_000;

/**
 * Where the worker's JavaScript is. Built, it is worker.js beside this file.
 * Run from TypeScript sources (jest), a worker thread cannot load .ts, so it
 * is the build's copy under dist/ (`npm run build` first; `npm test` does).
 */
export function workerScript(): string {
  if (__filename.endsWith('.js')) return join(__dirname, 'worker.js');
  const root = resolve(__dirname, '../../../..');
  return join(root, 'dist', relative(root, __dirname), 'worker.js');
}

type SessionEvent =
  | { readonly kind: 'seen'; readonly uid: string; readonly lagMs: number }
  | { readonly kind: 'healthy' }
  | { readonly kind: 'fault'; readonly reason: string };

/** One worker's life: its messages, then an error when it ends (so it is restarted). */
function workerSession(script: string, config: WorkerConfig): Observable<SessionEvent> {
  return new Observable<SessionEvent>((subscriber) => {
    const worker = new Worker(script, { workerData: config });
    let faulted = false;
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      switch (message.type) {
        case 'seen':
          subscriber.next({
            kind: 'seen',
            uid: message.uid,
            // How long the sighting waited for this thread (a busy main thread delays it).
            lagMs: Math.max(0, Date.now() - message.at),
          });
          return;
        case 'version':
          subscriber.next({ kind: 'healthy' });
          return;
        case 'fault':
          faulted = true;
          subscriber.next({ kind: 'fault', reason: message.reason });
          return;
      }
    });
    worker.on('error', (error: Error) => {
      faulted = true;
      subscriber.next({ kind: 'fault', reason: `the reader's worker crashed: ${error.message}` });
    });
    worker.on('exit', (code: number) => {
      if (!faulted) {
        subscriber.next({ kind: 'fault', reason: `the reader's worker ended (exit code ${code})` });
      }
      subscriber.error(new Error(`MFRC522 worker ended with code ${code}`));
    });
    return () => {
      worker.removeAllListeners();
      // An error after this point has nobody to tell; an unhandled 'error' would crash us.
      worker.on('error', () => undefined);
      const stop: StopMessage = { type: 'stop' };
      worker.postMessage(stop);
      const deadline = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      deadline.unref();
      worker.once('exit', () => {
        clearTimeout(deadline);
      });
    };
  });
}

/**
 * Makes the reads$ source for an MFRC522: every sighting (a held card is seen
 * on every poll; the core's debounce makes it one tap) becomes a read; a
 * crashed worker or a chip that stops answering becomes a rejection with the
 * reason, and the worker is restarted with backoff. Unsubscribing stops it.
 */
export function makeMfrc522Reader(
  options: Mfrc522ReaderOptions,
): Observable<CardRead | ReadRejected> {
  const { reader, now, mono } = options;
  const script = options.workerScript ?? workerScript();
  if (!existsSync(script)) {
    throw new Error(
      `the MFRC522 worker runs compiled JavaScript and ${script} is missing: run npm run build`,
    );
  }
  const config: WorkerConfig = {
    spi: options.spi ?? defaultSpi,
    pollMs: options.pollMs ?? 100,
    versions: options.versions ?? MFRC522_VERSIONS,
    ...(options.busLock === undefined ? {} : { busLock: options.busLock }),
  };
  const restart = { ...defaultRestart, ...options.restart };
  const random = options.random ?? Math.random;

  return defer(() => {
    // One incident at a time: the same fault from worker after worker is reported once.
    let failures = 0;
    let reported: string | null = null;
    let healthySince: number | null = null;
    let randomCard: string | null = null;
    let randomSeenAt = 0;

    const toEvent = (event: SessionEvent): CardRead | ReadRejected | null => {
      switch (event.kind) {
        case 'healthy':
          healthySince = performance.now();
          return null;
        case 'seen': {
          reported = null;
          const id = normaliseCardId(event.uid);
          const at = now() - event.lagMs;
          if (!id.ok) return { type: 'readRejected', at, reader, reason: id.reason };
          const random = randomUidReason(id.card);
          if (random !== null) {
            // A held phone is seen on every poll: refused once while its sightings go on.
            const seenAt = performance.now();
            const again = id.card === randomCard && seenAt - randomSeenAt < RANDOM_GAP_MS;
            randomCard = id.card;
            randomSeenAt = seenAt;
            return again ? null : { type: 'readRejected', at, reader, reason: random };
          }
          return {
            type: 'cardRead',
            at,
            card: id.card,
            reader,
            ...(mono === undefined ? {} : { mono: mono() - event.lagMs }),
          };
        }
        case 'fault': {
          const stable =
            healthySince !== null && performance.now() - healthySince >= restart.stableMs;
          healthySince = null;
          if (stable) reported = null;
          failures = stable ? 1 : failures + 1;
          if (event.reason === reported) return null;
          reported = event.reason;
          return { type: 'readRejected', at: now(), reader, reason: event.reason };
        }
      }
    };

    return workerSession(script, config).pipe(
      map(toEvent),
      filter((event): event is CardRead | ReadRejected => event !== null),
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

export interface ProbeOptions {
  readonly spi?: SpiSpec;
  /** VersionReg values taken as a working chip; default 0x91, 0x92. */
  readonly versions?: readonly number[];
  /** The longest to wait for the worker's answer; default 5 s. */
  readonly timeoutMs?: number;
  readonly workerScript?: string;
}

export type ChipProbe =
  | { readonly ok: true; readonly version: number; readonly detail: string }
  | { readonly ok: false; readonly version: number | null; readonly detail: string };

/**
 * Reads the chip's VersionReg once, in a worker (the bus work blocks), without
 * resetting it: on hardware SPI, safe beside a running clock (software SPI
 * re-drives the pins, so doctor does not probe it). The wiring check of `doctor` and
 * `badgeclock reader test`. Never rejects: a failure is a probe that says why.
 */
export function probeMfrc522(options: ProbeOptions = {}): Promise<ChipProbe> {
  const versions = options.versions ?? MFRC522_VERSIONS;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const script = options.workerScript ?? workerScript();
  if (!existsSync(script)) {
    return Promise.resolve({
      ok: false,
      version: null,
      detail: `the MFRC522 worker runs compiled JavaScript and ${script} is missing: run npm run build`,
    });
  }
  const config: WorkerConfig = {
    spi: options.spi ?? defaultSpi,
    pollMs: 0,
    versions,
    probe: true,
  };
  return new Promise((resolveProbe) => {
    const worker = new Worker(script, { workerData: config });
    // The answer comes first; the worker then closes the bus and ends, and only then is it final.
    let answer: ChipProbe | null = null;
    const deadline = setTimeout(() => {
      worker.removeAllListeners();
      // An error after this point has nobody to tell; an unhandled 'error' would crash us.
      worker.on('error', () => undefined);
      void worker.terminate();
      resolveProbe({
        ok: false,
        version: null,
        detail: `no answer from the reader's worker within ${timeoutMs / 1000} s`,
      });
    }, timeoutMs);
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message) || answer !== null) return;
      if (message.type === 'version') {
        const { version } = message;
        answer = versions.includes(version)
          ? { ok: true, version, detail: nameVersion(version) }
          : { ok: false, version, detail: describeVersion(version, versions) };
      } else if (message.type === 'fault') {
        answer = { ok: false, version: null, detail: message.reason };
      }
    });
    worker.on('error', (error: Error) => {
      answer ??= {
        ok: false,
        version: null,
        detail: `the reader's worker crashed: ${error.message}`,
      };
    });
    worker.on('exit', (code: number) => {
      clearTimeout(deadline);
      resolveProbe(
        answer ?? {
          ok: false,
          version: null,
          detail: `the reader's worker ended without an answer (exit code ${code})`,
        },
      );
    });
  });
}
