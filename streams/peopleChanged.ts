/**
 * A People list loaded (the sheet's People tab every minute, or the people
 * file): the directory is replaced, open sessions and each card's memory
 * follow the person (an alias added), and cards clocked without a name get it
 * filled in once People names them (rule 5).
 */
import { lookUp, makeDirectory, nameOf, type Directory } from './directory';
import { enrolmentsShown, managerName } from './enrolment';
import type { DirectoryLoaded, Output } from './events';
import type { CardMemory, ClockState, OpenSession, Step } from './sessionState';

export function onDirectory(state: ClockState, event: DirectoryLoaded): Step {
  // The very list the directory was made from (People unchanged since the last read, which is
  // every minute): sessions, names and cards already follow it, so nothing can change.
  if (event.people === state.directory.people) return { state, out: [] };
  // What was enrolled at the reader stays in the directory until People shows it (rule 14).
  const shown = enrolmentsShown(state, event.people, event.at);
  const directory = makeDirectory(shown.people);
  const open = followThePerson(state.open, directory);
  const cards = moveCardMemory(state.cards, directory);
  // Cards clocked without a name get it filled into their rows once People names them (rule 5);
  // so do cards listed at the reader, whose rows show their placeholder until then (rule 14).
  const out: Output[] = [...shown.out];
  const unnamed = new Set(state.unnamed);
  const placeholderNames = new Map(state.placeholderNames ?? []);
  for (const card of state.unnamed) {
    const name = managerName(state, card, nameOf(lookUp(directory, card)));
    if (name === null) continue;
    const placeholder = placeholderNames.get(card);
    out.push({
      type: 'nameCard',
      at: event.at,
      card,
      name,
      ...(placeholder === undefined ? {} : { placeholder }),
    });
    unnamed.delete(card);
    placeholderNames.delete(card);
  }
  // After the names (which the store fills in by the id the rows were taken under).
  for (const [card, session] of open) {
    if (state.open.get(session.card)?.id === session.id) continue;
    out.push({ type: 'followCard', at: event.at, session: session.id, card });
  }
  const enrolments = shown.pending;
  return {
    state: { ...state, directory, open, cards, unnamed, placeholderNames, enrolments },
    out,
  };
}

/**
 * Open sessions follow the person, not the raw id: a session kept under an id
 * People now lists as an alias of another card (or whose card became an alias
 * of a new card id) moves to that person's card, so their next tap with either
 * id clocks it out. If the person's card already has a session open, the
 * other stays where it is and is closed automatically at its limit: two open
 * sessions cannot be one, and guessing which of them is real would be worse.
 * Open sessions also pick up a name typed in while they were open.
 */
function followThePerson(
  sessions: ReadonlyMap<string, OpenSession>,
  directory: Directory,
): Map<string, OpenSession> {
  const open = new Map<string, OpenSession>();
  const moving: { readonly card: string; readonly session: OpenSession }[] = [];
  for (const [key, session] of sessions) {
    const person = lookUp(directory, key);
    const name = nameOf(person) ?? session.name;
    const named = name === session.name ? session : { ...session, name };
    const card = person?.card ?? key;
    if (card === key) open.set(key, named);
    else moving.push({ card, session: named });
  }
  // Oldest first, so which one moves when two would meet does not depend on map order.
  moving.sort((a, b) => a.session.inAt - b.session.inAt || a.card.localeCompare(b.card));
  for (const { card, session } of moving) {
    if (open.has(card)) open.set(session.card, session);
    else open.set(card, { ...session, card });
  }
  return open;
}

/**
 * Whether `a`'s last accepted tap came after `b`'s: by the monotonic clock when both have one,
 * as the guard measures (a wall clock stepped back between them would say otherwise).
 */
function acceptedLater(a: CardMemory, b: CardMemory): boolean {
  if (b.lastAcceptedAt === undefined) return true;
  if (a.lastAcceptedAt === undefined) return false;
  if (a.lastAcceptedMono !== undefined && b.lastAcceptedMono !== undefined)
    return a.lastAcceptedMono > b.lastAcceptedMono;
  return a.lastAcceptedAt > b.lastAcceptedAt;
}

/** The guard and the "today" spans follow the person the same way (rule 3 holds across ids). */
function moveCardMemory(
  cards: ReadonlyMap<string, CardMemory>,
  directory: Directory,
): ReadonlyMap<string, CardMemory> {
  let moved: Map<string, CardMemory> | null = null;
  for (const [key, memory] of cards) {
    const card = lookUp(directory, key)?.card;
    if (card === undefined || card === key) continue;
    moved ??= new Map(cards);
    const target = moved.get(card);
    moved.delete(key);
    const later = target === undefined || acceptedLater(memory, target) ? memory : target;
    const folded = Math.max(target?.foldedUntil ?? -Infinity, memory.foldedUntil ?? -Infinity);
    moved.set(card, {
      ...(later.lastAcceptedAt === undefined ? {} : { lastAcceptedAt: later.lastAcceptedAt }),
      ...(later.lastAcceptedMono === undefined ? {} : { lastAcceptedMono: later.lastAcceptedMono }),
      recent: [...(target?.recent ?? []), ...memory.recent],
      ...(folded === -Infinity ? {} : { foldedUntil: folded }),
    });
  }
  return moved ?? cards;
}
