/**
 * The People directory the clock last read, for a command that runs beside
 * it or without it (`report`, `replay`): the sheet's People tab as the clock
 * cached it when a sheet is configured, else the people file, which the clock
 * itself reads until the sheet has given it People. It tells which cards are
 * one person (aliases) and their names; without it, each card is a person.
 */
import {
  emptyDirectory,
  makeDirectory,
  type Directory,
  type Person,
} from '../../streams/directory';
import type { Config } from '../config';
import { readPeopleFile } from '../drivers/directory/peopleFile';
import { readPeopleCache } from '../drivers/sheets/peopleCache';
import { peopleCacheFile, sheetConfigured } from './sheetsClientOf';

/** People as the clock last read them; what cannot be read is said, and counts as nobody. */
export function lastPeople(config: Config, warn: (message: string) => void): Directory {
  const cached = sheetPeople(config, warn);
  if (cached !== null) return cached.length === 0 ? emptyDirectory : makeDirectory(cached);
  const file = config.peopleFile;
  try {
    const { people, refused } = readPeopleFile(file);
    // A bad line is the clock's to report; a file refused as a whole changes every total.
    if (refused !== undefined) warn(`${file}: it ${refused}; each card counts as a person`);
    return makeDirectory(people);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    warn(`could not read ${file}: ${why}; each card counts as a person`);
    return emptyDirectory;
  }
}

/**
 * The sheet's People as the clock cached them, when a sheet is configured: null when there is
 * no sheet or no cache yet (the people file stands in, as for the clock); none when the cache
 * is damaged (said).
 */
export function sheetPeople(config: Config, warn: (message: string) => void): Person[] | null {
  if (!sheetConfigured(config)) return null;
  const file = peopleCacheFile(config);
  const cached = readPeopleCache(file);
  if (cached === null || Array.isArray(cached)) return cached;
  warn(`ignoring the People cache ${file}: ${cached.problem}; each card counts as a person`);
  return [];
}

/**
 * The People a replay folds with: those the running clock would use. With a sheet, the People
 * the clock cached from it; a log replayed with the people file instead would miss the sheet's
 * aliases (a person clocking out with a second card would get a second session) and names.
 */
export function replayPeople(config: Config, warn: (message: string) => void): Person[] {
  const cached = sheetPeople(config, warn);
  if (cached !== null) return cached;
  if (sheetConfigured(config)) {
    warn(
      `no People cached from the sheet in ${config.dataDir} yet (the clock has not read it there): ` +
        `the people file ${config.peopleFile} stands in, and the sheet's aliases and names are not known to this replay`,
    );
  }
  const { people, problems } = readPeopleFile(config.peopleFile);
  problems.forEach(warn);
  return people;
}
