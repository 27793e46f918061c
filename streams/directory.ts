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

/** Where an id was first listed in a People list: as a row's card or among its aliases. */
export interface IdClaim {
  readonly as: 'card' | 'alias';
  /** The row as a person reads it: `line 2` (people file) or `row 2` (People tab). */
  readonly row: string;
  readonly name: string;
}

/**
 * Keeps which row each card id of a People list was first listed on, so a later
 * row that uses the same id (as its card or an alias) is named with the row it
 * clashes with rather than silently losing to it (`makeDirectory` keeps the first).
 */
export function makeIdClaims(): {
  /** The earlier claim of `id`, or undefined after recording this one as the first. */
  readonly claim: (id: string, claim: IdClaim) => IdClaim | undefined;
} {
  const claims = new Map<string, IdClaim>();
  return {
    claim: (id, claim) => {
      const earlier = claims.get(id);
      if (earlier === undefined) claims.set(id, claim);
      return earlier;
    },
  };
}

/** An earlier claim as the end of a sentence: `an alias on line 2 (Eve)`, `the card on row 3`. */
export function describeClaim(claim: IdClaim): string {
  const who = claim.name.trim() === '' ? '' : ` (${claim.name.trim()})`;
  return `${claim.as === 'card' ? 'the card' : 'an alias'} on ${claim.row}${who}`;
}
