/**
 * The whole UID of an ISO/IEC 14443-A card: the anticollision/select cascade
 * of ISO/IEC 14443-3, levels 1 to 3. mfrc522-rpi runs level 1 only, which
 * gives a 7-byte NTAG213 as `88 04 A3 C6` (cascade tag and three bytes); here
 * every level runs through the driver's low-level transceive.
 *
 * A read is all or nothing: any frame that fails a check (BCC, CRC_A, bit
 * count, a collision or error the chip flags, a card that stops answering)
 * ends the attempt with no UID. The card itself confirms each part: SELECT
 * carries the UID part back, and only a card with exactly those bytes answers.
 */
import { PcdCommand, Register, type Mfrc522Chip } from './mfrc522Rpi';

/** A card's answer: its bytes and how many bits came (the last byte may be partial). */
export interface Frame {
  readonly bytes: readonly number[];
  readonly bits: number;
}

/**
 * Sends a frame, of which the last byte's `lastBits` bits only (0: all), and
 * returns the answer; null when none came or the chip flagged an error.
 */
export type Transceive = (bytes: readonly number[], lastBits?: number) => Frame | null;

export type UidRead =
  | {
      readonly kind: 'card';
      readonly uid: readonly number[];
      readonly sak: number;
      readonly atqa: readonly number[];
    }
  | { readonly kind: 'none' }
  | { readonly kind: 'corrupt'; readonly reason: string };

const WUPA = 0x52;
const HLTA = 0x50;
const CASCADE_TAG = 0x88;
const SELECT_CODES = [0x93, 0x95, 0x97] as const;
/** NVB: two bytes known (SEL, NVB) — anticollision asks for the whole UID part. */
const NVB_ANTICOLLISION = 0x20;
/** NVB: seven bytes known — SELECT carries the UID part and its BCC. */
const NVB_SELECT = 0x70;
const SAK_UID_INCOMPLETE = 0x04;

/** CRC_A (ISO/IEC 14443-3 annex B: preset 0x6363), low byte first as sent. */
export function crcA(bytes: readonly number[]): [number, number] {
  let crc = 0x6363;
  for (const byte of bytes) {
    let x = (byte ^ crc) & 0xff;
    x = (x ^ (x << 4)) & 0xff;
    crc = ((crc >> 8) ^ (x << 8) ^ (x << 3) ^ (x >> 4)) & 0xffff;
  }
  return [crc & 0xff, (crc >> 8) & 0xff];
}

/** The canonical card id: upper-case hex of the whole UID. */
export function uidHex(uid: readonly number[]): string {
  return uid
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

const corrupt = (reason: string): UidRead => ({ kind: 'corrupt', reason });

/**
 * Wakes the card in the field (WUPA: a halted card answers too, so a card
 * held on the reader is seen on every poll) and runs the cascade.
 */
export function readUid(transceive: Transceive): UidRead {
  return readUidAfter(transceive([WUPA], 7), transceive);
}

/** WUPA as sent: the command byte and how many of its bits go out (7: a short frame). */
export const WUPA_FRAME = { byte: WUPA, lastBits: 7 } as const;

/**
 * The cascade after a request: `atqa` is the answer to WUPA (null: none came).
 * The poller sends the request itself (cheaply) and hands the answer here.
 */
export function readUidAfter(atqa: Frame | null, transceive: Transceive): UidRead {
  if (atqa === null) return { kind: 'none' };
  if (atqa.bits !== 16) return corrupt(`ATQA of ${atqa.bits} bits`);
  const uid: number[] = [];
  for (const [index, sel] of SELECT_CODES.entries()) {
    const level = index + 1;
    const answer = transceive([sel, NVB_ANTICOLLISION]);
    if (answer === null) return corrupt(`no anticollision answer at cascade level ${level}`);
    if (answer.bits !== 40) return corrupt(`anticollision answer of ${answer.bits} bits`);
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, bcc = 0] = answer.bytes;
    if ((b0 ^ b1 ^ b2 ^ b3) !== bcc) return corrupt(`BCC mismatch at cascade level ${level}`);
    const select = [sel, NVB_SELECT, b0, b1, b2, b3, bcc];
    const sakFrame = transceive([...select, ...crcA(select)]);
    if (sakFrame === null) return corrupt(`no SAK at cascade level ${level}`);
    const [sak = 0, crcLow, crcHigh] = sakFrame.bytes;
    const [expectLow, expectHigh] = crcA([sak]);
    if (sakFrame.bits !== 24 || crcLow !== expectLow || crcHigh !== expectHigh) {
      return corrupt(`SAK fails its CRC_A at cascade level ${level}`);
    }
    if ((sak & SAK_UID_INCOMPLETE) !== 0) {
      if (b0 !== CASCADE_TAG) return corrupt(`SAK says more UID, but no cascade tag`);
      uid.push(b1, b2, b3);
      continue;
    }
    // A single-size UID never begins with the cascade tag: this would be a partial UID.
    if (level === 1 && b0 === CASCADE_TAG) return corrupt('cascade tag in a complete UID');
    uid.push(b0, b1, b2, b3);
    return { kind: 'card', uid, sak, atqa: atqa.bytes };
  }
  return corrupt('SAK still says more UID after cascade level 3');
}

/**
 * Why a UID cannot be a badge, or null when it can. ISO/IEC 14443-3 reserves
 * a single-size UID starting with 0x08 for random ids: phones and DESFire
 * cards in privacy mode make up a new one at every presentation, so it would
 * be a new person at every tap.
 */
export function randomUidReason(uid: string): string | null {
  if (!/^08[0-9A-F]{6}$/.test(uid)) return null;
  return (
    `card ${uid} has a random UID (4 bytes starting with 08: a phone or a privacy-mode card ` +
    'makes up a new one at every tap), so it cannot be a badge; use a card with a fixed UID'
  );
}

/** HLTA: the card goes quiet until the next WUPA. It never answers (a timeout is success). */
export function haltCard(transceive: Transceive): void {
  const halt = [HLTA, 0x00];
  transceive([...halt, ...crcA(halt)]);
}

/** The chip's Transceive command, through mfrc522-rpi's `toCard`. */
export function chipTransceive(chip: Mfrc522Chip): Transceive {
  return (bytes, lastBits = 0) => {
    // TxLastBits: how many bits of the last byte go out (7 for REQA/WUPA); RxAlign 0.
    chip.writeRegister(Register.BitFraming, lastBits & 0x07);
    const result = chip.toCard(PcdCommand.Transceive, [...bytes]);
    if (!result.status) return null;
    return { bytes: result.data.slice(0, Math.ceil(result.bitSize / 8)), bits: result.bitSize };
  };
}
