/**
 * One MFRC522 on one SPI: set it up, then poll. Synchronous and blocking (the
 * chip is driven by busy-waiting on the bus): it runs in the reader's worker
 * thread, or in a test or benchmark that wants exactly that.
 */
import { PcdCommand, Register, type Mfrc522Chip } from './mfrc522Rpi';
import {
  chipTransceive,
  haltCard,
  readUid,
  readUidAfter,
  uidHex,
  WUPA_FRAME,
  type Frame,
  type Transceive,
} from './uid';

/** VersionReg of a genuine MFRC522: 0x91 (v1.0), 0x92 (v2.0). */
export const MFRC522_VERSIONS: readonly number[] = [0x91, 0x92];

/**
 * The receive timeout, in timer ticks of 0.5 ms (mfrc522-rpi's prescaler):
 * 10 ticks, 5 ms. A card answers these ISO 14443-3 frames within 0.1 ms;
 * mfrc522-rpi's 15.5 ms made every empty poll busy-wait three times longer.
 */
export const TIMEOUT_RELOAD = 9;

/**
 * The request's timeout: 2 ticks, 1 ms. A card answers WUPA 0.09 ms after it
 * and its 16-bit ATQA takes 0.2 ms, so 1 ms is long enough for every card and
 * short enough to sleep through (see `quickRequest`).
 */
export const REQUEST_RELOAD = 1;

/** How long the poller sleeps after sending WUPA: past the request's timeout. */
export const REQUEST_WAIT_MS = 1.2;

/** Reads of ComIrqReg after the sleep before giving up (a timer that never fires: a dead chip). */
const MAX_IRQ_READS = 100;

const IRQ_RX = 0x20;
const IRQ_ERR = 0x02;
const IRQ_TIMER = 0x01;
/** ErrorReg bits that spoil a frame: BufferOvfl, CollErr, ParityErr, ProtocolErr (as mfrc522-rpi). */
const FRAME_ERRORS = 0x1b;
/** ErrorReg's CollErr: two cards answered at once and their bits differed. */
const COLL_ERR = 0x08;

/** Never notified: waiting on it is a plain sleep. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` without spending CPU (the worker has nothing else to do meanwhile). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export interface PollerOptions {
  /**
   * Send the request for a card cheaply (the default): a 1 ms timer, this
   * thread asleep meanwhile, then one read of the IRQ register. False: the
   * request of mfrc522-rpi's `toCard`, which busy-reads the IRQ register until
   * the 5 ms receive timeout (about 90 reads on an empty antenna); kept as the
   * benchmark's baseline.
   */
  readonly quickRequest?: boolean;
  /** Sleeps `ms`; default `sleepSync`. Tests on the emulated chip pass its virtual clock. */
  readonly wait?: (ms: number) => void;
}

export type PollResult =
  | { readonly kind: 'seen'; readonly uid: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'corrupt'; readonly reason: string }
  /** Answers collided (two cards in the field, or noise the chip took for it): no UID. */
  | { readonly kind: 'collision' }
  | { readonly kind: 'fault'; readonly reason: string };

export type StartResult =
  { readonly ok: true; readonly version: number } | { readonly ok: false; readonly reason: string };

/** A register value as the data sheet writes it: `0x92`. */
const hexByte = (value: number): string => `0x${value.toString(16).padStart(2, '0').toUpperCase()}`;

/** Says what a VersionReg value means for the person installing the reader. */
export function describeVersion(
  version: number,
  versions: readonly number[] = MFRC522_VERSIONS,
): string {
  const read = `VersionReg reads ${hexByte(version)}`;
  const expected = `expected ${versions.map(hexByte).join(' or ')}`;
  const allow = `if it is a clone that works, set chipVersions (BADGECLOCK_CHIP_VERSIONS) to ${[...versions, version].map(hexByte).join(',')}`;
  switch (version) {
    case 0x00:
      return `${read}: no MFRC522 answers on SPI (check the wiring, 3.3 V power, RST held high, and that SPI is enabled)`;
    case 0xff:
      return `${read}: MISO is stuck high (check the MISO and SDA/chip-select wires)`;
    case 0x88:
      return `${read}: an FM17522 clone, not an MFRC522 (${expected}; ${allow})`;
    case 0x12:
      return `${read}: a clone chip, not an MFRC522 (${expected}; ${allow})`;
    default:
      return `${read}: not an MFRC522 (${expected}; ${allow})`;
  }
}

/** What a VersionReg value taken as working names, e.g. "VersionReg 0x92: MFRC522 v2.0". */
export function nameVersion(version: number): string {
  const read = `VersionReg ${hexByte(version)}`;
  switch (version) {
    case 0x91:
      return `${read}: MFRC522 v1.0`;
    case 0x92:
      return `${read}: MFRC522 v2.0`;
    case 0x88:
      return `${read}: FM17522 clone (allowed by chipVersions)`;
    default:
      return `${read}: allowed by chipVersions`;
  }
}

export class Mfrc522Poller {
  /** Times the chip had lost its settings (a brown-out or reset) and was set up again. */
  reinitialised = 0;
  private readonly transceive: Transceive;
  private readonly quick: boolean;
  private readonly wait: (ms: number) => void;
  /** TReloadL as `configure` leaves it: how a chip that lost its settings is told apart. */
  private readonly idleReload: number;

  constructor(
    private readonly chip: Mfrc522Chip,
    private readonly versions: readonly number[] = MFRC522_VERSIONS,
    options: PollerOptions = {},
  ) {
    this.transceive = chipTransceive(chip);
    this.quick = options.quickRequest ?? true;
    this.wait = options.wait ?? sleepSync;
    this.idleReload = this.quick ? REQUEST_RELOAD : TIMEOUT_RELOAD;
  }

  /** Checks the chip answers, resets and sets it up. */
  start(): StartResult {
    const version = this.chip.readRegister(Register.Version);
    if (!this.versions.includes(version))
      return { ok: false, reason: describeVersion(version, this.versions) };
    this.configure();
    if (this.chip.readRegister(Register.TReloadL) !== this.idleReload) {
      return { ok: false, reason: 'the MFRC522 does not keep its settings (check the MOSI wire)' };
    }
    return { ok: true, version };
  }

  /** One look at the antenna: a whole UID, nothing, or a chip that no longer answers. */
  poll(): PollResult {
    const version = this.chip.readRegister(Register.Version);
    if (!this.versions.includes(version))
      return { kind: 'fault', reason: describeVersion(version, this.versions) };
    if (this.chip.readRegister(Register.TReloadL) !== this.idleReload) {
      // Registers back at their reset values: the chip browned out or was reset. Set it up again.
      this.reinitialised++;
      this.configure();
    }
    if (!this.quick) return this.finish(readUid(this.transceive));
    const atqa = this.quickRequest();
    if (atqa === 'none') return { kind: 'none' };
    // A card answered: the cascade's frames get the usual 5 ms receive timeout, then the request's back.
    this.chip.writeRegister(Register.TReloadL, TIMEOUT_RELOAD);
    const result = this.finish(
      atqa === 'collision'
        ? { kind: 'corrupt', reason: 'ATQA collided' }
        : readUidAfter(atqa, this.transceive),
    );
    this.chip.writeRegister(Register.TReloadL, REQUEST_RELOAD);
    return result;
  }

  private finish(read: ReturnType<typeof readUid>): PollResult {
    // ErrorReg still holds the last frame's errors: a CollErr there is two cards answering
    // (the ATQA of two kinds of card, or the UIDs in anticollision), not a card gone quiet.
    const clash = read.kind !== 'card' && (this.chip.readRegister(Register.Error) & COLL_ERR) !== 0;
    if (read.kind === 'none' && !clash) return read;
    // Read or not, HLTA leaves the card HALTed or IDLE, so the next WUPA wakes it from scratch
    // (a card left READY by a broken cascade would ignore that WUPA and miss a poll).
    haltCard(this.transceive);
    if (clash) return { kind: 'collision' };
    return read.kind === 'card' ? { kind: 'seen', uid: uidHex(read.uid) } : read;
  }

  /**
   * WUPA through the chip's registers (mfrc522-rpi's `writeRegister` and
   * `readRegister`): 7 writes, a sleep past the 1 ms timer, one read of
   * ComIrqReg. `toCard` would instead read ComIrqReg in a busy loop until its
   * timer fires. Returns the ATQA frame, null for a spoilt answer (as `toCard`
   * reports it), 'collision' when answers collided, or 'none' when no card answered.
   */
  private quickRequest(): Frame | null | 'none' | 'collision' {
    const { chip } = this;
    chip.writeRegister(Register.BitFraming, WUPA_FRAME.lastBits);
    chip.writeRegister(Register.Command, PcdCommand.Idle);
    chip.writeRegister(Register.ComIrq, 0x7f); // Set1 = 0: clear every IRQ bit
    chip.writeRegister(Register.FIFOLevel, 0x80); // FlushBuffer
    chip.writeRegister(Register.FIFOData, WUPA_FRAME.byte);
    chip.writeRegister(Register.Command, PcdCommand.Transceive);
    chip.writeRegister(Register.BitFraming, 0x80 | WUPA_FRAME.lastBits); // StartSend
    this.wait(REQUEST_WAIT_MS);
    let irq = 0;
    for (let reads = 0; reads < MAX_IRQ_READS; reads++) {
      irq = chip.readRegister(Register.ComIrq);
      if ((irq & (IRQ_RX | IRQ_ERR | IRQ_TIMER)) !== 0) break;
    }
    if ((irq & IRQ_RX) === 0) return 'none';
    const errors = chip.readRegister(Register.Error);
    if ((errors & COLL_ERR) !== 0) return 'collision';
    if ((errors & FRAME_ERRORS) !== 0) return null;
    const level = chip.readRegister(Register.FIFOLevel);
    const lastBits = chip.readRegister(Register.Control) & 0x07;
    const bits = lastBits === 0 ? level * 8 : (level - 1) * 8 + lastBits;
    const bytes = Array.from({ length: Math.min(level, 16) }, () =>
      chip.readRegister(Register.FIFOData),
    );
    return { bytes, bits };
  }

  private configure(): void {
    this.chip.reset();
    this.chip.writeRegister(Register.TReloadL, this.idleReload);
  }
}
