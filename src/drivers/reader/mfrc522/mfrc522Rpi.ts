/**
 * The `mfrc522-rpi` package, loaded with its `rpio` dependency replaced.
 *
 * Why: mfrc522-rpi requires rpio at load time, but uses it only for its
 * optional reset and buzzer pins, which badgeclock never uses (RST is wired to
 * 3.3 V; feedback has its own GPIO driver). rpio is a native addon that is not
 * context-aware: once any thread of a process has loaded it, loading it in
 * another thread fails ("Module did not self-register"), which would break the
 * worker restarts, and a main-thread baseline or an in-process test beside
 * them. Its memory-mapped GPIO does not work on the Pi 5 either. So the
 * package's own index.js is compiled with a `require` that hands it a stub for
 * rpio; every other line is the package's code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';
import type { Mfrc522Spi } from './spi';

/** What `toCard` returns: `bitSize` counts the bits received. */
export interface ToCardResult {
  readonly status: boolean;
  readonly data: number[];
  readonly bitSize: number;
}

/** The parts of mfrc522-rpi's MFRC522 class badgeclock and its tests use. */
export interface Mfrc522Chip {
  reset(): void;
  readRegister(address: number): number;
  writeRegister(address: number, value: number): void;
  antennaOn(): void;
  /** The low-level exchange: a PCD command with FIFO data, waiting for the IRQs. */
  toCard(command: number, bytes: number[]): ToCardResult;
  findCard(): { status: boolean | null; bitSize: number | null };
  getUid(): { status: boolean; data: number[] };
  calculateCRC(data: number[]): number[];
  selectCard(uid: number[]): number;
  authenticate(address: number, key: number[], uid: number[]): boolean;
  stopCrypto(): void;
  getDataForBlock(address: number): number[];
  setResetPin(pin?: number): unknown;
}

export type Mfrc522Class = new (spi: Mfrc522Spi) => Mfrc522Chip;

/** Registers (MFRC522 data sheet, section 9) and PCD commands the driver names. */
export const Register = {
  Command: 0x01,
  ComIrq: 0x04,
  DivIrq: 0x05,
  Error: 0x06,
  Status2: 0x08,
  FIFOData: 0x09,
  FIFOLevel: 0x0a,
  Control: 0x0c,
  BitFraming: 0x0d,
  Coll: 0x0e,
  Mode: 0x11,
  TxControl: 0x14,
  TMode: 0x2a,
  TPrescaler: 0x2b,
  TReloadH: 0x2c,
  TReloadL: 0x2d,
  Version: 0x37,
} as const;

export const PcdCommand = {
  Idle: 0x00,
  CalcCRC: 0x03,
  Transceive: 0x0c,
  MFAuthent: 0x0e,
  SoftReset: 0x0f,
} as const;

const rpioDisabled = new Proxy(
  {},
  {
    get(): never {
      throw new Error(
        'mfrc522-rpi GPIO (rpio) is disabled in badgeclock: wire the RC522 RST pin to 3.3 V ' +
          'instead of using setResetPin/setBuzzerPin',
      );
    },
  },
);

function isMfrc522Class(value: unknown): value is Mfrc522Class {
  if (typeof value !== 'function') return false;
  const prototype: unknown = Reflect.get(value, 'prototype');
  return (
    typeof prototype === 'object' &&
    prototype !== null &&
    ['toCard', 'readRegister', 'writeRegister', 'reset'].every(
      (method) => typeof Reflect.get(prototype, method) === 'function',
    )
  );
}

let cached: Mfrc522Class | null = null;

/** The MFRC522 class of mfrc522-rpi (once per thread). */
export function loadMfrc522(): Mfrc522Class {
  if (cached !== null) return cached;
  const entry = createRequire(__filename).resolve('mfrc522-rpi');
  const requireFromPackage = createRequire(entry);
  const requireWithoutRpio = (id: string): unknown =>
    id === 'rpio' ? rpioDisabled : requireFromPackage(id);
  const moduleObject: { exports: unknown } = { exports: {} };
  const body = compileFunction(
    readFileSync(entry, 'utf8'),
    ['exports', 'require', 'module', '__filename', '__dirname'],
    { filename: entry },
  );
  Reflect.apply(body, undefined, [
    moduleObject.exports,
    requireWithoutRpio,
    moduleObject,
    entry,
    dirname(entry),
  ]);
  const loaded = moduleObject.exports;
  if (!isMfrc522Class(loaded)) throw new Error(`mfrc522-rpi (${entry}): unexpected module shape`);
  cached = loaded;
  return loaded;
}
