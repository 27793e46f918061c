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
import { Mfrc522Poller, sleepSync } from '../src/drivers/reader/mfrc522/poller';
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
  /** Bus time of an idle poll (virtual, from the emulator's clock; time asleep not counted). */
  readonly busMsPerIdlePoll: number;
  /** CPU time of an idle poll on a bus that blocks for real (the thread's user + system time). */
  readonly cpuMsPerIdlePoll: number;
  /** The same three for the request as mfrc522-rpi's toCard sends it (busy-reading ComIrqReg): the baseline. */
  readonly baselineIdlePoll: {
    readonly transfers: number;
    readonly busMs: number;
    readonly cpuMs: number;
  };
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
  quickRequest = true,
): {
  chip: Mfrc522Emulator;
  poller: Mfrc522Poller;
  asleepUs: () => number;
} {
  const chip = new Mfrc522Emulator({ field, ...bus, realtime });
  const MFRC522 = loadMfrc522();
  let asleep = 0;
  // On the virtual bus the poller's sleeps pass on the chip's clock; on the real-time one, for real.
  const p = new Mfrc522Poller(new MFRC522(chip), undefined, {
    quickRequest,
    ...(realtime
      ? {}
      : {
          wait: (ms: number) => {
            asleep += ms * 1000;
            chip.idle(ms * 1000);
          },
        }),
  });
  const started = p.start();
  if (!started.ok) throw new Error(started.reason);
  return { chip, poller: p, asleepUs: () => asleep };
}

/** Transfers and bus time of one poll, averaged over `polls`. */
function cost(
  field: EmulatedField,
  polls: number,
  quickRequest = true,
): { transfers: number; busMs: number } {
  const { chip, poller: p, asleepUs } = poller(field, false, quickRequest);
  p.poll();
  chip.resetCounters();
  const from = chip.elapsedUs - asleepUs();
  for (let i = 0; i < polls; i++) p.poll();
  return {
    transfers: chip.transfers / polls,
    busMs: (chip.elapsedUs - asleepUs() - from) / polls / 1000,
  };
}

/**
 * CPU time of one idle poll, averaged: each transfer blocks the thread for its
 * bus time, as spidev does; the quick request's sleep is a real sleep. The
 * chip's clock runs on bus time plus those sleeps, not on real time, so a busy
 * loop preempted by a neighbour on this shared machine is not cut short.
 */
function cpuPerIdlePoll(polls: number, quickRequest: boolean): number {
  const chip = new Mfrc522Emulator({
    field: new EmulatedField(),
    ...bus,
    realtime: true,
    followRealTime: false,
  });
  const p = new Mfrc522Poller(new (loadMfrc522())(chip), undefined, {
    quickRequest,
    wait: (ms) => {
      sleepSync(ms);
      chip.idle(ms * 1000);
    },
  });
  if (!p.start().ok) throw new Error('the emulated chip did not start');
  p.poll();
  const before = process.cpuUsage();
  for (let i = 0; i < polls; i++) p.poll();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / polls / 1000;
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

  const idle = cost(new EmulatedField(), 20);
  const baselineIdle = cost(new EmulatedField(), 20, false);
  // Alternated, so a noisy neighbour on the machine hits both alike.
  const cpu = { quick: 0, baseline: 0 };
  for (let round = 0; round < 5; round++) {
    cpu.quick += cpuPerIdlePoll(20, true) / 5;
    cpu.baseline += cpuPerIdlePoll(20, false) / 5;
  }
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
    cpuMsPerIdlePoll: cpu.quick,
    baselineIdlePoll: { ...baselineIdle, cpuMs: cpu.baseline },
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
    `  idle poll, quick request (1 ms timer, asleep meanwhile): ${result.transfersPerIdlePoll.toFixed(0)} SPI transfers, ${ms(result.busMsPerIdlePoll)} of bus time, ${ms(result.cpuMsPerIdlePoll)} of CPU`,
    `  idle poll, baseline (toCard busy-reads ComIrqReg to 5 ms): ${result.baselineIdlePoll.transfers.toFixed(0)} SPI transfers, ${ms(result.baselineIdlePoll.busMs)} of bus time, ${ms(result.baselineIdlePoll.cpuMs)} of CPU`,
    `  ratio quick/baseline: transfers ${(result.transfersPerIdlePoll / result.baselineIdlePoll.transfers).toFixed(2)}x  bus ${(result.busMsPerIdlePoll / result.baselineIdlePoll.busMs).toFixed(2)}x  CPU ${(result.cpuMsPerIdlePoll / result.baselineIdlePoll.cpuMs).toFixed(2)}x`,
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
