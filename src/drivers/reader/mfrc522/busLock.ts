/**
 * One SPI bus, several RC522s (CE0 and CE1), one worker thread each: the
 * lock that keeps their transfers from interleaving. A poll is a conversation
 * with its chip (the request, a sleep while the chip's timer runs, the
 * cascade); the bus is held for the whole of it. The lock is one Int32 in
 * shared memory: 0 free, else the holder's id.
 */
import { threadId } from 'node:worker_threads';

/**
 * A holder that keeps the bus this long has died mid-poll (a terminated
 * worker): the lock is taken from it. A poll takes milliseconds; the
 * slowest bit-banged read, under a second.
 */
export const STALE_LOCK_MS = 3_000;

/** The shared memory of one bus's lock: created once per bus, handed to each worker on it. */
export function makeBusLockMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

/** One thread's handle on a bus's lock. */
export class BusLock {
  private readonly cell: Int32Array;
  /** Never 0 (free): the main thread's threadId is 0. */
  private readonly id = threadId + 1;

  constructor(memory: SharedArrayBuffer) {
    this.cell = new Int32Array(memory, 0, 1);
  }

  /** Runs `work` with the bus to itself: waits (asleep) while another chip's poll runs. */
  hold<T>(work: () => T): T {
    this.acquire();
    try {
      return work();
    } finally {
      this.release();
    }
  }

  private acquire(): void {
    let holder = Atomics.compareExchange(this.cell, 0, 0, this.id);
    let since = performance.now();
    while (holder !== 0) {
      const waited = performance.now() - since;
      if (waited >= STALE_LOCK_MS) {
        if (Atomics.compareExchange(this.cell, 0, holder, this.id) === holder) return;
        since = performance.now();
      } else {
        Atomics.wait(this.cell, 0, holder, STALE_LOCK_MS - waited);
      }
      const next = Atomics.compareExchange(this.cell, 0, 0, this.id);
      if (next !== holder) since = performance.now();
      holder = next;
    }
  }

  private release(): void {
    Atomics.compareExchange(this.cell, 0, this.id, 0);
    Atomics.notify(this.cell, 0);
  }
}
