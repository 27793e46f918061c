/**
 * What an MFRC522's worker sessions mean as reads: a sighting is a read (or a
 * rejection, refused once per held phone), and a fault is reported once per
 * incident, however many workers in a row meet it. The memory lives across
 * worker restarts; its failure count drives the restart backoff.
 */
import { performance } from 'node:perf_hooks';
import { normaliseCardId } from '../../../../streams/cardId';
import type { CardRead, ReadRejected } from '../../../../streams/events';
import { randomUidReason } from './uid';
import type { SessionEvent } from './workerSession';

/** Two cards held on the antenna together: the worker says so once per presentation. */
export const TWO_CARDS = 'two cards on the reader? present one (their answers collided)';

/** Sightings of one random UID closer than this are one presentation, refused once. */
const RANDOM_GAP_MS = 2_000;

export interface SessionReadsOptions {
  /** The reader's name, carried on every read. */
  readonly reader: string;
  readonly now: () => number;
  /** Monotonic clock, so durations survive wall-clock jumps. */
  readonly mono?: (() => number) | undefined;
  /** A worker healthy this long before it failed starts a new incident. */
  readonly stableMs: number;
}

export interface SessionReads {
  /** The read or rejection a session event becomes, or null for none. */
  readonly toEvent: (event: SessionEvent) => CardRead | ReadRejected | null;
  /** Failures in the current incident (for the restart backoff). */
  readonly failures: () => number;
}

/** A fresh memory: no incident, no phone held. */
export function makeSessionReads(options: SessionReadsOptions): SessionReads {
  const { reader, now, mono, stableMs } = options;
  // One incident at a time: the same fault from worker after worker is reported once.
  let failures = 0;
  let reported: string | null = null;
  let healthySince: number | null = null;
  let randomCard: string | null = null;
  let randomSeenAt = 0;

  const seen = (event: Extract<SessionEvent, { kind: 'seen' }>): CardRead | ReadRejected | null => {
    reported = null;
    const id = normaliseCardId(event.uid);
    const at = now() - event.lagMs;
    if (!id.ok) return { type: 'readRejected', at, reader, reason: id.reason };
    const random = randomUidReason(id.card);
    if (random !== null) {
      // A held phone is seen on every poll: refused once while its sightings go on.
      const seenAt = performance.now();
      const again = id.card === randomCard && seenAt - randomSeenAt < RANDOM_GAP_MS;
      randomCard = id.card;
      randomSeenAt = seenAt;
      return again ? null : { type: 'readRejected', at, reader, reason: random, card: id.card };
    }
    return {
      type: 'cardRead',
      at,
      card: id.card,
      reader,
      ...(mono === undefined ? {} : { mono: mono() - event.lagMs }),
    };
  };

  const fault = (event: Extract<SessionEvent, { kind: 'fault' }>): ReadRejected | null => {
    const stable = healthySince !== null && performance.now() - healthySince >= stableMs;
    healthySince = null;
    if (stable) reported = null;
    failures = stable ? 1 : failures + 1;
    if (event.reason === reported) return null;
    reported = event.reason;
    return { type: 'readRejected', at: now(), reader, reason: event.reason };
  };

  return {
    toEvent: (event) => {
      switch (event.kind) {
        case 'healthy':
          healthySince = performance.now();
          return null;
        case 'seen':
          return seen(event);
        case 'collision':
          // The chip answers: whatever fault came before is over.
          reported = null;
          return { type: 'readRejected', at: now() - event.lagMs, reader, reason: TWO_CARDS };
        case 'fault':
          return fault(event);
      }
    },
    failures: () => failures,
  };
}
