/**
 * A register-level MFRC522 behind the SPI object `mfrc522-rpi` drives
 * (`open()`, `write(bytes)`, `transfer(bytes)`), with virtual ISO/IEC 14443-A
 * cards on its antenna. No hardware: tests and the benchmark run the real
 * driver code against it.
 *
 * What is modelled (NXP MFRC522 data sheet; ISO/IEC 14443-3):
 * - the SPI address byte (bit 7 read=1/write=0, bits 6..1 address, bit 0 = 0),
 *   register reads returned one byte late, burst writes to one address;
 * - the 64-byte FIFO, FIFOLevelReg and its FlushBuffer bit, water-level alerts;
 * - CommandReg: Idle, CalcCRC, Transmit, Transceive (with BitFramingReg
 *   StartSend, TxLastBits, RxAlign), MFAuthent, SoftReset;
 * - ComIrqReg / DivIrqReg with their Set1/Set2 write semantics, ErrorReg,
 *   Status1Reg, Status2Reg (MFCrypto1On), ControlReg (RxLastBits, TStartNow,
 *   TStopNow), CollReg (CollPos), TxModeReg/RxModeReg CRC enables;
 * - the CRC_A coprocessor (CRCResultReg, preset from ModeReg);
 * - the timer (TModeReg TAuto, TPrescaler, TReload): it starts at the end of a
 *   transmission and raises TimerIRq when no card answers in time;
 * - time: every SPI transfer takes bus time (clock rate plus a per-transfer
 *   overhead), and the RF side (frame durations at 106 kbit/s, the card's frame
 *   delay time, the timer) runs on that same virtual clock. With `realtime`
 *   each transfer also busy-waits its bus time, as a real bus would block.
 * - cards: REQA/WUPA (ATQA), anticollision and SELECT at cascade levels 1-3
 *   (cascade tag 0x88, BCC, SAK with bit 0x04 while the UID is incomplete,
 *   CRC_A on SELECT), HLTA, READ, and MFAuthent (key and UID checked; the
 *   Crypto1 cipher itself is not modelled, so READ answers in plain text).
 *
 * The world outside the chip (which cards are on the antenna, faults) lives in
 * an `EmulatedField` backed by a SharedArrayBuffer, so a test can move cards
 * while the chip runs in a worker thread, and the field outlives worker restarts.
 */
import { performance } from 'node:perf_hooks';

// ---- the field: cards on the antenna, and faults ---------------------------

/** A virtual ISO/IEC 14443-A card. Plain data, so it can cross threads. */
export interface VirtualCard {
  /** 4, 7 or 10 bytes. */
  readonly uid: readonly number[];
  /** Answer to request, as sent (least significant byte first). */
  readonly atqa: readonly [number, number];
  /** The final SAK (cascade levels before it answer 0x04). */
  readonly sak: number;
  /** MIFARE Classic keys A and B for every sector. */
  readonly keyA: readonly number[];
  readonly keyB: readonly number[];
  /** The card is pulled away after answering this many frames (a fault). */
  readonly leavesAfterFrames?: number;
}

/** What the chip reads when it is dead: MISO stuck low or high. */
export type ChipCondition = 'ok' | 'stuckLow' | 'stuckHigh';

/**
 * Noise on the card-to-reader link, applied to a card's answer with
 * probability `rate`:
 * - `flip`: one bit flipped where parity cannot see it (two errors in a byte);
 * - `parity`: one bit flipped, and the chip flags ParityErr;
 * - `bcc`: the last byte of an anticollision answer (the BCC) is wrong;
 * - `crc`: a CRC_A-protected answer carries a wrong CRC;
 * - `truncate`: the answer stops early (bits lost at the end);
 * - `collision`: the chip flags a bit collision that is not there.
 */
export type NoiseKind = 'flip' | 'parity' | 'bcc' | 'crc' | 'truncate' | 'collision';

export interface NoiseSpec {
  readonly rate: number;
  readonly kinds: readonly NoiseKind[];
  readonly seed: number;
}

export interface FieldState {
  readonly chip: ChipCondition;
  readonly cards: readonly VirtualCard[];
  readonly noise: NoiseSpec | null;
  /** When set, every SPI transfer throws this (an I/O error from the bus). */
  readonly spiError: string | null;
  /** Bumped to power-cycle the chip (a brown-out): its registers return to reset values. */
  readonly powerCycles: number;
}

const emptyField: FieldState = {
  chip: 'ok',
  cards: [],
  noise: null,
  spiError: null,
  powerCycles: 0,
};

const FIELD_BYTES = 64 * 1024;
/** Sequence, length, chips opened, chips closed, frames sent (Int32 each), spare. */
const HEADER_BYTES = 32;

/**
 * The antenna's surroundings, shared between threads: one writer (the test)
 * changes it, chips in any thread read it. A sequence lock (odd while writing)
 * keeps readers from seeing half a write.
 */
export class EmulatedField {
  private readonly header: Int32Array;
  private readonly body: Uint8Array;
  private cachedSeq = -1;
  private cached: FieldState = emptyField;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(FIELD_BYTES)) {
    this.header = new Int32Array(buffer, 0, 8);
    this.body = new Uint8Array(buffer, HEADER_BYTES);
    if (Atomics.load(this.header, 0) === 0) this.write(emptyField);
  }

  /** The current state (parsed once per change). */
  read(): FieldState {
    for (;;) {
      const before = Atomics.load(this.header, 0);
      if (before % 2 === 1) continue;
      if (before === this.cachedSeq) return this.cached;
      const length = Atomics.load(this.header, 1);
      const copy = this.body.slice(0, length);
      if (Atomics.load(this.header, 0) !== before) continue;
      this.cached = parseField(new TextDecoder().decode(copy));
      this.cachedSeq = before;
      return this.cached;
    }
  }

  /** Times a chip on this field was opened (mfrc522-rpi opens its SPI once per driver): worker starts. */
  get opens(): number {
    return Atomics.load(this.header, 2);
  }

  /** Times a chip on this field was closed: workers that stopped cleanly. */
  get closes(): number {
    return Atomics.load(this.header, 3);
  }

  /** Frames chips on this field sent to the antenna (a poll begins with one: WUPA). */
  get frames(): number {
    return Atomics.load(this.header, 4);
  }

  /** Any thread may count (atomically): these are not part of the single-writer state. */
  countOpen(): void {
    Atomics.add(this.header, 2, 1);
  }

  countClose(): void {
    Atomics.add(this.header, 3, 1);
  }

  countFrame(): void {
    Atomics.add(this.header, 4, 1);
  }

  place(card: VirtualCard): void {
    const state = this.read();
    const others = state.cards.filter((c) => hex(c.uid) !== hex(card.uid));
    this.write({ ...state, cards: [...others, card] });
  }

  remove(card: VirtualCard | string): void {
    const uid = typeof card === 'string' ? card.toUpperCase() : hex(card.uid);
    const state = this.read();
    this.write({ ...state, cards: state.cards.filter((c) => hex(c.uid) !== uid) });
  }

  clearCards(): void {
    this.write({ ...this.read(), cards: [] });
  }

  setChip(chip: ChipCondition): void {
    this.write({ ...this.read(), chip });
  }

  setNoise(noise: NoiseSpec | null): void {
    this.write({ ...this.read(), noise });
  }

  setSpiError(spiError: string | null): void {
    this.write({ ...this.read(), spiError });
  }

  powerCycle(): void {
    const state = this.read();
    this.write({ ...state, powerCycles: state.powerCycles + 1 });
  }

  private write(state: FieldState): void {
    const bytes = new TextEncoder().encode(JSON.stringify(state));
    if (bytes.length > this.body.length) throw new Error('emulated field: state too large');
    Atomics.add(this.header, 0, 1);
    this.body.set(bytes);
    Atomics.store(this.header, 1, bytes.length);
    Atomics.add(this.header, 0, 1);
  }
}

function parseField(text: string): FieldState {
  const value: unknown = JSON.parse(text);
  if (!isFieldState(value)) throw new Error('emulated field: unreadable state');
  return value;
}

function isFieldState(value: unknown): value is FieldState {
  return (
    typeof value === 'object' &&
    value !== null &&
    'chip' in value &&
    'cards' in value &&
    Array.isArray(value.cards) &&
    'powerCycles' in value &&
    typeof value.powerCycles === 'number'
  );
}

/**
 * A card with the ATQA and SAK its UID size usually comes with: 4 bytes, a
 * MIFARE Classic 1K (ATQA 0x0004, SAK 0x08); 7 bytes, an NTAG213 / Ultralight
 * (0x0044, 0x00); 10 bytes, a triple-size ISO 14443-4 card (0x0084, 0x20).
 */
export function virtualCard(uidHex: string, options: Partial<VirtualCard> = {}): VirtualCard {
  const uid = fromHex(uidHex);
  if (![4, 7, 10].includes(uid.length)) throw new Error(`a UID is 4, 7 or 10 bytes: ${uidHex}`);
  const defaults =
    uid.length === 4
      ? { atqa: [0x04, 0x00] as const, sak: 0x08 }
      : uid.length === 7
        ? { atqa: [0x44, 0x00] as const, sak: 0x00 }
        : { atqa: [0x84, 0x00] as const, sak: 0x20 };
  const defaultKey = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  return { uid, ...defaults, keyA: defaultKey, keyB: defaultKey, ...options };
}

export function fromHex(text: string): number[] {
  const clean = text.replace(/[^0-9a-fA-F]/g, '');
  const bytes: number[] = [];
  for (let i = 0; i + 1 < clean.length; i += 2) bytes.push(parseInt(clean.slice(i, i + 2), 16));
  return bytes;
}

export function hex(bytes: readonly number[]): string {
  return bytes
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/** CRC_A (ISO/IEC 14443-3 annex B), low byte first. The emulator's own, independent of the driver's. */
export function crc16A(bytes: readonly number[], preset = 0x6363): [number, number] {
  let crc = preset;
  for (const byte of bytes) {
    let bit = byte ^ (crc & 0xff);
    bit = (bit ^ (bit << 4)) & 0xff;
    crc = ((crc >> 8) ^ (bit << 8) ^ (bit << 3) ^ (bit >> 4)) & 0xffff;
  }
  return [crc & 0xff, crc >> 8];
}

// ---- the chip -------------------------------------------------------------

const R = {
  Command: 0x01,
  ComIEn: 0x02,
  DivIEn: 0x03,
  ComIrq: 0x04,
  DivIrq: 0x05,
  Error: 0x06,
  Status1: 0x07,
  Status2: 0x08,
  FIFOData: 0x09,
  FIFOLevel: 0x0a,
  WaterLevel: 0x0b,
  Control: 0x0c,
  BitFraming: 0x0d,
  Coll: 0x0e,
  Mode: 0x11,
  TxMode: 0x12,
  RxMode: 0x13,
  TxControl: 0x14,
  CRCResultH: 0x21,
  CRCResultL: 0x22,
  TMode: 0x2a,
  TPrescaler: 0x2b,
  TReloadH: 0x2c,
  TReloadL: 0x2d,
  TCounterH: 0x2e,
  TCounterL: 0x2f,
  Version: 0x37,
} as const;

const CMD = {
  Idle: 0x00,
  CalcCRC: 0x03,
  Transmit: 0x04,
  NoCmdChange: 0x07,
  Receive: 0x08,
  Transceive: 0x0c,
  MFAuthent: 0x0e,
  SoftReset: 0x0f,
} as const;

const IRQ = {
  Tx: 0x40,
  Rx: 0x20,
  Idle: 0x10,
  HiAlert: 0x08,
  LoAlert: 0x04,
  Err: 0x02,
  Timer: 0x01,
};
const DIV_CRC_IRQ = 0x04;
const ERR = { BufferOvfl: 0x10, Coll: 0x08, CRC: 0x04, Parity: 0x02, Protocol: 0x01 };
const FIFO_SIZE = 64;

/** Reset values (data sheet, register overview); unlisted registers reset to 0x00. */
const RESET_VALUES: readonly (readonly [number, number])[] = [
  [R.Command, 0x20],
  [R.ComIEn, 0x80],
  [R.ComIrq, 0x14],
  [R.Status1, 0x21],
  [R.WaterLevel, 0x08],
  [R.Control, 0x10],
  [R.Coll, 0xa0],
  [R.Mode, 0x3f],
  [R.TxControl, 0x80],
  [0x16, 0x10],
  [0x17, 0x84],
  [0x18, 0x84],
  [0x19, 0x4d],
  [0x1c, 0x62],
  [0x1f, 0xeb],
  [R.CRCResultH, 0xff],
  [R.CRCResultL, 0xff],
  [0x24, 0x26],
  [0x26, 0x48],
  [0x27, 0x88],
  [0x28, 0x20],
  [0x29, 0x20],
  [0x33, 0x80],
  [0x36, 0x40],
];

/** One ETU at 106 kbit/s: 128 carrier cycles of 13.56 MHz. */
const ETU_US = 128 / 13.56;
/** Frame delay time, end of the reader's frame to the card's answer (1236/fc). */
const FDT_US = 1236 / 13.56;
/** MFAuthent's exchanges with the card take about this long. */
const AUTH_US = 1_000;

export interface EmulatorOptions {
  readonly field: EmulatedField;
  /** VersionReg: 0x91 (v1.0) or 0x92 (v2.0). */
  readonly version?: number;
  /** SPI clock. */
  readonly busHz?: number;
  /** Fixed cost of one transfer beyond its bits (system call, chip select). */
  readonly transferOverheadUs?: number;
  /** Busy-wait each transfer's bus time, so the caller blocks as on real hardware. */
  readonly realtime?: boolean;
  /**
   * The chip's clock catches up with real time at each transfer, as a real
   * chip's runs on while the driver sleeps; default: `realtime`. False keeps
   * it on bus time alone (and `idle`), so a busy loop costs the same CPU on
   * a loaded machine as on an idle one.
   */
  readonly followRealTime?: boolean;
  /** A bus shared with other chips, watched for interleaved conversations (see `BusMonitor`). */
  readonly bus?: BusMonitor;
  /** This chip's number on that bus (not 0). */
  readonly chipId?: number;
}

/** VersionReg read as mfrc522-rpi sends it: the first transfer of every poll and start. */
const VERSION_READ = 0x80 | (0x37 << 1);

/**
 * One SPI bus shared by several emulated chips, possibly in several threads.
 * Chips may take turns on it between conversations (a poll or a start, each
 * beginning with a read of VersionReg); a transfer of one chip landing in the
 * middle of another's conversation is counted as an interleaving.
 */
export class BusMonitor {
  private readonly cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.cells = new Int32Array(buffer, 0, 3);
  }

  /** Records a transfer of chip `chipId`; `opens` tells whether it begins a conversation. */
  transfer(chipId: number, opens: boolean): void {
    const previous = Atomics.exchange(this.cells, 0, chipId);
    if (previous !== 0 && previous !== chipId) {
      Atomics.add(this.cells, 1, 1);
      if (!opens) Atomics.add(this.cells, 2, 1);
    }
  }

  /** Times the bus passed from one chip to another. */
  get turns(): number {
    return Atomics.load(this.cells, 1);
  }

  /** Times it passed in the middle of a conversation. */
  get interleavings(): number {
    return Atomics.load(this.cells, 2);
  }
}

type CardPhase = 'idle' | 'ready' | 'active' | 'halt';

interface CardState {
  readonly card: VirtualCard;
  phase: CardPhase;
  /** Woken from HALT (READY*, ACTIVE*): errors send it back to HALT, not IDLE. */
  fromHalt: boolean;
  /** Cascade level being selected (1-3) while READY. */
  level: number;
  answered: number;
  authenticated: boolean;
}

interface Answer {
  readonly bits: readonly number[];
  /** The answer carries a CRC_A in its last two bytes (noise may corrupt it). */
  readonly crc: boolean;
  /** An anticollision answer ending in its BCC. */
  readonly bcc: boolean;
}

interface Pending {
  readonly at: number;
  readonly run: () => void;
  readonly kind: 'timer' | 'rx' | 'auth' | 'tx';
}

/** The MFRC522, as an SPI object. */
export class Mfrc522Emulator {
  /** SPI transfers (write or transfer calls) since construction or `resetCounters()`. */
  transfers = 0;
  /** Address bytes with bit 0 set (a driver bug): the transfer is ignored. */
  addressErrors = 0;
  /** Frames the chip sent to the antenna. */
  framesSent = 0;

  private readonly field: EmulatedField;
  private readonly version: number;
  private readonly busHz: number;
  private readonly overheadUs: number;
  private readonly realtime: boolean;
  private readonly followRealTime: boolean;
  private readonly bus: BusMonitor | undefined;
  private readonly chipId: number;
  private readonly regs = new Uint8Array(64);
  private fifo: number[] = [];
  private nowUs = 0;
  private pending: Pending[] = [];
  private timerRunning = false;
  private timerStartUs = 0;
  private crc = 0;
  /** The command CommandReg is executing. */
  private running: number = CMD.Idle;
  private waitingForStartSend = false;
  private cards = new Map<string, CardState>();
  private deadBefore = false;
  private powerCycles = 0;
  private noiseKey = '';
  private random: () => number = () => 0;
  private opened = false;
  /** performance.now() at power-on less the virtual time then: where `realtime` follows the real clock from. */
  private readonly realStartMs = performance.now();

  constructor(options: EmulatorOptions) {
    this.field = options.field;
    this.version = options.version ?? 0x92;
    this.busHz = options.busHz ?? 1_000_000;
    this.overheadUs = options.transferOverheadUs ?? 40;
    this.realtime = options.realtime ?? false;
    this.followRealTime = options.followRealTime ?? this.realtime;
    this.bus = options.bus;
    this.chipId = options.chipId ?? 1;
    this.powerCycles = this.field.read().powerCycles;
    this.powerOn();
  }

  /**
   * Time passes on the chip without bus traffic (the driver sleeps): its
   * timer runs and cards answer. With `realtime` this happens by itself.
   */
  idle(us: number): void {
    this.advance(us);
  }

  /** Virtual microseconds since power-on. */
  get elapsedUs(): number {
    return this.nowUs;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  resetCounters(): void {
    this.transfers = 0;
    this.addressErrors = 0;
    this.framesSent = 0;
  }

  open(): void {
    this.opened = true;
    this.field.countOpen();
  }

  close(): void {
    if (this.opened) this.field.countClose();
    this.opened = false;
  }

  write(bytes: ArrayLike<number>): void {
    this.transfer(bytes);
  }

  /** Full duplex: byte i of the answer is what the chip shifted out while byte i went in. */
  transfer(bytes: ArrayLike<number>): Uint8Array {
    this.bus?.transfer(this.chipId, bytes[0] === VERSION_READ);
    const state = this.beginTransfer(bytes.length);
    const out = new Uint8Array(bytes.length);
    if (state.chip !== 'ok') {
      out.fill(state.chip === 'stuckHigh' ? 0xff : 0x00);
      return out;
    }
    const first = bytes[0] ?? 0;
    if ((first & 0x01) !== 0) {
      this.addressErrors++;
      return out;
    }
    const address = (first >> 1) & 0x3f;
    if ((first & 0x80) === 0) {
      for (let i = 1; i < bytes.length; i++) this.writeRegister(address, bytes[i] ?? 0);
      return out;
    }
    // A read: every byte but the last names a register; its value comes out during the next byte.
    for (let i = 0; i + 1 < bytes.length; i++) {
      const byte = bytes[i] ?? 0;
      out[i + 1] = (byte & 0x81) === 0x80 ? this.readRegister((byte >> 1) & 0x3f) : 0;
    }
    return out;
  }

  // ---- time and power ----

  private beginTransfer(length: number): FieldState {
    this.transfers++;
    const state = this.field.read();
    if (state.spiError !== null) throw new Error(state.spiError);
    const us = this.overheadUs + (length * 8 * 1e6) / this.busHz;
    if (this.realtime) {
      const until = performance.now() + us / 1000;
      while (performance.now() < until) {
        // the bus is busy
      }
    }
    if (state.chip !== 'ok') {
      this.deadBefore = true;
      return state;
    }
    if (this.deadBefore || state.powerCycles !== this.powerCycles) {
      this.deadBefore = false;
      this.powerCycles = state.powerCycles;
      this.powerOn();
    }
    // A real chip's clock runs while the driver sleeps between transfers: in realtime, so does this one.
    const behindUs = this.followRealTime
      ? (performance.now() - this.realStartMs) * 1000 - us - this.nowUs
      : 0;
    if (behindUs > 0) this.advance(behindUs);
    this.advance(us);
    return state;
  }

  private powerOn(): void {
    this.regs.fill(0);
    for (const [address, value] of RESET_VALUES) this.regs[address] = value;
    this.regs[R.Version] = this.version;
    this.fifo = [];
    this.pending = [];
    this.timerRunning = false;
    this.running = CMD.Idle;
    this.crc = 0;
    this.waitingForStartSend = false;
    this.cards.clear();
  }

  private advance(us: number): void {
    const until = this.nowUs + us;
    for (;;) {
      const next = this.pending.reduce<Pending | null>(
        (soonest, p) => (p.at <= until && (soonest === null || p.at < soonest.at) ? p : soonest),
        null,
      );
      if (next === null) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.nowUs = Math.max(this.nowUs, next.at);
      next.run();
    }
    this.nowUs = until;
  }

  private schedule(kind: Pending['kind'], at: number, run: () => void): void {
    this.pending.push({ kind, at, run });
  }

  private cancel(kind: Pending['kind']): void {
    this.pending = this.pending.filter((p) => p.kind !== kind);
  }

  // ---- registers ----

  private reg(address: number): number {
    return this.regs[address] ?? 0;
  }

  private readRegister(address: number): number {
    switch (address) {
      case R.Command:
        return (this.reg(R.Command) & 0x30) | this.command();
      case R.FIFOData: {
        const byte = this.fifo.shift() ?? 0;
        this.updateAlerts();
        return byte;
      }
      case R.FIFOLevel:
        return this.fifo.length;
      case R.Status1:
        return this.status1();
      case R.TCounterH:
        return this.timerCounter() >> 8;
      case R.TCounterL:
        return this.timerCounter() & 0xff;
      default:
        return this.reg(address);
    }
  }

  private writeRegister(address: number, value: number): void {
    switch (address) {
      case R.Command:
        this.regs[R.Command] = value & 0x30;
        this.startCommand(value & 0x0f);
        return;
      case R.ComIrq:
        this.setOrClear(R.ComIrq, value, 0x7f);
        return;
      case R.DivIrq:
        this.setOrClear(R.DivIrq, value, 0x14);
        return;
      case R.Error:
      case R.Status1:
      case R.Version:
      case R.TCounterH:
      case R.TCounterL:
      case R.CRCResultH:
      case R.CRCResultL:
        return;
      case R.Status2:
        this.regs[R.Status2] = (this.reg(R.Status2) & 0x07) | (value & 0xc8);
        return;
      case R.FIFOData:
        // While CalcCRC runs, bytes written to the FIFO go on into the calculation.
        if (this.running === CMD.CalcCRC) this.feedCrc([value]);
        else this.pushFifo(value);
        this.updateAlerts();
        return;
      case R.FIFOLevel:
        if ((value & 0x80) !== 0) {
          this.fifo = [];
          this.regs[R.Error] = this.reg(R.Error) & ~ERR.BufferOvfl;
          this.updateAlerts();
        }
        return;
      case R.Control:
        if ((value & 0x80) !== 0) this.stopTimer();
        if ((value & 0x40) !== 0) this.startTimer();
        return;
      case R.BitFraming:
        this.regs[R.BitFraming] = value;
        if ((value & 0x80) !== 0 && this.waitingForStartSend) {
          this.waitingForStartSend = false;
          this.transmit(true);
        }
        return;
      case R.Coll:
        this.regs[R.Coll] = (this.reg(R.Coll) & 0x7f) | (value & 0x80);
        return;
      default:
        this.regs[address] = value;
    }
  }

  /** ComIrqReg/DivIrqReg: bit 7 set marks the given bits to be set, clear to be cleared. */
  private setOrClear(address: number, value: number, mask: number): void {
    const bits = value & mask;
    this.regs[address] =
      (value & 0x80) !== 0 ? this.reg(address) | bits : this.reg(address) & ~bits & 0xff;
  }

  private raise(bits: number): void {
    this.regs[R.ComIrq] = this.reg(R.ComIrq) | bits;
  }

  private command(): number {
    return this.running;
  }

  private setCommand(command: number): void {
    this.running = command;
  }

  private status1(): number {
    const level = this.fifo.length;
    const water = this.reg(R.WaterLevel) & 0x3f;
    const anyIrq = (this.reg(R.ComIrq) & this.reg(R.ComIEn) & 0x7f) !== 0;
    return (
      (this.crc === 0 ? 0x40 : 0) | // CRCOk
      0x20 | // CRCReady: the coprocessor finishes at once here
      (anyIrq ? 0x10 : 0) |
      (this.timerRunning ? 0x08 : 0) |
      (FIFO_SIZE - level <= water ? 0x02 : 0) |
      (level <= water ? 0x01 : 0)
    );
  }

  private pushFifo(byte: number): void {
    if (this.fifo.length >= FIFO_SIZE) {
      this.regs[R.Error] = this.reg(R.Error) | ERR.BufferOvfl;
      this.raise(IRQ.Err);
      return;
    }
    this.fifo.push(byte & 0xff);
  }

  private updateAlerts(): void {
    const status = this.status1();
    if ((status & 0x02) !== 0) this.raise(IRQ.HiAlert);
    if ((status & 0x01) !== 0) this.raise(IRQ.LoAlert);
  }

  // ---- the timer ----

  private timerPeriodUs(): number {
    const prescaler = ((this.reg(R.TMode) & 0x0f) << 8) | this.reg(R.TPrescaler);
    const reload = (this.reg(R.TReloadH) << 8) | this.reg(R.TReloadL);
    return ((2 * prescaler + 1) * (reload + 1)) / 13.56;
  }

  private startTimer(at = this.nowUs): void {
    this.cancel('timer');
    this.timerRunning = true;
    this.timerStartUs = at;
    this.schedule('timer', at + this.timerPeriodUs(), () => {
      this.raise(IRQ.Timer);
      if ((this.reg(R.TMode) & 0x10) !== 0) this.startTimer(this.nowUs);
      else this.timerRunning = false;
    });
  }

  private stopTimer(): void {
    this.cancel('timer');
    this.timerRunning = false;
  }

  private timerCounter(): number {
    const reload = (this.reg(R.TReloadH) << 8) | this.reg(R.TReloadL);
    if (!this.timerRunning) return 0;
    const period = this.timerPeriodUs();
    const left = 1 - (this.nowUs - this.timerStartUs) / period;
    return Math.max(0, Math.round(left * reload));
  }

  // ---- commands ----

  private startCommand(command: number): void {
    if (command === CMD.NoCmdChange) return;
    this.cancel('rx');
    this.cancel('auth');
    this.waitingForStartSend = false;
    switch (command) {
      case CMD.SoftReset:
        this.powerOn();
        return;
      case CMD.Idle:
        this.setCommand(CMD.Idle);
        return;
      case CMD.CalcCRC: {
        this.setCommand(CMD.CalcCRC);
        const preset = [0x0000, 0x6363, 0xa671, 0xffff][this.reg(R.Mode) & 0x03] ?? 0x6363;
        this.crc = preset;
        const bytes = this.fifo;
        this.fifo = [];
        this.feedCrc(bytes);
        this.updateAlerts();
        return;
      }
      case CMD.Transceive:
        this.setCommand(CMD.Transceive);
        if ((this.reg(R.BitFraming) & 0x80) !== 0) this.transmit(true);
        else this.waitingForStartSend = true;
        return;
      case CMD.Transmit:
        this.setCommand(CMD.Transmit);
        this.transmit(false);
        return;
      case CMD.MFAuthent:
        this.setCommand(CMD.MFAuthent);
        this.authenticate();
        return;
      default:
        // Mem, GenerateRandomID, Receive: not modelled; the chip just sits in the command.
        this.setCommand(command);
    }
  }

  /** CalcCRC: the coprocessor takes bytes as they come and keeps the running result. */
  private feedCrc(bytes: readonly number[]): void {
    for (const byte of bytes) {
      let bit = byte ^ (this.crc & 0xff);
      bit = (bit ^ (bit << 4)) & 0xff;
      this.crc = ((this.crc >> 8) ^ (bit << 8) ^ (bit << 3) ^ (bit >> 4)) & 0xffff;
    }
    this.regs[R.CRCResultH] = this.crc >> 8;
    this.regs[R.CRCResultL] = this.crc & 0xff;
    this.regs[R.DivIrq] = this.reg(R.DivIrq) | DIV_CRC_IRQ;
  }

  /** Sends the FIFO to the antenna; with `receive`, waits for the cards' answer. */
  private transmit(receive: boolean): void {
    const txLastBits = this.reg(R.BitFraming) & 0x07;
    let bytes = this.fifo;
    this.fifo = [];
    this.updateAlerts();
    if ((this.reg(R.TxMode) & 0x80) !== 0) bytes = [...bytes, ...crc16A(bytes)];
    const bits = toBits(bytes, txLastBits);
    this.framesSent++;
    this.field.countFrame();
    this.regs[R.Error] = this.reg(R.Error) & ERR.BufferOvfl;
    const txEnd = this.nowUs + (bits.length + Math.floor(bits.length / 8) + 2) * ETU_US;
    this.schedule('tx', txEnd, () => {
      this.raise(IRQ.Tx);
      if (!receive) {
        this.raise(IRQ.Idle);
        this.setCommand(CMD.Idle);
      }
    });
    if ((this.reg(R.TMode) & 0x80) !== 0) this.startTimer(txEnd);
    const answer = this.exchange(bits);
    if (!receive || answer === null) return;
    const rxStart = txEnd + FDT_US;
    const rxEnd = rxStart + (answer.bits.length + Math.floor(answer.bits.length / 8) + 2) * ETU_US;
    // With TAuto the timer stops once the answer begins (its fifth bit).
    this.schedule('rx', rxStart + 5 * ETU_US, () => {
      if (this.timerRunning && (this.reg(R.TMode) & 0x80) !== 0) this.stopTimer();
    });
    this.schedule('rx', rxEnd, () => {
      this.receive(answer);
    });
  }

  /** Every powered card hears the frame; the answers overlap on the air. */
  private exchange(bits: readonly number[]): Received | null {
    const antennaOn = (this.reg(R.TxControl) & 0x03) !== 0;
    const state = this.field.read();
    this.syncCards(antennaOn ? state.cards : []);
    const answers: Answer[] = [];
    for (const card of this.cards.values()) {
      const answer = this.cardHears(card, bits);
      if (answer !== null) answers.push(answer);
    }
    if (answers.length === 0) return null;
    return this.addNoise(combine(answers), state.noise);
  }

  private receive(received: Received): void {
    const rxAlign = (this.reg(R.BitFraming) >> 4) & 0x07;
    let bits = received.bits;
    const collision = received.collisionAt;
    if (collision !== null && (this.reg(R.Coll) & 0x80) === 0) {
      // ValuesAfterColl = 0: bits received after a collision read as zero.
      bits = bits.map((b, i) => (i > collision ? 0 : b));
    }
    const aligned = [...new Array<number>(rxAlign).fill(0), ...bits];
    let bytes = fromBits(aligned);
    let errors = received.parityError ? ERR.Parity : 0;
    if (collision !== null) {
      errors |= ERR.Coll;
      const position = (rxAlign + collision + 1) & 0x1f;
      this.regs[R.Coll] = (this.reg(R.Coll) & 0x80) | position;
    } else {
      this.regs[R.Coll] = (this.reg(R.Coll) & 0x80) | 0x20;
    }
    if ((this.reg(R.RxMode) & 0x80) !== 0 && bytes.length >= 2) {
      const body = bytes.slice(0, -2);
      const [lo, hi] = crc16A(body);
      if (bytes[bytes.length - 2] !== lo || bytes[bytes.length - 1] !== hi) errors |= ERR.CRC;
      bytes = body;
    }
    for (const byte of bytes) this.pushFifo(byte);
    this.regs[R.Control] = (this.reg(R.Control) & 0xf8) | (aligned.length % 8);
    this.regs[R.Error] = this.reg(R.Error) | errors;
    this.raise(IRQ.Rx | (errors !== 0 ? IRQ.Err : 0));
    this.updateAlerts();
  }

  private authenticate(): void {
    const frame = this.fifo;
    this.fifo = [];
    this.updateAlerts();
    const sentAt = this.nowUs + (frame.length * 9 + 2) * ETU_US;
    if ((this.reg(R.TMode) & 0x80) !== 0) this.startTimer(sentAt);
    if (frame.length !== 12) {
      this.regs[R.Error] = this.reg(R.Error) | ERR.Protocol;
      this.raise(IRQ.Err);
      return;
    }
    const antennaOn = (this.reg(R.TxControl) & 0x03) !== 0;
    this.syncCards(antennaOn ? this.field.read().cards : []);
    const [keyType = 0, , ...rest] = frame;
    const key = rest.slice(0, 6);
    const uid = rest.slice(6, 10);
    for (const card of this.cards.values()) {
      if (card.phase !== 'active' || !answers(card)) continue;
      const expectedKey = keyType === 0x61 ? card.card.keyB : card.card.keyA;
      const authUid = card.card.uid.length === 4 ? card.card.uid : card.card.uid.slice(3, 7);
      const isClassic = (card.card.sak & 0x18) !== 0;
      if (isClassic && sameBytes(key, expectedKey) && sameBytes(uid, authUid)) {
        card.answered++;
        this.schedule('auth', sentAt + AUTH_US, () => {
          card.authenticated = true;
          this.stopTimer();
          this.regs[R.Status2] = this.reg(R.Status2) | 0x08;
          this.raise(IRQ.Idle);
          this.setCommand(CMD.Idle);
        });
        return;
      }
      // A wrong key: the card stops answering and falls back.
      leave(card);
    }
  }

  // ---- the cards ----

  private syncCards(present: readonly VirtualCard[]): void {
    const ids = new Set(present.map((c) => hex(c.uid)));
    for (const id of [...this.cards.keys()]) if (!ids.has(id)) this.cards.delete(id);
    for (const card of present) {
      const id = hex(card.uid);
      if (!this.cards.has(id)) {
        this.cards.set(id, {
          card,
          phase: 'idle',
          fromHalt: false,
          level: 1,
          answered: 0,
          authenticated: false,
        });
      }
    }
  }

  /** ISO/IEC 14443-3 type A, one card's state machine: what it answers to a frame. */
  private cardHears(card: CardState, bits: readonly number[]): Answer | null {
    if (!answers(card)) return null;
    const answer = this.cardAnswer(card, bits);
    if (answer !== null) card.answered++;
    return answer;
  }

  private cardAnswer(card: CardState, bits: readonly number[]): Answer | null {
    const { uid } = card.card;
    if (bits.length === 7) {
      const code = fromBits(bits)[0];
      const wakes =
        (code === 0x26 && card.phase === 'idle') ||
        (code === 0x52 && (card.phase === 'idle' || card.phase === 'halt'));
      if (wakes) {
        card.fromHalt = card.phase === 'halt';
        card.phase = 'ready';
        card.level = 1;
        card.authenticated = false;
        return { bits: toBits([...card.card.atqa]), crc: false, bcc: false };
      }
      if (card.phase === 'ready' || card.phase === 'active') leave(card);
      return null;
    }
    const bytes = fromBits(bits);
    const [first = 0, second = 0] = bytes;
    if (card.phase === 'ready') {
      const sel = [0x93, 0x95, 0x97][card.level - 1];
      if (first !== sel) {
        leave(card);
        return null;
      }
      const levels = uid.length === 4 ? 1 : uid.length === 7 ? 2 : 3;
      const part = cascadePart(uid, card.level, levels);
      const withBcc = [...part, part.reduce((a, b) => a ^ b, 0)];
      if (second === 0x70) {
        if (bits.length !== 72 || !crcOk(bytes)) {
          leave(card);
          return null;
        }
        if (!sameBytes(bytes.slice(2, 7), withBcc)) return null; // another card is being selected
        const complete = card.level === levels;
        const sak = complete ? card.card.sak & ~0x04 : 0x04;
        if (complete) card.phase = 'active';
        else card.level++;
        return { bits: toBits([sak, ...crc16A([sak])]), crc: true, bcc: false };
      }
      // Anticollision: NVB says how many bits of the frame are known (SEL and NVB included).
      const known = ((second >> 4) - 2) * 8 + (second & 0x0f);
      if (known < 0 || known > 40 || bits.length !== 16 + known) {
        leave(card);
        return null;
      }
      const mine = toBits(withBcc);
      const sent = bits.slice(16);
      if (sent.some((b, i) => b !== mine[i])) return null; // not this card's prefix: it keeps quiet
      return { bits: mine.slice(known), crc: false, bcc: true };
    }
    if (card.phase === 'active') {
      if (first === 0x50 && second === 0x00 && bits.length === 32 && crcOk(bytes)) {
        card.phase = 'halt';
        return null;
      }
      if (first === 0x30 && bits.length === 32 && crcOk(bytes)) {
        const data = this.readBlock(card, second);
        if (data === null) {
          leave(card);
          return null;
        }
        return { bits: toBits([...data, ...crc16A(data)]), crc: true, bcc: false };
      }
      leave(card);
    }
    return null;
  }

  /** READ: 16 bytes (a Classic block once authenticated; four NTAG/Ultralight pages). */
  private readBlock(card: CardState, address: number): number[] | null {
    const { uid, sak } = card.card;
    const isClassic = (sak & 0x18) !== 0;
    if (isClassic && !card.authenticated) return null;
    const memory = isClassic ? classicMemory(uid, sak) : ultralightMemory(uid);
    const start = isClassic ? address * 16 : address * 4;
    if (start >= memory.length) return null;
    return Array.from({ length: 16 }, (_, i) => memory[(start + i) % memory.length] ?? 0);
  }

  private addNoise(received: Received, noise: NoiseSpec | null): Received {
    if (noise === null || noise.kinds.length === 0) return received;
    const key = JSON.stringify(noise);
    if (key !== this.noiseKey) {
      this.noiseKey = key;
      this.random = mulberry32(noise.seed);
    }
    if (this.random() >= noise.rate) return received;
    const kind = noise.kinds[Math.floor(this.random() * noise.kinds.length)] ?? 'flip';
    const bits = [...received.bits];
    const anyBit = Math.floor(this.random() * bits.length);
    switch (kind) {
      case 'flip':
        bits[anyBit] = (bits[anyBit] ?? 0) ^ 1;
        return { ...received, bits };
      case 'parity':
        bits[anyBit] = (bits[anyBit] ?? 0) ^ 1;
        return { ...received, bits, parityError: true };
      case 'bcc':
      case 'crc': {
        // The last byte: an anticollision answer's BCC, or the high byte of an answer's CRC_A.
        if (kind === 'bcc' ? !received.bcc : !received.crc) return received;
        const from = Math.max(0, bits.length - 8);
        const mask = 1 + Math.floor(this.random() * 255);
        for (let i = 0; i < 8 && from + i < bits.length; i++) {
          bits[from + i] = (bits[from + i] ?? 0) ^ ((mask >> i) & 1);
        }
        return { ...received, bits };
      }
      case 'truncate':
        return { ...received, bits: bits.slice(0, Math.max(1, anyBit)) };
      case 'collision':
        return {
          ...received,
          bits: bits.map((b, i) => (i > anyBit ? 1 : b)),
          collisionAt: received.collisionAt ?? anyBit,
        };
    }
  }
}

interface Received {
  readonly bits: readonly number[];
  /** Index of the first bit where the cards' answers differed. */
  readonly collisionAt: number | null;
  readonly parityError: boolean;
  readonly crc: boolean;
  readonly bcc: boolean;
}

function answers(card: CardState): boolean {
  const leaves = card.card.leavesAfterFrames;
  return leaves === undefined || card.answered < leaves;
}

/** An unexpected frame sends a card back to IDLE (or HALT, when it was woken from there). */
function leave(card: CardState): void {
  card.phase = card.fromHalt ? 'halt' : 'idle';
  card.authenticated = false;
}

/** Overlapping answers: identical bits read clean; the first differing bit is a collision. */
function combine(answersOnAir: readonly Answer[]): Received {
  const length = Math.max(...answersOnAir.map((a) => a.bits.length));
  const bits: number[] = [];
  let collisionAt: number | null = null;
  for (let i = 0; i < length; i++) {
    const values = answersOnAir.map((a) => a.bits[i]).filter((b) => b !== undefined);
    const first = values[0] ?? 0;
    if (values.some((b) => b !== first) && collisionAt === null) collisionAt = i;
    bits.push(values.some((b) => b === 1) ? 1 : 0);
  }
  return {
    bits,
    collisionAt,
    parityError: false,
    crc: answersOnAir.some((a) => a.crc),
    bcc: answersOnAir.some((a) => a.bcc),
  };
}

function cascadePart(uid: readonly number[], level: number, levels: number): number[] {
  if (level < levels) return [0x88, ...uid.slice((level - 1) * 3, (level - 1) * 3 + 3)];
  const start = (levels - 1) * 3;
  return uid.slice(start, start + 4);
}

function crcOk(bytes: readonly number[]): boolean {
  if (bytes.length < 3) return false;
  const [lo, hi] = crc16A(bytes.slice(0, -2));
  return bytes[bytes.length - 2] === lo && bytes[bytes.length - 1] === hi;
}

function sameBytes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Bytes to bits on the air: least significant bit first; the last byte may be partial. */
function toBits(bytes: readonly number[], lastBits = 0): number[] {
  const bits: number[] = [];
  bytes.forEach((byte, index) => {
    const count = index === bytes.length - 1 && lastBits !== 0 ? lastBits : 8;
    for (let i = 0; i < count; i++) bits.push((byte >> i) & 1);
  });
  return bits;
}

function fromBits(bits: readonly number[]): number[] {
  const bytes: number[] = [];
  bits.forEach((bit, i) => {
    const index = Math.floor(i / 8);
    bytes[index] = (bytes[index] ?? 0) | (bit << (i % 8));
  });
  return bytes;
}

function classicMemory(uid: readonly number[], sak: number): number[] {
  const memory = new Array<number>(1024).fill(0);
  const serial = uid.length === 4 ? uid : uid.slice(0, 4);
  const block0 = [...serial, serial.reduce((a, b) => a ^ b, 0), sak, 0x04, 0x00];
  block0.forEach((b, i) => (memory[i] = b));
  return memory;
}

function ultralightMemory(uid: readonly number[]): number[] {
  const memory = new Array<number>(180).fill(0);
  const [u0 = 0, u1 = 0, u2 = 0, u3 = 0, u4 = 0, u5 = 0, u6 = 0] = uid;
  const head = [u0, u1, u2, 0x88 ^ u0 ^ u1 ^ u2, u3, u4, u5, u6, u3 ^ u4 ^ u5 ^ u6];
  head.forEach((b, i) => (memory[i] = b));
  return memory;
}

/** A small seeded PRNG, so noisy runs repeat exactly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- for the worker -------------------------------------------------------

/**
 * The SPI factory the reader's worker loads (`{ kind: 'module' }`): an
 * emulated chip whose field is the SharedArrayBuffer the test holds.
 */
export function createSpi(options: unknown): Mfrc522Emulator {
  if (typeof options !== 'object' || options === null || !('field' in options)) {
    throw new Error('mfrc522 emulator: options.field (a SharedArrayBuffer) is required');
  }
  const { field } = options;
  if (!(field instanceof SharedArrayBuffer)) {
    throw new Error('mfrc522 emulator: options.field must be a SharedArrayBuffer');
  }
  const number = (key: string): number | undefined => {
    const value: unknown = key in options ? Reflect.get(options, key) : undefined;
    return typeof value === 'number' ? value : undefined;
  };
  const realtime: unknown = 'realtime' in options ? options.realtime : undefined;
  const bus: unknown = 'bus' in options ? options.bus : undefined;
  return new Mfrc522Emulator({
    field: new EmulatedField(field),
    version: number('version'),
    busHz: number('busHz'),
    transferOverheadUs: number('transferOverheadUs'),
    realtime: realtime === true,
    ...(bus instanceof SharedArrayBuffer ? { bus: new BusMonitor(bus) } : {}),
    chipId: number('chipId'),
  });
}
