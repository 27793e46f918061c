/**
 * The People cache: the last People tab read, kept in a file so a start
 * without network knows every name at once. A damaged cache is ignored, never
 * handed to the reducer; an unchanged list costs neither a read nor a write.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Person } from '../../../streams/directory';

export interface PeopleCache {
  /** The list the last run kept, or null (no cache, or a damaged one, with a warning). */
  load(): Person[] | null;
  /** Keeps the list, unless it is the one already kept. */
  save(people: Person[]): void;
  /** The list this life last loaded or saved (with or without a file), or null before any. */
  latest(): Person[] | null;
}

/** The cache in `file`; without a file, nothing is loaded or saved. */
export function makePeopleCache(
  file: string | undefined,
  warn: (message: string) => void,
): PeopleCache {
  // What the People cache holds, as this life last wrote or found it: an unchanged People
  // list (the usual minute) costs neither a read nor a write of the file.
  const cached: { people: Person[] | null; text: string | null } = { people: null, text: null };
  let latest: Person[] | null = null;
  return {
    load: () => {
      const people = file === undefined ? null : loadCache(file, warn);
      latest = people ?? latest;
      return people;
    },
    save: (people) => {
      latest = people;
      if (file !== undefined) saveCache(file, people, cached, warn);
    },
    latest: () => latest,
  };
}

/**
 * The People list a run of the clock cached in `file`, for a command that does not read the
 * sheet (`report`): null when there is none, or why it is not used.
 */
export function readPeopleCache(file: string): Person[] | null | { readonly problem: string } {
  if (!existsSync(file)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
  if (!Array.isArray(value)) return { problem: 'it is not a list' };
  const people: Person[] = [];
  for (const [index, entry] of value.entries()) {
    const person = cachedPerson(entry, index);
    if (typeof person === 'string') return { problem: person };
    people.push(person);
  }
  return people;
}

/** A cached person as the reducer needs it, or why not. */
function cachedPerson(value: unknown, index: number): Person | string {
  if (typeof value !== 'object' || value === null) return `entry ${index} is not an object`;
  const card: unknown = Reflect.get(value, 'card');
  const name: unknown = Reflect.get(value, 'name');
  const active: unknown = Reflect.get(value, 'active');
  const aliases: unknown = Reflect.get(value, 'aliases');
  if (typeof card !== 'string') return `entry ${index} has no card id`;
  if (typeof name !== 'string') return `entry ${index} (${card}) has no name string`;
  if (typeof active !== 'boolean') return `entry ${index} (${card}) has no active flag`;
  if (!Array.isArray(aliases) || !aliases.every((a): a is string => typeof a === 'string')) {
    return `entry ${index} (${card}) has no list of aliases`;
  }
  const admin: unknown = Reflect.get(value, 'admin');
  if (admin !== undefined && typeof admin !== 'boolean')
    return `entry ${index} (${card}) has an admin flag that is not true or false`;
  // An admin card stays one across a start without network (rule 14).
  return { card, name, active, aliases, ...(admin === true ? { admin } : {}) };
}

/** The People list cached by the last run; a damaged cache is ignored (never handed to the reducer). */
function loadCache(file: string, warn: (message: string) => void): Person[] | null {
  const read = readPeopleCache(file);
  if (read === null || Array.isArray(read)) return read;
  warn(`ignoring the People cache ${file}: ${read.problem}; the People tab is read instead`);
  return null;
}

function saveCache(
  file: string,
  people: Person[],
  cached: { people: Person[] | null; text: string | null },
  warn: (message: string) => void,
): void {
  // The client hands back the same list while People is unchanged.
  if (cached.people === people) return;
  try {
    const text = JSON.stringify(people);
    if (cached.text !== text && (!existsSync(file) || readFileSync(file, 'utf8') !== text)) {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    }
    cached.people = people;
    cached.text = text;
  } catch (error) {
    warn(`could not write the People cache ${file}: ${(error as Error).message}`);
  }
}
