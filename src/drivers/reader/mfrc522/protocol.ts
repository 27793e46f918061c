/** What crosses between the reader's worker thread and the main thread. */
import type { SpiSpec } from './spi';

/** The worker's `workerData`. */
export interface WorkerConfig {
  readonly spi: SpiSpec;
  readonly pollMs: number;
  /** VersionReg values accepted as a working chip. */
  readonly versions: readonly number[];
  /** Only read VersionReg, post it and end: no reset, no polling (doctor, `reader test`). */
  readonly probe?: boolean;
  /** The lock of the SPI bus this chip shares with others (./busLock.ts); none when it is alone. */
  readonly busLock?: SharedArrayBuffer;
}

/**
 * From the worker: a sighting (a held card is seen on every poll), two cards
 * at once (once per presentation), a fault, the chip's version.
 */
export type WorkerMessage =
  | { readonly type: 'seen'; readonly uid: string; readonly at: number }
  | { readonly type: 'collision'; readonly at: number }
  | { readonly type: 'fault'; readonly reason: string }
  | { readonly type: 'version'; readonly version: number };

/** To the worker: stop polling, close the bus and end. */
export interface StopMessage {
  readonly type: 'stop';
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (!isObject(value) || !('type' in value)) return false;
  switch (value.type) {
    case 'seen':
      return (
        'uid' in value &&
        typeof value.uid === 'string' &&
        'at' in value &&
        typeof value.at === 'number'
      );
    case 'collision':
      return 'at' in value && typeof value.at === 'number';
    case 'fault':
      return 'reason' in value && typeof value.reason === 'string';
    case 'version':
      return 'version' in value && typeof value.version === 'number';
    default:
      return false;
  }
}

export function isStopMessage(value: unknown): value is StopMessage {
  return isObject(value) && 'type' in value && value.type === 'stop';
}

export function isWorkerConfig(value: unknown): value is WorkerConfig {
  return (
    isObject(value) &&
    'spi' in value &&
    isObject(value.spi) &&
    'kind' in value.spi &&
    ['hardware', 'soft', 'module'].includes(String(value.spi.kind)) &&
    'pollMs' in value &&
    typeof value.pollMs === 'number' &&
    'versions' in value &&
    Array.isArray(value.versions)
  );
}
