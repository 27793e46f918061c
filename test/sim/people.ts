/**
 * The people of a simulated run: who they are (a chip UID read by reader A,
 * and the decimal id a wedge reader B types for the same card), when they
 * work (day or night shifts, in the configured zone), and what one day of
 * their taps looks like (held cards, double taps, forgotten clock-outs,
 * visitors with unknown cards). Everything is drawn from the PRNG it is given.
 */
import { TZDate } from '@date-fns/tz';
import { startOfLocalDay } from '../../streams/zoned';
import type { Habits } from './plan';
import { DAY, HOUR, MINUTE, SECOND } from './plan';
import type { Random } from './random';

export interface SimPerson {
  readonly index: number;
  /** The chip UID (reader A), canonical hex. */
  readonly hex: string;
  /** The wedge reader's decimal id of the same card (reader B). */
  readonly dec: string;
  readonly name: string;
  readonly night: boolean;
  readonly readerB: boolean;
  /** Whether People lists `dec` as an alias of `hex` at the start. */
  readonly aliasListed: boolean;
  /** Local minutes after midnight the shift starts; its length in ms. */
  readonly startMinute: number;
  readonly shiftMs: number;
}

export type ReaderName = 'door-a' | 'door-b';

/** One sighting of a card at a reader, at a true instant (ms since the run began). */
export interface PlannedRead {
  readonly at: number;
  readonly card: string;
  readonly reader: ReaderName;
}

/** Makes the people of a run. */
export function makePeople(count: number, habits: Habits, random: Random): SimPerson[] {
  return Array.from({ length: count }, (_, index) => {
    const night = random.chance(habits.night);
    const readerB = random.chance(habits.readerB);
    const hexTail = Array.from({ length: 4 }, () =>
      random.int(0, 255).toString(16).padStart(2, '0'),
    ).join('');
    return {
      index,
      hex: `04${index.toString(16).padStart(4, '0')}${hexTail}`.toUpperCase(),
      dec: String(3_000_000_000 + index * 104_729 + random.int(0, 104_728)),
      name: `Person ${index + 1}`,
      night,
      readerB,
      aliasListed: readerB && random.chance(habits.aliasListed),
      startMinute: night
        ? random.int(20 * 60 + 30, 22 * 60 + 30)
        : random.int(6 * 60 + 30, 9 * 60 + 30),
      shiftMs: random.int(7 * 60, 9 * 60 + 30) * MINUTE,
    };
  });
}

/** The People tab as the manager typed it before the first day. */
export function peopleRows(people: readonly SimPerson[]): string[][] {
  return people.map((p) => [p.hex, p.name, 'yes', p.aliasListed ? p.dec : '', '', '']);
}

/** The instant of a local wall time on the local day starting at `dayStart` (DST-correct). */
export function localInstant(dayStart: number, minutes: number, zone: string): number {
  const naive = dayStart + minutes * MINUTE;
  const offset = (at: number): number => -new TZDate(at, zone).getTimezoneOffset();
  return naive - (offset(naive) - offset(dayStart)) * MINUTE;
}

/** Start of local day `day` of a run whose day 0 starts at `origin`. */
export function localDayStart(origin: number, day: number, zone: string): number {
  return startOfLocalDay(origin + day * DAY + 12 * HOUR, zone);
}

/** Reads of one presentation: one sighting, or a card held for a moment (several). */
function presentation(
  at: number,
  card: string,
  reader: ReaderName,
  held: boolean,
  random: Random,
): PlannedRead[] {
  const reads: PlannedRead[] = [{ at, card, reader }];
  if (held) {
    let t = at;
    for (let i = random.int(1, 6); i > 0; i--) {
      t += random.int(150, 900);
      reads.push({ at: t, card, reader });
    }
  }
  return reads;
}

/** What a person's tap at `at` puts on the readers: held, doubled, at their usual reader (mostly). */
function tap(person: SimPerson, at: number, habits: Habits, random: Random): PlannedRead[] {
  const useB = random.chance(0.05) ? !person.readerB : person.readerB;
  const reader: ReaderName = useB ? 'door-b' : 'door-a';
  const card = useB ? person.dec : person.hex;
  const reads = presentation(at, card, reader, random.chance(habits.held), random);
  if (random.chance(habits.doubleTap)) {
    reads.push(...presentation(at + random.int(10, 50) * SECOND, card, reader, false, random));
  }
  return reads;
}

/**
 * One local day of routine taps (true instants, ms since the run began):
 * shifts that start that day, whatever day they end; visitors.
 */
export function dayReads(
  people: readonly SimPerson[],
  habits: Habits,
  origin: number,
  day: number,
  zone: string,
  random: Random,
): PlannedRead[] {
  const dayStart = localDayStart(origin, day, zone);
  const weekday = new TZDate(dayStart + 12 * HOUR, zone).getDay();
  const weekend = weekday === 0 || weekday === 6;
  const reads: PlannedRead[] = [];
  for (const person of people) {
    if (!random.chance(weekend ? 0.15 : 0.93)) continue;
    const start =
      localInstant(dayStart, person.startMinute + random.int(-15, 15), zone) +
      random.int(0, 59_999);
    reads.push(...tap(person, start - origin, habits, random));
    if (random.chance(habits.forget)) continue;
    const end = start + person.shiftMs + random.int(-20, 20) * MINUTE;
    reads.push(...tap(person, end - origin, habits, random));
  }
  for (let v = 0; v < habits.visitors; v++) {
    const card =
      `0A${Array.from({ length: 6 }, () => random.int(0, 255).toString(16).padStart(2, '0')).join('')}`.toUpperCase();
    const at = localInstant(dayStart, random.int(8 * 60, 17 * 60), zone) - origin;
    reads.push(...presentation(at, card, 'door-a', false, random));
    if (random.chance(0.7))
      reads.push({ at: at + random.int(20, 180) * MINUTE, card, reader: 'door-a' });
  }
  return reads.sort((a, b) => a.at - b.at);
}
