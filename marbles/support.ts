/** Builders shared by the marble tests: stamped reads and the expected outputs. */
import { map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Person } from '../streams/directory';
import type { CardRead, DirectoryLoaded, Output, ReadRejected } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import { toHours } from '../streams/zoned';

export const rulesUtc: Rules = defaultRules('UTC');
export const HOUR = 3_600_000;

/** Stamps card ids with the scheduler's clock, as a reader driver stamps them with Date.now(). */
export function stampReads(
  scheduler: SchedulerLike,
  reader = 'door',
): OperatorFunction<string, CardRead> {
  return map((card) => ({ type: 'cardRead', at: scheduler.now(), card, reader }));
}

/** What a reader hands the core: a card id, or something that is not one (a fault). */
export type ReaderInput = string | { readonly fault: string };

/** Like stampReads, for readers that also fail: `{ fault }` becomes a readRejected event. */
export function stampReaderInput(
  scheduler: SchedulerLike,
  reader = 'door',
): OperatorFunction<ReaderInput, CardRead | ReadRejected> {
  return map((input): CardRead | ReadRejected => {
    const at = scheduler.now();
    return typeof input === 'string'
      ? { type: 'cardRead', at, card: input, reader }
      : { type: 'readRejected', at, reader, reason: input.fault };
  });
}

/** A UTC instant from a local ISO time with its offset, so DST offsets are visible in the test. */
export function instant(isoWithOffset: string): number {
  const at = Date.parse(isoWithOffset);
  if (Number.isNaN(at)) throw new Error(`not an ISO time: ${isoWithOffset}`);
  return at;
}

export function directory(at: number, people: readonly Partial<Person>[]): DirectoryLoaded {
  return {
    type: 'directoryLoaded',
    at,
    people: people.map((p) => ({ card: '', name: '', active: true, aliases: [], ...p })),
  };
}

export function tap(at: number, card: string, name: string | null = null, reader = 'door'): Output {
  return { type: 'tap', at, card, name, reader };
}

export function clockIn(
  at: number,
  card: string,
  name: string | null = null,
  reader = 'door',
): Output {
  return { type: 'clock-in', at, card, name, session: sessionId(card, at), reader };
}

export function clockOut(
  at: number,
  card: string,
  inAt: number,
  name: string | null = null,
  todayHours = toHours(at - inAt),
  reader = 'door',
  weekHours = todayHours,
): Output {
  return {
    type: 'clock-out',
    at,
    card,
    name,
    session: sessionId(card, inAt),
    reader,
    inAt,
    hours: toHours(at - inAt),
    todayHours,
    weekHours,
  };
}

export function autoOut(
  at: number,
  card: string,
  inAt: number,
  reason: 'limit' | 'cutoff',
  name: string | null = null,
): Output {
  return {
    type: 'auto-out',
    at,
    card,
    name,
    session: sessionId(card, inAt),
    inAt,
    hours: toHours(at - inAt),
    reason,
  };
}

export function ignored(
  at: number,
  card: string,
  name: string | null = null,
  reason: 'double-tap' | 'inactive' = 'double-tap',
): Output {
  return { type: 'ignored', at, card, name, reason, reader: 'door' };
}

export function unknown(at: number, card: string, policy: 'accept' | 'reject' = 'accept'): Output {
  return { type: 'unknown', at, card, name: null, policy, reader: 'door' };
}

export function listCard(at: number, card: string): Output {
  return { type: 'listCard', at, card };
}

export function nameCard(at: number, card: string, name: string): Output {
  return { type: 'nameCard', at, card, name };
}

export function readerFault(at: number, reason: string, reader = 'door'): Output {
  return { type: 'reader-fault', at, reader, reason };
}
