/**
 * The clock's readers, as configured: one (`reader` and its settings) or
 * several (`readers`: an entrance and an exit, a chip reader and a USB one).
 * Each read carries its reader's name; the reads of all readers are merged.
 * RC522s on one SPI bus share a lock, so their transfers never interleave.
 */
import type { Readable } from 'node:stream';
import { merge, type Observable } from 'rxjs';
import type { CardRead, ReadRejected } from '../../../streams/events';
import type { Config } from '../../config';
import { ID_GAP_MS, makeEvdevReader } from './evdev/evdevReader';
import { makeKeyboardReader } from './keyboardReader';
import { makeBusLockMemory } from './mfrc522/busLock';
import { makeMfrc522Reader, probeMfrc522, type ChipProbe } from './mfrc522/mfrc522Reader';
import type { SpiSpec } from './mfrc522/spi';

export type ReaderSpec =
  | { readonly kind: 'keyboard'; readonly name: string }
  | {
      readonly kind: 'mfrc522';
      readonly name: string;
      readonly spi: SpiSpec;
      readonly pollMs: number;
      readonly versions: readonly number[];
    }
  | {
      readonly kind: 'evdev';
      readonly name: string;
      readonly inputDevice: string;
      readonly inputGrab: boolean;
    };

export type Mfrc522Spec = Extract<ReaderSpec, { kind: 'mfrc522' }>;

/** Which SPI an RC522 is on: hardware spidev, or bit-banged pins when `softSpiPins` is set. */
export function spiSpecOf(spiDevice: string, softSpiPins: string | undefined): SpiSpec {
  if (softSpiPins === undefined) {
    const [bus = '0', device = '0'] = /spidev(\d+)\.(\d+)/.exec(spiDevice)?.slice(1) ?? [];
    return { kind: 'hardware', bus: Number(bus), device: Number(device), speedHz: 1_000_000 };
  }
  const [clock = 0, mosi = 0, miso = 0, client = 0] = softSpiPins.split(',').map(Number);
  return { kind: 'soft', clock, mosi, miso, client };
}

/** The readers a validated config describes; a single `reader` is a list of one. */
export function readerSpecsOf(config: Config): ReaderSpec[] {
  const entries = config.readers ?? [
    config.reader === 'mfrc522'
      ? { kind: 'mfrc522' as const, name: config.readerName }
      : config.reader === 'evdev'
        ? {
            kind: 'evdev' as const,
            name: config.readerName,
            // loadConfig refuses an evdev reader without its device.
            inputDevice: config.inputDevice ?? '',
            inputGrab: config.inputGrab,
          }
        : { kind: 'keyboard' as const, name: config.readerName },
  ];
  return entries.map((entry): ReaderSpec => {
    switch (entry.kind) {
      case 'keyboard':
        return { kind: 'keyboard', name: entry.name };
      case 'evdev':
        return entry;
      case 'mfrc522': {
        const own = 'spiDevice' in entry || 'softSpiPins' in entry;
        return {
          kind: 'mfrc522',
          name: entry.name,
          spi: own
            ? spiSpecOf(entry.spiDevice ?? config.spiDevice, entry.softSpiPins)
            : spiSpecOf(config.spiDevice, config.softSpiPins),
          pollMs: ('pollMs' in entry ? entry.pollMs : undefined) ?? config.pollMs,
          versions:
            ('chipVersions' in entry ? entry.chipVersions : undefined) ?? config.chipVersions,
        };
      }
    }
  });
}

/** The bus an SPI spec is on: chips on one bus share its lock. */
export function busOf(spi: SpiSpec): string {
  switch (spi.kind) {
    case 'hardware':
      return `spidev${spi.bus}`;
    case 'soft':
      return `soft:${spi.clock},${spi.mosi},${spi.miso}`;
    case 'module':
      return `module:${spi.module}`;
  }
}

/** What a person calls the reader, for `reader test` and doctor: `RC522 on /dev/spidev0.1`. */
export function describeReader(spec: ReaderSpec): string {
  switch (spec.kind) {
    case 'keyboard':
      return 'keyboard reader (stdin)';
    case 'evdev':
      return `USB reader on ${spec.inputDevice}${spec.inputGrab ? '' : ' (not grabbed)'}`;
    case 'mfrc522':
      return spec.spi.kind === 'hardware'
        ? `RC522 on /dev/spidev${spec.spi.bus}.${spec.spi.device}`
        : spec.spi.kind === 'soft'
          ? `RC522 on software SPI pins ${spec.spi.clock},${spec.spi.mosi},${spec.spi.miso},${spec.spi.client}`
          : `RC522 on ${spec.spi.module}`;
  }
}

/** The readers for the start-up line: `mfrc522 reader "front door"`, or each reader's name and kind. */
export function describeReaders(config: Config): string {
  const specs = readerSpecsOf(config);
  const [only] = specs;
  if (specs.length === 1 && only !== undefined) return `${only.kind} reader "${only.name}"`;
  return `readers ${specs.map((spec) => `"${spec.name}" (${spec.kind})`).join(', ')}`;
}

export interface ReadersIo {
  readonly stdin: Readable;
  /** Whether the keyboard reader reports the end of stdin as a fault (default true). */
  readonly stdinEndIsFault?: boolean;
  readonly now: () => number;
  readonly mono?: () => number;
}

/** One reader's reads. `locks` holds one lock per SPI bus, shared by the RC522s on it. */
export function makeReader(
  spec: ReaderSpec,
  io: ReadersIo,
  locks: Map<string, SharedArrayBuffer> = new Map(),
): Observable<CardRead | ReadRejected> {
  const { now, mono } = io;
  const clocks = mono === undefined ? { now } : { now, mono };
  switch (spec.kind) {
    case 'keyboard':
      return makeKeyboardReader({
        input: io.stdin,
        reader: spec.name,
        endIsFault: io.stdinEndIsFault ?? true,
        // A terminal gives whole lines; a pipe or a wedge reader's keys come as typed.
        pauseMs: 'isTTY' in io.stdin && io.stdin.isTTY === true ? null : ID_GAP_MS,
        ...clocks,
      });
    case 'evdev':
      return makeEvdevReader({
        reader: spec.name,
        device: spec.inputDevice,
        grab: spec.inputGrab,
        ...clocks,
      });
    case 'mfrc522': {
      const bus = busOf(spec.spi);
      const busLock = locks.get(bus) ?? makeBusLockMemory();
      locks.set(bus, busLock);
      return makeMfrc522Reader({
        reader: spec.name,
        ...clocks,
        pollMs: spec.pollMs,
        versions: spec.versions,
        spi: spec.spi,
        busLock,
      });
    }
  }
}

/**
 * The reads of every reader, merged: readers are independent sources, so
 * the order between them is simply when each read came. A keyboard reader's
 * end of input ends it alone (with a fault); the others go on.
 */
export function makeReaders(
  specs: readonly ReaderSpec[],
  io: ReadersIo,
): Observable<CardRead | ReadRejected> {
  const locks = new Map<string, SharedArrayBuffer>();
  return merge(...specs.map((spec) => makeReader(spec, io, locks)));
}

/** The configured readers' reads: what the clock subscribes to. */
export function makeConfiguredReaders(
  config: Config,
  io: ReadersIo,
): Observable<CardRead | ReadRejected> {
  return makeReaders(readerSpecsOf(config), io);
}

/** Reads an RC522's VersionReg once (doctor, `reader test`). */
export function probeMfrc522Spec(spec: Mfrc522Spec): Promise<ChipProbe> {
  return probeMfrc522({ spi: spec.spi, versions: spec.versions });
}
