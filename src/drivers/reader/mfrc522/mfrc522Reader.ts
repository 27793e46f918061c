/**
 * The MFRC522 reader: the reads$ source for an RC522 board on the Pi's SPI.
 * The chip is polled in a worker thread (its bus work blocks); here its
 * messages become events, and a worker that crashes or reports a dead chip is
 * restarted with backoff, the fault reported once per incident. One worker's
 * life is workerSession.ts; what its events mean as reads, sessionReads.ts.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { defer, filter, map, retry, timer, type Observable } from 'rxjs';
import { backoffDelay } from '../../../../streams/backoff';
import type { CardRead, ReadRejected } from '../../../../streams/events';
import { describeVersion, MFRC522_VERSIONS, nameVersion } from './poller';
import { isWorkerMessage, type WorkerConfig } from './protocol';
import { makeSessionReads } from './sessionReads';
import { defaultSpi, type SpiSpec } from './spi';
import { workerSession } from './workerSession';

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

/**
 * Makes the reads$ source for an MFRC522: every sighting (a held card is seen
 * on every poll; the core's debounce makes it one tap) becomes a read; a
 * crashed worker or a chip that stops answering becomes a rejection with the
 * reason, and the worker is restarted with backoff. Unsubscribing stops it.
 */
export function makeMfrc522Reader(
  options: Mfrc522ReaderOptions,
): Observable<CardRead | ReadRejected> {
  const script = options.workerScript ?? workerScript();
  if (!existsSync(script)) {
    throw new Error(
      `the MFRC522 worker runs compiled JavaScript and ${script} is missing: run npm run build`,
    );
  }
  const config = workerConfigOf(options);
  const restart = { ...defaultRestart, ...options.restart };
  const random = options.random ?? Math.random;

  return defer(() => {
    const reads = makeSessionReads({
      reader: options.reader,
      now: options.now,
      mono: options.mono,
      stableMs: restart.stableMs,
    });
    return workerSession(script, config).pipe(
      map(reads.toEvent),
      filter((event): event is CardRead | ReadRejected => event !== null),
      retry({
        delay: () =>
          timer(
            backoffDelay(reads.failures(), random, null, {
              baseMs: restart.baseMs,
              capMs: restart.capMs,
              maxRetryAfterMs: 0,
            }),
          ),
      }),
    );
  });
}

/** What the worker is told: the SPI, the poll interval, the versions taken as working, the bus lock. */
function workerConfigOf(options: Mfrc522ReaderOptions): WorkerConfig {
  return {
    spi: options.spi ?? defaultSpi,
    pollMs: options.pollMs ?? 100,
    versions: options.versions ?? MFRC522_VERSIONS,
    ...(options.busLock === undefined ? {} : { busLock: options.busLock }),
  };
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
