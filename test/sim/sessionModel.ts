/**
 * The independent model of invariant 1: the sessions PRODUCT.md's rules make
 * of the reads the clock was given, written from the rules and nothing else
 * (it must not call the reducer in streams/sessions.ts).
 *
 * Time is measured honestly: between two readings of one boot, by the
 * monotonic clock; otherwise by wall time, corrected for a stale clock once
 * that boot was synchronised (a reading taken on a stale clock happened at
 * its wall time minus the clock's error then). So:
 *
 * - reads of one card id closer than the debounce are one presentation (a
 *   card lying on the reader while the clock's process restarts included);
 * - a presentation of a person who was accepted less than the guard ago is
 *   ignored;
 * - a person with an open session closes it (at clock-in + elapsed time), or,
 *   if it is past the limit, it was closed `auto` at clock-in + limit and
 *   this tap clocks in anew; open sessions follow the person (their card, or
 *   any of its aliases, resolved in the directory as it is now);
 * - a deactivated card cannot clock in; any other card clocks in (unknown
 *   cards are accepted);
 * - with a daily cut-off, a session is closed at the cut-off when it comes
 *   before the limit; a clock-in on a stale clock has none until its boot is
 *   synchronised (either close is then right);
 * - a tap on a stale clock that closed a session from before that boot is a
 *   clock-out; once the boot is synchronised, if that close was past the
 *   session's limit by the true time, the session is `auto` at its limit.
 *
 * A person found with two open sessions at once (two ids of one card used
 * before they were tied together) is beyond what the rules decide: the
 * model stops judging that person's sessions.
 */

/** One reading of the clock's clocks, as it was when a read arrived. */
export interface Reading {
  /** Wall time the clock stamped. */
  readonly at: number;
  /** Monotonic ms since boot. */
  readonly mono: number;
  readonly boot: number;
  /** The clock's wall error, when the reading was taken on a stale (unsynchronised) clock; else 0. */
  readonly staleBy: number;
}

export interface ModelPerson {
  readonly card: string;
  readonly name: string;
  readonly active: boolean;
  readonly aliases: readonly string[];
}

export type ModelInput =
  | ({ readonly type: 'read'; readonly card: string } & Reading)
  | {
      readonly type: 'directory';
      readonly people: readonly ModelPerson[];
      /** When the clock got it. */
      readonly at: Reading;
    };

export interface ModelSession {
  /** The person key: the card it was opened under, or its person's card once it followed them. */
  card: string;
  readonly in: Reading;
  out: { readonly reading: Reading; readonly status: 'out' } | null;
}

export interface ModelRules {
  readonly debounceMs: number;
  readonly guardMs: number;
  readonly limitMs: number;
  /** The daily cut-off, local `HH:mm` in `zone`, or none. */
  readonly cutoff?: { readonly hhmm: string; readonly zone: string } | null;
}

/**
 * When an open session is closed automatically, in ms after its clock-in: `first` and `last`
 * are the same unless its clock-in was taken on a stale clock, where the clock gives it no
 * cut-off until it hears its clock is synchronised (only the limit), and the cut-off of its
 * corrected day after: either may be what closed it.
 */
interface Closes {
  readonly first: number;
  readonly last: number;
}

/** A person's last accepted tap, and the session it closed (null for a clock-in). */
interface Accepted {
  readonly reading: Reading;
  readonly closed: ModelSession | null;
}

/** What a session should look like now. */
export interface Expected {
  readonly card: string;
  readonly inAt: number;
  /** `either`: the limit passed less than a tick's grace ago; the clock may not have closed it yet. */
  readonly status: 'in' | 'out' | 'auto' | 'either';
  readonly outAt: number | null;
  /** Another close that is as right (a stale clock-in's limit, beside its cut-off). */
  readonly alsoOutAt?: number;
}

/** The clock measures by the wall clock unless it and the monotonic clock part by more (sessions.ts). */
const JUMP_MS = 120_000;
/** A minute tick comes at most this long after the minute it is for (the timer's jitter included). */
const TICK_GRACE_MS = 2 * 60_000 + 10_000;

export class SessionModel {
  readonly sessions: ModelSession[] = [];
  /** Cards the model no longer judges (see the header). */
  readonly excluded = new Set<string>();
  private open = new Map<string, ModelSession>();
  private readonly lastRead = new Map<string, Reading>();
  private readonly lastAccepted = new Map<string, Accepted>();
  private byId = new Map<string, ModelPerson>();
  private people: readonly ModelPerson[] = [];
  /** The latest monotonic time, per boot, at which the clock ran its minute tick. */
  private readonly ranUntil = new Map<number, number>();
  /** The latest wall time, per boot, that the clock stamped on a minute tick. */
  private readonly ranUntilWall = new Map<number, number>();
  /** Taps (presentations) the model counted, and how many it ignored. */
  taps = 0;
  ignored = 0;

  constructor(
    private readonly rules: ModelRules,
    /** Whether a boot's stale clock was later set right (its stale readings can be corrected). */
    private readonly synced: (boot: number) => boolean,
  ) {}

  /** The honest instant of a reading. */
  when(r: Reading): number {
    return r.staleBy !== 0 && this.synced(r.boot) ? r.at - r.staleBy : r.at;
  }

  /** Honest time from a to b. */
  elapsed(a: Reading, b: Reading): number {
    return a.boot === b.boot ? b.mono - a.mono : this.when(b) - this.when(a);
  }

  apply(input: ModelInput): void {
    if (input.type === 'directory') {
      this.people = input.people;
      this.byId = new Map();
      for (const person of input.people)
        for (const id of [person.card, ...person.aliases])
          if (!this.byId.has(id)) this.byId.set(id, person);
      // Open sessions follow the person the directory now makes of their id, oldest first,
      // unless that person has one open already. One past its limit was closed `auto` by the
      // clock's tick at or before its next minute, under the id it had: it stays there; and if
      // it is the person's, it is open no longer, so the other follows (seeds 16 and 17, 120
      // days: the chip's session closed at its limit, the wedge id's session moves to the chip).
      // Within that minute (and a tick's jitter) either may happen: the cards are no longer judged.
      const open = [...this.open.values()].sort((a, b) => this.when(a.in) - this.when(b.in));
      for (const session of open) {
        const key = this.keyOf(session.card);
        if (key === session.card) continue;
        const age = this.elapsed(session.in, input.at);
        const closes = this.closes(session);
        // Closed by a tick under the id it had, before this directory: in its own boot, a
        // tick's grace after its limit; from an earlier boot, only once a tick's wall time
        // passed it (a wall clock NTP just stepped makes it overdue before any tick: seed 66054).
        const ran =
          session.in.boot === input.at.boot ? -Infinity : this.ranInItsBoot(session, input.at);
        const ticked =
          session.in.boot === input.at.boot
            ? age >= closes.last + TICK_GRACE_MS
            : ran >= closes.last;
        if (ticked) continue;
        const there = this.open.get(key);
        const theirs =
          there === undefined ? 'closed' : this.expect(there, input.at, TICK_GRACE_MS).status;
        if (age >= closes.first || ran >= closes.first - JUMP_MS || theirs === 'either') {
          this.excluded.add(session.card);
          this.excluded.add(key);
          continue;
        }
        if (theirs === 'in') continue;
        this.open.delete(key);
        this.open.delete(session.card);
        session.card = key;
        this.open.set(key, session);
      }
      return;
    }
    this.read(input.card, input);
  }

  /**
   * A sighting the clock missed (its process was down, the machine and the
   * reader were not): the card was there, so a presentation already going on
   * goes on, but it is no tap. A card put on the reader while the process was
   * down starts nothing the clock could know of: its first read after the
   * restart is a tap (seed 11, 120 days: a visitor tapping during a restart).
   */
  sight(card: string, r: Reading): void {
    const previous = this.lastRead.get(card);
    if (previous === undefined) return;
    const gap = this.elapsed(previous, r);
    if (gap >= 0 && gap < this.rules.debounceMs) this.lastRead.set(card, r);
  }

  /**
   * A card lying on the reader as the clock starts, since before it stopped (the power cut
   * too, when the reader saw nothing): its presentation goes on from the start, as the clock
   * carries on the presentation of a card it was seeing when it stopped (streams/sightings.ts).
   */
  carry(card: string, r: Reading): void {
    if (this.lastRead.has(card)) this.lastRead.set(card, r);
  }

  /**
   * The clock ran its minute tick at `mono` in `boot`, stamped `at` by its
   * wall clock: a session of that boot past its limit by then was closed,
   * measured by that boot's monotonic clock (whatever the wall clock of a
   * later boot says); a session of an earlier boot, by the wall clock (a
   * restart has only the wall time of its clock-in), even if that wall clock
   * is later stepped back.
   */
  ran(boot: number, mono: number, at: number): void {
    if ((this.ranUntil.get(boot) ?? -Infinity) < mono) this.ranUntil.set(boot, mono);
    if ((this.ranUntilWall.get(boot) ?? -Infinity) < at) this.ranUntilWall.set(boot, at);
  }

  /** The person key of an id: its person's card, or the id itself. */
  keyOf(id: string): string {
    return this.byId.get(id)?.card ?? id;
  }

  private read(card: string, r: Reading): void {
    const previous = this.lastRead.get(card);
    this.lastRead.set(card, r);
    if (previous !== undefined) {
      const gap = this.elapsed(previous, r);
      if (gap >= 0 && gap < this.rules.debounceMs) return;
    }
    this.taps += 1;
    const key = this.keyOf(card);
    if (this.excluded.has(key) || this.excluded.has(card)) return;
    const accepted = this.lastAccepted.get(key);
    const since = accepted === undefined ? undefined : this.sinceAccepted(accepted, r);
    if (since !== undefined && since >= 0 && since < this.rules.guardMs) {
      this.ignored += 1;
      return;
    }
    const mine: ModelSession[] = [];
    for (const s of this.open.values()) {
      if (this.keyOf(s.card) !== key) continue;
      // Past its limit: it was closed `auto` there (out stays null: `expect` says so). Also when
      // the clock ticked past it in the session's own boot, whatever a later boot's wall says;
      // within a jump of that, either may have happened: the card is no longer judged.
      const ran = this.ranInItsBoot(s, r);
      const closes = this.closes(s);
      const elapsed = this.elapsed(s.in, r);
      if (elapsed >= closes.last || ran >= closes.last + JUMP_MS) this.open.delete(s.card);
      else if (elapsed >= closes.first || ran >= closes.first - JUMP_MS) {
        this.excluded.add(s.card);
        this.excluded.add(key);
        this.excluded.add(card);
        this.open.delete(s.card);
        return;
      } else mine.push(s);
    }
    if (mine.length > 1) {
      for (const s of mine) {
        this.excluded.add(s.card);
        this.open.delete(s.card);
      }
      this.excluded.add(key);
      this.excluded.add(card);
      return;
    }
    const session = mine[0];
    if (session !== undefined) {
      this.open.delete(session.card);
      session.out = { reading: r, status: 'out' };
      this.lastAccepted.set(key, { reading: r, closed: session });
      return;
    }
    if (this.byId.get(card)?.active === false) {
      this.ignored += 1;
      return;
    }
    const opened: ModelSession = { card: key, in: r, out: null };
    this.sessions.push(opened);
    this.open.set(key, opened);
    this.lastAccepted.set(key, { reading: r, closed: null });
  }

  /**
   * Honest time from a person's last accepted tap to `r`: by the monotonic clock in that tap's
   * boot; from a later boot, from the instant the store keeps for the tap, which for a clock-out
   * is its session's clock-in plus the time measured, whatever the wall clock said then (seed
   * 16, 120 days: a wall clock stepped a day ahead before a clock-out made the next boot's first
   * tap, hours later, look earlier than it). Negative when that instant is ahead of `r`'s wall
   * clock (stamped by a clock stepped forward): then how long ago it was cannot be told, and the
   * tap is no double tap (rule 12, as in streams/sessions.ts since seed 9204).
   */
  private sinceAccepted({ reading, closed }: Accepted, r: Reading): number {
    if (reading.boot === r.boot) return this.elapsed(reading, r);
    const at =
      closed === null
        ? this.when(reading)
        : this.when(closed.in) + Math.max(0, this.elapsed(closed.in, reading));
    return this.when(r) - at;
  }

  /**
   * How long after its clock-in the clock last ticked, as the clock measured it, when `now` is
   * in a later boot than the clock-in (else -Infinity). In the session's own boot the clock
   * measured by the monotonic clock, or by the wall clock when the two agreed within a jump; in
   * a later boot, by the wall clock. A tick that late (or within a jump of it) closed the
   * session at its limit, or may have, whatever the wall clock says now.
   */
  private ranInItsBoot(session: ModelSession, now: Reading): number {
    if (session.in.boot === now.boot) return -Infinity;
    let ran = (this.ranUntil.get(session.in.boot) ?? -Infinity) - session.in.mono;
    const inAt = this.when(session.in);
    for (const [boot, at] of this.ranUntilWall) {
      if (boot > session.in.boot && boot <= now.boot) ran = Math.max(ran, at - inAt);
    }
    return ran;
  }

  /** What a session should look like at `now`, given a grace for the minute tick. */
  expect(session: ModelSession, now: Reading, graceMs: number): Expected {
    const inAt = this.when(session.in);
    if (session.out !== null) {
      const outAt = inAt + Math.max(0, this.elapsed(session.in, session.out.reading));
      // A tap on a stale clock closed a session clocked in before that boot (its In known): once
      // the boot was synchronised, a close past the session's limit by the true time is undone,
      // and the session closed `auto` at its limit (rule 4); the tap stays a clock-out.
      const out = session.out.reading;
      if (out.staleBy !== 0 && out.boot !== session.in.boot && this.synced(out.boot)) {
        const { first } = this.closes(session);
        if (outAt - inAt > first)
          return { card: session.card, inAt, status: 'auto', outAt: inAt + first };
      }
      return { card: session.card, inAt, status: 'out', outAt };
    }
    const reachedLimit = this.open.get(session.card) !== session;
    // Across a reboot onto a stale clock not yet synchronised, the clock cannot tell the time
    // that really passed; it may have closed the session before the reboot (when its clock was
    // right) or may not yet: between the stale and the true elapsed time, either is right.
    const measured = this.elapsed(session.in, now);
    const real = now.at - now.staleBy - (session.in.at - session.in.staleBy);
    const elapsed = session.in.boot === now.boot ? measured : Math.min(measured, real);
    const latest = session.in.boot === now.boot ? measured : Math.max(measured, real);
    const ranInItsBoot = this.ranInItsBoot(session, now);
    const { first, last } = this.closes(session);
    const closed = {
      card: session.card,
      inAt,
      outAt: inAt + first,
      ...(last === first ? {} : { alsoOutAt: inAt + last }),
    };
    if (reachedLimit || elapsed >= last + graceMs || ranInItsBoot >= last + JUMP_MS) {
      return { ...closed, status: 'auto' };
    }
    if (latest >= first || ranInItsBoot >= first - JUMP_MS) return { ...closed, status: 'either' };
    return { card: session.card, inAt, status: 'in', outAt: null };
  }

  /** When the session is closed automatically (the limit, or the daily cut-off when sooner). */
  private closes(session: ModelSession): Closes {
    const { limitMs, cutoff } = this.rules;
    if (cutoff === undefined || cutoff === null) return { first: limitMs, last: limitMs };
    const inAt = this.when(session.in);
    const first = Math.min(limitMs, nextLocalInstant(inAt, cutoff.hhmm, cutoff.zone) - inAt);
    return { first, last: session.in.staleBy === 0 ? first : limitMs };
  }

  /** The directory as the clock last had it. */
  directory(): readonly ModelPerson[] {
    return this.people;
  }
}

/** Formats instants as local date and time parts in a zone (made once: Intl is slow to make). */
const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** How far `zone`'s wall clock is ahead of UTC at `at`, in ms (by Intl, not streams/zoned.ts). */
function offsetAt(at: number, zone: string): number {
  let format = partsFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(at));
  const part = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * The first instant after `after` at which `zone`'s wall clock shows `hhmm`. Only for times
 * outside a DST change's hour (the simulation's cut-offs are): each exists once a day.
 */
export function nextLocalInstant(after: number, hhmm: string, zone: string): number {
  const [hours = 0, minutes = 0] = hhmm.split(':').map(Number);
  const today = new Date(after + offsetAt(after, zone));
  for (let day = 0; day < 3; day++) {
    const wall = Date.UTC(
      today.getUTCFullYear(),
      today.getUTCMonth(),
      today.getUTCDate() + day,
      hours,
      minutes,
    );
    const guess = wall - offsetAt(wall, zone);
    const at = wall - offsetAt(guess, zone);
    if (at > after) return at;
  }
  throw new Error(`no ${hhmm} in ${zone} within 3 days of ${new Date(after).toISOString()}`);
}
