/**
 * One MFRC522 on one SPI: set it up, then poll. Synchronous and blocking (the
 * chip is driven by busy-waiting on the bus): it runs in the reader's worker
 * thread, or in a test or benchmark that wants exactly that.
 */
import { Register, type Mfrc522Chip } from './mfrc522Rpi';
import { chipTransceive, haltCard, readUid, uidHex, type Transceive } from './uid';

/** VersionReg of a genuine MFRC522: 0x91 (v1.0), 0x92 (v2.0). */
export const MFRC522_VERSIONS: readonly number[] = [0x91, 0x92];

/**
 * The receive timeout, in timer ticks of 0.5 ms (mfrc522-rpi's prescaler):
 * 10 ticks, 5 ms. A card answers these ISO 14443-3 frames within 0.1 ms;
 * mfrc522-rpi's 15.5 ms made every empty poll busy-wait three times longer.
 */
export const TIMEOUT_RELOAD = 9;

export type PollResult =
  | { readonly kind: 'seen'; readonly uid: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'corrupt'; readonly reason: string }
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

  constructor(
    private readonly chip: Mfrc522Chip,
    private readonly versions: readonly number[] = MFRC522_VERSIONS,
  ) {
    this.transceive = chipTransceive(chip);
  }

  /** Checks the chip answers, resets and sets it up. */
  start(): StartResult {
    const version = this.chip.readRegister(Register.Version);
    if (!this.versions.includes(version))
      return { ok: false, reason: describeVersion(version, this.versions) };
    this.configure();
    if (this.chip.readRegister(Register.TReloadL) !== TIMEOUT_RELOAD) {
      return { ok: false, reason: 'the MFRC522 does not keep its settings (check the MOSI wire)' };
    }
    return { ok: true, version };
  }

  /** One look at the antenna: a whole UID, nothing, or a chip that no longer answers. */
  poll(): PollResult {
    const version = this.chip.readRegister(Register.Version);
    if (!this.versions.includes(version))
      return { kind: 'fault', reason: describeVersion(version, this.versions) };
    if (this.chip.readRegister(Register.TReloadL) !== TIMEOUT_RELOAD) {
      // Registers back at their reset values: the chip browned out or was reset. Set it up again.
      this.reinitialised++;
      this.configure();
    }
    const read = readUid(this.transceive);
    if (read.kind === 'none') return read;
    // Read or not, HLTA leaves the card HALTed or IDLE, so the next WUPA wakes it from scratch
    // (a card left READY by a broken cascade would ignore that WUPA and miss a poll).
    haltCard(this.transceive);
    return read.kind === 'card' ? { kind: 'seen', uid: uidHex(read.uid) } : read;
  }

  private configure(): void {
    this.chip.reset();
    this.chip.writeRegister(Register.TReloadL, TIMEOUT_RELOAD);
  }
}
