/**
 * SPI for the MFRC522: the object `mfrc522-rpi` drives. It calls `open()`
 * once, `write(bytes)` for register writes and `transfer(bytes)` for reads
 * (the answer's byte 1 is the register's value). These run in the reader's
 * worker thread only: every call blocks until the bus is done.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Mfrc522Spi {
  open(): void;
  write(bytes: Uint8Array): void;
  transfer(bytes: Uint8Array): ArrayLike<number>;
  close(): void;
}

/** Which SPI the worker opens. Plain data: it crosses into the worker as `workerData`. */
export type SpiSpec =
  | {
      /** Hardware SPI through the kernel's spidev (`/dev/spidev<bus>.<device>`); every Pi model. */
      readonly kind: 'hardware';
      readonly bus: number;
      readonly device: number;
      readonly speedHz?: number;
    }
  | {
      /** Bit-banged SPI on any GPIO pins (physical header numbers), through rpi-softspi. */
      readonly kind: 'soft';
      readonly clock: number;
      readonly mosi: number;
      readonly miso: number;
      readonly client: number;
    }
  | {
      /**
       * A module exporting `createSpi(options)`, loaded inside the worker: how
       * tests and the benchmark put an emulated chip behind the driver.
       */
      readonly kind: 'module';
      readonly module: string;
      readonly options?: unknown;
    };

/** SPI0 with CE0 (header pins 19, 21, 23, 24), 1 MHz: slow enough for jumper wires. */
export const defaultSpi: SpiSpec = { kind: 'hardware', bus: 0, device: 0, speedHz: 1_000_000 };

const load = createRequire(__filename);

/** The SPI object for a spec; nothing is opened until `open()`. */
export function makeSpi(spec: SpiSpec): Mfrc522Spi {
  switch (spec.kind) {
    case 'hardware':
      return hardwareSpi(spec.bus, spec.device, spec.speedHz ?? 1_000_000);
    case 'soft':
      return softSpi(spec);
    case 'module':
      return moduleSpi(spec.module, spec.options);
  }
}

interface SpiDeviceHandle {
  transferSync(
    messages: {
      byteLength: number;
      sendBuffer?: Buffer;
      receiveBuffer?: Buffer;
      speedHz?: number;
    }[],
  ): unknown;
  closeSync(): void;
}

interface SpiDeviceModule {
  openSync(
    bus: number,
    device: number,
    options: { mode: number; maxSpeedHz: number },
  ): SpiDeviceHandle;
}

function isSpiDeviceModule(value: unknown): value is SpiDeviceModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    'openSync' in value &&
    typeof value.openSync === 'function'
  );
}

/**
 * Hardware SPI over `spi-device`, loaded only when opened: it is an optional
 * native dependency that builds on Linux only.
 */
export function hardwareSpi(bus: number, device: number, speedHz: number): Mfrc522Spi {
  const path = `/dev/spidev${bus}.${device}`;
  let handle: SpiDeviceHandle | null = null;
  const run = (bytes: Uint8Array, receive: boolean): Buffer => {
    if (handle === null) throw new Error(`${path} is not open`);
    const receiveBuffer = Buffer.alloc(bytes.length);
    handle.transferSync([
      {
        byteLength: bytes.length,
        sendBuffer: Buffer.from(bytes),
        ...(receive ? { receiveBuffer } : {}),
        speedHz,
      },
    ]);
    return receiveBuffer;
  };
  return {
    open() {
      const spiDevice = loadSpiDevice();
      if (!existsSync(path)) {
        throw new Error(
          `${path} does not exist: enable SPI (sudo raspi-config → Interface Options → SPI, ` +
            'or dtparam=spi=on in /boot/firmware/config.txt) and reboot',
        );
      }
      try {
        handle = spiDevice.openSync(bus, device, { mode: 0, maxSpeedHz: speedHz });
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        const hint = /EACCES|permission/i.test(text)
          ? ' (add the user to the spi group: sudo usermod -aG spi $USER, then log in again)'
          : '';
        throw new Error(`cannot open ${path}: ${text}${hint}`, { cause: error });
      }
    },
    write(bytes) {
      run(bytes, false);
    },
    transfer(bytes) {
      return run(bytes, true);
    },
    close() {
      handle?.closeSync();
      handle = null;
    },
  };
}

function loadSpiDevice(): SpiDeviceModule {
  let loaded: unknown;
  try {
    loaded = load('spi-device');
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new Error(
      'hardware SPI needs the spi-device package (an optional dependency that builds on Linux ' +
        `only): run npm install on the Pi, or use soft SPI on custom pins (${text})`,
      { cause: error },
    );
  }
  if (!isSpiDeviceModule(loaded)) throw new Error('spi-device: unexpected module shape');
  return loaded;
}

type SoftSpiClass = new (options: {
  clock: number;
  mosi: number;
  miso: number;
  client: number;
}) => Mfrc522Spi;

function isSoftSpiClass(value: unknown): value is SoftSpiClass {
  return typeof value === 'function' && typeof Reflect.get(value, 'prototype') === 'object';
}

/** Soft SPI on custom pins (rpi-softspi over rpio's memory-mapped GPIO: not the Pi 5). */
export function softSpi(pins: {
  readonly clock: number;
  readonly mosi: number;
  readonly miso: number;
  readonly client: number;
}): Mfrc522Spi {
  const SoftSPI: unknown = load('rpi-softspi');
  if (!isSoftSpiClass(SoftSPI)) throw new Error('rpi-softspi: unexpected module shape');
  const { clock, mosi, miso, client } = pins;
  return new SoftSPI({ clock, mosi, miso, client });
}

function isSpi(value: unknown): value is Mfrc522Spi {
  return (
    typeof value === 'object' &&
    value !== null &&
    ['open', 'write', 'transfer', 'close'].every(
      (method) => typeof Reflect.get(value, method) === 'function',
    )
  );
}

/** An SPI object from a module's `createSpi(options)` (the emulated chip in tests). */
export function moduleSpi(modulePath: string, options: unknown): Mfrc522Spi {
  const loaded: unknown = load(modulePath);
  const factory: unknown =
    typeof loaded === 'object' && loaded !== null ? Reflect.get(loaded, 'createSpi') : undefined;
  if (typeof factory !== 'function') {
    throw new Error(`${modulePath} does not export createSpi(options)`);
  }
  const spi: unknown = Reflect.apply(factory, undefined, [options]);
  if (!isSpi(spi)) {
    throw new Error(`${modulePath}: createSpi did not return open/write/transfer/close`);
  }
  return spi;
}
