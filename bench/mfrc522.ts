/**
 * The MFRC522 reader on the emulated chip: SPI transfers per idle poll and per
 * card read, and how late the main thread's timers fire (event-loop delay)
 * while the chip is polled at 10 Hz in the worker, against the same polling
 * on the main thread (the baseline), in the same run.
 *
 * The emulated bus blocks for real (`realtime`): 1 MHz SPI plus 40 µs per
 * transfer, about what spi-device costs from JavaScript on a Pi.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import { loadMfrc522 } from '../src/drivers/reader/mfrc522/mfrc522Rpi';
import { makeMfrc522Reader } from '../src/drivers/reader/mfrc522/mfrc522Reader';
import { Mfrc522Poller } from '../src/drivers/reader/mfrc522/poller';
import {
  EmulatedField,
  Mfrc522Emulator,
  virtualCard,
  type EmulatorOptions,
} from '../test/support/mfrc522Emulator';

export interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface Mfrc522BenchResult {
  readonly pollMs: number;
  readonly seconds: number;
  readonly transfersPerIdlePoll: number;
  /** Bus time of an idle poll (virtual, from the emulator's clock). */
  readonly busMsPerIdlePoll: number;
  readonly transfersPerRead: readonly {
    readonly uidBytes: number;
    readonly transfers: number;
    readonly busMs: number;
  }[];
  /** Main-thread event-loop delay in ms, and the sightings that arrived meanwhile. */
  readonly worker: LoopDelay & { readonly reads: number };
  readonly mainThread: LoopDelay & { readonly reads: number };
}

const bus: Omit<EmulatorOptions, 'field'> = { busHz: 1_000_000, transferOverheadUs: 40 };
const cards = [
  virtualCard('DEADBEEF'),
  virtualCard('04A3C6CAE26180'),
  virtualCard('0455667788990A0B0C0D'),
];
const card = virtualCard('04A3C6CAE26180');

const RESOLUTION_MS = 10;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

function poller(
  field: EmulatedField,
  realtime: boolean,
): {
  chip: Mfrc522Emulator;
  poller: Mfrc522Poller;
} {
  const chip = new Mfrc522Emulator({ field, ...bus, realtime });
  const MFRC522 = loadMfrc522();
  const p = new Mfrc522Poller(new MFRC522(chip));
  const started = p.start();
  if (!started.ok) throw new Error(started.reason);
  return { chip, poller: p };
}

/** Transfers and bus time of one poll, averaged over `polls`. */
function cost(field: EmulatedField, polls: number): { transfers: number; busMs: number } {
  const { chip, poller: p } = poller(field, false);
  p.poll();
  chip.resetCounters();
  const from = chip.elapsedUs;
  for (let i = 0; i < polls; i++) p.poll();
  return { transfers: chip.transfers / polls, busMs: (chip.elapsedUs - from) / polls / 1000 };
}

/** Event-loop delay while `run` polls for `seconds`, the card on the antenna for the middle half. */
async function loopDelay(
  field: EmulatedField,
  seconds: number,
  start: () => { reads: () => number; stop: () => void },
): Promise<LoopDelay & { reads: number }> {
  field.clearCards();
  const running = start();
  await sleep(500); // the worker starts; the first polls settle
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const readsBefore = running.reads();
  histogram.enable();
  const quarter = (seconds * 1000) / 4;
  await sleep(quarter);
  field.place(card);
  await sleep(2 * quarter);
  field.clearCards();
  await sleep(quarter);
  histogram.disable();
  const reads = running.reads() - readsBefore;
  running.stop();
  // Each sample is a whole timer interval: the delay is what exceeds the resolution.
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    reads,
  };
}

/** Runs the MFRC522 benchmark; about 2 × `seconds` plus a second. */
export async function mfrc522Bench(
  options: { seconds?: number; pollMs?: number } = {},
): Promise<Mfrc522BenchResult> {
  const seconds = options.seconds ?? 4;
  const pollMs = options.pollMs ?? 100;

  const idleField = new EmulatedField();
  const idle = cost(idleField, 20);
  const transfersPerRead = cards.map((c) => {
    const field = new EmulatedField();
    field.place(c);
    const { transfers, busMs } = cost(field, 20);
    return { uidBytes: c.uid.length, transfers, busMs };
  });

  const field = new EmulatedField();
  const worker = await loopDelay(field, seconds, () => {
    let reads = 0;
    const subscription: Subscription = makeMfrc522Reader({
      reader: 'bench',
      now: Date.now,
      pollMs,
      spi: {
        kind: 'module',
        module: join(__dirname, '../test/support/mfrc522Emulator.js'),
        options: { field: field.buffer, ...bus, realtime: true },
      },
    }).subscribe({
      next: (event) => {
        if (event.type === 'cardRead') reads++;
      },
      error: (error: unknown) => {
        throw error;
      },
    });
    return {
      reads: () => reads,
      stop: () => {
        subscription.unsubscribe();
      },
    };
  });

  const mainThread = await loopDelay(field, seconds, () => {
    let reads = 0;
    const { poller: p } = poller(field, true);
    const interval = setInterval(() => {
      if (p.poll().kind === 'seen') reads++;
    }, pollMs);
    return {
      reads: () => reads,
      stop: () => {
        clearInterval(interval);
      },
    };
  });

  return {
    pollMs,
    seconds,
    transfersPerIdlePoll: idle.transfers,
    busMsPerIdlePoll: idle.busMs,
    transfersPerRead,
    worker,
    mainThread,
  };
}

/** The benchmark's lines for `npm run bench`. */
export function mfrc522Report(result: Mfrc522BenchResult): string[] {
  const ms = (value: number): string => `${value.toFixed(2)} ms`;
  const delay = (d: LoopDelay): string => `p50 ${ms(d.p50)}  p99 ${ms(d.p99)}  max ${ms(d.max)}`;
  return [
    `MFRC522 reader (emulated chip, 1 MHz SPI + 40 µs a transfer; polling every ${result.pollMs} ms)`,
    `  SPI transfers per idle poll: ${result.transfersPerIdlePoll.toFixed(0)} (${ms(result.busMsPerIdlePoll)} of bus time)`,
    ...result.transfersPerRead.map(
      (r) =>
        `  SPI transfers per card read, ${r.uidBytes}-byte UID: ${r.transfers.toFixed(0)} (${ms(r.busMs)})`,
    ),
    `  main-thread event-loop delay over ${result.seconds} s, card on the reader half the time:`,
    `    polling in the worker:             ${delay(result.worker)}  (${result.worker.reads} reads)`,
    `    baseline, polling on main thread:  ${delay(result.mainThread)}  (${result.mainThread.reads} reads)`,
    `    ratio worker/baseline: p99 ${(result.worker.p99 / result.mainThread.p99).toFixed(2)}x`,
  ];
}
