/**
 * Enrolment at the reader (rule 14). An admin card opens it at the reader it
 * was tapped on; there, for `enrolMs` (30 s) after its last step:
 *
 * - an unknown card is listed in People under a placeholder name (`New 3`),
 *   and the mode closes;
 * - a known card is chosen, and the next card becomes its alias (the same
 *   badge read as decimal by a wedge reader, or a replacement badge), and the
 *   mode closes; a card that is already someone's, or was used on its own,
 *   is refused;
 * - the admin card again closes it.
 *
 * Admin taps and enrolment taps never clock anyone in or out; other readers
 * go on as usual. What was enrolled is part of the directory at once, and
 * stays so (from the store, across restarts) until People shows it.
 */
import { lookUp, makeDirectory, nameOf, type Person } from './directory';
import type { Enrolment, Output } from './events';
import { ENROL_MS, type Rules } from './rules';
import type { ClockState, EnrolMode, PendingEnrolment, Step } from './sessionState';

/** What the reducer knows of a new presentation (see `Tap` in sessions.ts). */
interface EnrolTap {
  readonly read: { readonly at: number; readonly mono?: number | undefined; readonly card: string };
  readonly reader: string;
  readonly person: Person | undefined;
}

/**
 * The reader an enrolment step is kept under: this door's reader by its name, another door's by
 * its door too (the tap's origin is `<door>:<seq>`). Reader names repeat across doors (the
 * default is the host's name), and another door's admin tap must not open this door's reader.
 */
export function enrolReader(read: { readonly reader: string; readonly origin?: string }): string {
  const { reader, origin } = read;
  return origin === undefined ? reader : `${origin.slice(0, origin.lastIndexOf(':'))}/${reader}`;
}

/**
 * Whether a card opens enrolment: `admin` in People, or listed in the config by any of its ids
 * (the raw id read, or the person's card or an alias People gives it: a wedge reader's decimal
 * form of the config's card is the same card, and an admin tap must never clock, rule 14).
 */
export function isAdminCard(card: string, person: Person | undefined, rules: Rules): boolean {
  if (person?.admin === true) return true;
  const ids = person === undefined ? [card] : [card, person.card, ...person.aliases];
  return ids.some((id) => rules.adminCards?.includes(id) ?? false);
}

/**
 * The tap as an enrolment step, or null when it is not one (not an admin card,
 * and no enrolment open at its reader): then it is an ordinary tap.
 */
export function enrolAtTheReader(
  state: ClockState,
  tap: EnrolTap,
  rules: Rules,
  out: Output[],
): Step | null {
  const { read, reader, person } = tap;
  const mode = state.enrol?.get(reader);
  if (isAdminCard(read.card, person, rules)) {
    const admin = person?.card ?? read.card;
    out.push(
      mode === undefined
        ? enrol('opened', read.at, admin, nameOf(person), reader, { mono: read.mono })
        : enrol('closed', read.at, admin, nameOf(person), reader, { reason: 'admin card' }),
    );
    const opened: EnrolMode = { admin, at: read.at, mono: read.mono };
    return { state: withMode(state, reader, mode === undefined ? opened : null), out };
  }
  if (mode === undefined) return null;
  if (mode.target === undefined) {
    if (person === undefined) return listNew(state, tap, out);
    const chosen: EnrolMode = { ...mode, at: read.at, mono: read.mono, target: person.card };
    out.push(enrol('chosen', read.at, person.card, nameOf(person), reader, { mono: read.mono }));
    return { state: withMode(state, reader, chosen), out };
  }
  return tieTo(state, mode.target, tap, out);
}

/** An unknown card, listed in People under the next placeholder name. */
function listNew(state: ClockState, { read, reader }: EnrolTap, out: Output[]): Step {
  const placeholders = nextPlaceholder(state);
  const name = `New ${placeholders}`;
  out.push(enrol('listed', read.at, read.card, name, reader));
  out.push({
    type: 'listCard',
    at: read.at,
    card: read.card,
    name,
    note: `enrolled at ${reader}`,
  });
  const next = withEnrolment(state, { card: read.card, name });
  // A placeholder is no name of the manager's: the card stays unnamed until People names it.
  const placeholderNames = new Map(state.placeholderNames ?? []).set(read.card, name);
  const unnamed = new Set(state.unnamed).add(read.card);
  return {
    state: { ...withMode(next, reader, null), placeholders, placeholderNames, unnamed },
    out,
  };
}

/**
 * The name the manager gave a card in People: null while it has none, or only the placeholder
 * it was enrolled under at the reader (rules 5 and 14).
 */
export function managerName(state: ClockState, card: string, name: string | null): string | null {
  return name === null || state.placeholderNames?.get(card) === name ? null : name;
}

/**
 * Whether a tap's card is named as rule 5 means it. A card listed at the reader is unknown until
 * the manager names it: `reject` refuses it; `accept` clocks it in under its placeholder, as it
 * does a blank card under its id, without telling it is unknown (the manager has just listed it).
 */
export function namedForRule5(
  state: ClockState,
  card: string,
  name: string | null,
  rules: Rules,
): boolean {
  if (name === null) return false;
  return rules.unknownCards === 'accept' || managerName(state, card, name) !== null;
}

/** The card after a chosen one: its alias, unless it is someone's already or was used alone. */
function tieTo(
  state: ClockState,
  target: string,
  { read, reader, person }: EnrolTap,
  out: Output[],
): Step {
  const owner = lookUp(state.directory, target);
  const who = nameOf(owner) ?? target;
  const refusal =
    person !== undefined
      ? person.card === target
        ? `card ${read.card} is ${who}'s already`
        : `card ${read.card} belongs to ${nameOf(person) ?? person.card}`
      : state.open.has(read.card) || state.listed.has(read.card)
        ? `card ${read.card} has been used on its own; add it to ${who}'s aliases in People by hand`
        : null;
  if (refusal !== null) {
    out.push(enrol('refused', read.at, read.card, nameOf(person), reader, { reason: refusal }));
    return { state: withMode(state, reader, null), out };
  }
  out.push(enrol('aliased', read.at, read.card, nameOf(owner), reader, { target }));
  out.push({ type: 'addAlias', at: read.at, card: target, alias: read.card });
  return { state: withMode(withEnrolment(state, { card: read.card, target }), reader, null), out };
}

/**
 * Closes the enrolments whose time ran out by `now` (a tap, a minute tick or the start),
 * measured by the monotonic clock where both have one; and one restored from another boot,
 * whose time cannot be measured (the start closes it, so the reader tells at once).
 */
export function closeExpiredEnrolments(
  state: ClockState,
  now: { readonly at: number; readonly mono?: number | undefined },
  rules: Rules,
): Step {
  if (state.enrol === undefined || state.enrol.size === 0) return { state, out: [] };
  const enrolMs = rules.enrolMs ?? ENROL_MS;
  const out: Output[] = [];
  const open = new Map(state.enrol);
  for (const [reader, mode] of state.enrol) {
    const name = nameOf(lookUp(state.directory, mode.admin));
    if (mode.untimed === true) {
      open.delete(reader);
      out.push(
        enrol('closed', now.at, mode.admin, name, reader, { reason: 'the clock restarted' }),
      );
      continue;
    }
    const since =
      mode.mono !== undefined && now.mono !== undefined ? now.mono - mode.mono : now.at - mode.at;
    if (since < enrolMs) continue;
    open.delete(reader);
    out.push(
      enrol('closed', mode.at + enrolMs, mode.admin, name, reader, { reason: 'time ran out' }),
    );
  }
  return out.length === 0 ? { state, out } : { state: { ...state, enrol: open }, out };
}

/**
 * The People list with what was enrolled at the reader and People does not
 * show yet: listed cards as people of their own, aliases added to their
 * person (or to a person of their own, when the card they were tied to is
 * not listed either).
 */
export function withEnrolments(
  people: readonly Person[],
  enrolments: readonly PendingEnrolment[],
): readonly Person[] {
  if (enrolments.length === 0) return people;
  const merged = [...people];
  for (const { card, name, target } of enrolments) {
    if (merged.some((p) => p.card === card || p.aliases.includes(card))) continue;
    if (target === undefined) {
      merged.push({ card, name: name ?? '', active: true, aliases: [] });
      continue;
    }
    const i = merged.findIndex((p) => p.card === target);
    const owner = merged[i];
    if (owner === undefined) merged.push({ card: target, name: '', active: true, aliases: [card] });
    else merged[i] = { ...owner, aliases: [...owner.aliases, card] };
  }
  return merged;
}

/**
 * People as loaded, and the enrolments it now shows: those are People's from
 * here on (`enrolmentSeen`, so a restart forgets them); the others stay in
 * the directory until it does.
 */
export function enrolmentsShown(
  state: ClockState,
  people: readonly Person[],
  at: number,
): {
  readonly people: readonly Person[];
  readonly pending: readonly PendingEnrolment[];
  readonly out: Output[];
} {
  const pending = state.enrolments ?? [];
  if (pending.length === 0) return { people, pending, out: [] };
  const loaded = makeDirectory(people);
  const out: Output[] = [];
  const left = pending.filter((e) => {
    if (lookUp(loaded, e.card) === undefined) return true;
    out.push({ type: 'enrolmentSeen', at, card: e.card });
    return false;
  });
  return { people: withEnrolments(people, left), pending: left, out };
}

/** The next placeholder number: after every one listed here, and every `New N` People has. */
function nextPlaceholder(state: ClockState): number {
  let highest = state.placeholders ?? 0;
  for (const person of state.directory.people) {
    const n = /^New (\d+)$/.exec(person.name.trim())?.[1];
    if (n !== undefined) highest = Math.max(highest, Number(n));
  }
  return highest + 1;
}

function withEnrolment(state: ClockState, enrolment: PendingEnrolment): ClockState {
  const people = withEnrolments(state.directory.people, [enrolment]);
  return {
    ...state,
    directory: makeDirectory(people),
    enrolments: [...(state.enrolments ?? []), enrolment],
  };
}

function withMode(state: ClockState, reader: string, mode: EnrolMode | null): ClockState {
  const enrol = new Map(state.enrol ?? []);
  if (mode === null) enrol.delete(reader);
  else enrol.set(reader, mode);
  return { ...state, enrol };
}

function enrol(
  step: Enrolment['step'],
  at: number,
  card: string,
  name: string | null,
  reader: string,
  extra: {
    readonly reason?: string;
    readonly target?: string;
    readonly mono?: number | undefined;
  } = {},
): Enrolment {
  return {
    type: 'enrol',
    step,
    at,
    card,
    name,
    reader,
    ...(extra.target === undefined ? {} : { target: extra.target }),
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    ...(extra.mono === undefined ? {} : { mono: extra.mono }),
  };
}
