/**
 * The kernel's `struct input_event`, as read from /dev/input/event*: a
 * `struct timeval` (two C longs), then `__u16 type`, `__u16 code`,
 * `__s32 value`, in the machine's byte order. A long is 8 bytes in a 64-bit
 * process and 4 in a 32-bit one (32-bit Raspberry Pi OS, even on a 64-bit
 * kernel: the kernel hands a 32-bit reader the 32-bit layout), so a record is
 * 24 or 16 bytes.
 */
import { endianness } from 'node:os';

export type InputEventSize = 16 | 24;

export interface InputEvent {
  /** The kernel's timestamp of the event, in milliseconds (seconds and microseconds joined). */
  readonly ms: number;
  readonly type: number;
  readonly code: number;
  readonly value: number;
}

export const EV_SYN = 0;
export const EV_KEY = 1;

/** Node's names of the 64-bit architectures (a C long of 8 bytes). */
const ARCH_64 = new Set(['arm64', 'x64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el']);

/** The record size this process reads: 24 bytes in a 64-bit process, 16 in a 32-bit one. */
export function platformEventSize(arch: string = process.arch): InputEventSize {
  return ARCH_64.has(arch) ? 24 : 16;
}

const littleEndian = endianness() === 'LE';

/** Cuts a byte stream into input events; a record split across chunks waits for its rest. */
export class InputEventDecoder {
  private rest: Buffer = Buffer.alloc(0);

  constructor(
    private readonly size: InputEventSize,
    private readonly le: boolean = littleEndian,
  ) {}

  /** Feeds a chunk; returns the whole records it completed. */
  push(chunk: Buffer): InputEvent[] {
    const bytes = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const whole = bytes.length - (bytes.length % this.size);
    const events: InputEvent[] = [];
    for (let at = 0; at < whole; at += this.size) events.push(this.decode(bytes, at));
    this.rest = Buffer.from(bytes.subarray(whole));
    return events;
  }

  /** Bytes of a record still waiting for the rest of it. */
  get pending(): number {
    return this.rest.length;
  }

  private decode(bytes: Buffer, at: number): InputEvent {
    const long = this.size === 24 ? 8 : 4;
    const readLong = (offset: number): number =>
      long === 8
        ? Number(this.le ? bytes.readBigInt64LE(offset) : bytes.readBigInt64BE(offset))
        : this.le
          ? bytes.readInt32LE(offset)
          : bytes.readInt32BE(offset);
    const sec = readLong(at);
    const usec = readLong(at + long);
    const rest = at + 2 * long;
    return {
      ms: sec * 1000 + usec / 1000,
      type: this.le ? bytes.readUInt16LE(rest) : bytes.readUInt16BE(rest),
      code: this.le ? bytes.readUInt16LE(rest + 2) : bytes.readUInt16BE(rest + 2),
      value: this.le ? bytes.readInt32LE(rest + 4) : bytes.readInt32BE(rest + 4),
    };
  }
}

/** The bytes the kernel would give for `events` (recordings for tests, the fake helper). */
export function encodeInputEvents(
  events: readonly InputEvent[],
  size: InputEventSize,
  le: boolean = littleEndian,
): Buffer {
  const out = Buffer.alloc(events.length * size);
  const long = size === 24 ? 8 : 4;
  events.forEach((event, i) => {
    const at = i * size;
    const sec = Math.floor(event.ms / 1000);
    const usec = Math.round((event.ms - sec * 1000) * 1000);
    for (const [offset, value] of [
      [at, sec],
      [at + long, usec],
    ] as const) {
      if (long === 8) {
        if (le) out.writeBigInt64LE(BigInt(value), offset);
        else out.writeBigInt64BE(BigInt(value), offset);
      } else if (le) out.writeInt32LE(value, offset);
      else out.writeInt32BE(value, offset);
    }
    const rest = at + 2 * long;
    if (le) {
      out.writeUInt16LE(event.type, rest);
      out.writeUInt16LE(event.code, rest + 2);
      out.writeInt32LE(event.value, rest + 4);
    } else {
      out.writeUInt16BE(event.type, rest);
      out.writeUInt16BE(event.code, rest + 2);
      out.writeInt32BE(event.value, rest + 4);
    }
  });
  return out;
}
