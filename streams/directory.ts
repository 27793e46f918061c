/** The People directory: who a card belongs to, by its id or by one of its aliases. */
export interface Person {
  /** Canonical card id (see cardId.ts); the key sessions are kept under. */
  readonly card: string;
  /** Blank until the manager names the card. */
  readonly name: string;
  /** A deactivated card cannot clock in (it can still clock out an open session). */
  readonly active: boolean;
  /** Other canonical ids of the same card, e.g. a wedge reader's decimal form. */
  readonly aliases: readonly string[];
  /** An admin card (`admin` in People's Active column): opens enrolment, never clocks (rule 14). */
  readonly admin?: boolean;
}

export interface Directory {
  readonly people: readonly Person[];
  /** Every id and alias to its person. */
  readonly byId: ReadonlyMap<string, Person>;
}

/** Builds the lookup; the first listing of an id wins, so a duplicate row cannot steal a card. */
export function makeDirectory(people: readonly Person[]): Directory {
  const byId = new Map<string, Person>();
  for (const person of people) {
    for (const id of [person.card, ...person.aliases]) {
      if (!byId.has(id)) byId.set(id, person);
    }
  }
  return { people, byId };
}

export const emptyDirectory: Directory = makeDirectory([]);

/** The person a card id belongs to, if the directory lists it (by id or alias). */
export function lookUp(directory: Directory, card: string): Person | undefined {
  return directory.byId.get(card);
}

/** The person's name, or null while the card is not listed or not named yet (an unknown card). */
export function nameOf(person: Person | undefined): string | null {
  const name = person?.name.trim() ?? '';
  return name === '' ? null : name;
}
