/**
 * The local People directory: a CSV file `card,name[,active[,aliases]]`, the
 * stand-in for the sheet's People tab. The manager edits it; the clock reads it
 * back when it changes, appends cards it has not seen (with a blank name, or
 * the placeholder of an enrolment at the reader) and adds aliases enrolled at
 * the reader (./peopleEdits.ts). A file that is not UTF-8 text (saved as
 * UTF-16, a workbook) is refused as a whole, and nothing is ever written to it.
 */
import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import { concatMap, EMPTY, ignoreElements, merge, Observable } from 'rxjs';
import { normaliseCardId } from '../../../streams/cardId';
import { describeClaim, makeIdClaims, type Person } from '../../../streams/directory';
import type { AddAlias, DirectoryLoaded, ListCard } from '../../../streams/events';
import { CSV_UTF8, encodingProblem, parseCsv } from '../../formats/csv';
import { addAlias, listCard } from './peopleEdits';

export { addAlias, appendCard, listCard, PEOPLE_HEADER } from './peopleEdits';

export interface PeopleFile {
  readonly people: Person[];
  /** Lines that could not be used, each naming the file and line. */
  readonly problems: string[];
  /**
   * Why the file was refused as a whole, said after its name (`encodingProblem`):
   * then nobody is in it, and its one problem says so.
   */
  readonly refused?: string;
}

const FALSE = new Set(['no', 'n', 'false', '0', 'inactive', 'off']);
const TRUE = new Set(['', 'yes', 'y', 'true', '1', 'active', 'on']);
/** An admin card (rule 14): active, and it opens enrolment instead of clocking. */
const ADMIN = 'admin';

/**
 * Parses the people file's text. A bad line is reported and skipped; the rest still loads.
 * A card id is one person's: a line whose card is already listed (as a card or an alias) is
 * skipped, and an alias already listed is left out of its line, each naming the line it
 * clashes with (the first listing is used, as the directory would).
 */
export function parsePeople(text: string, file: string): PeopleFile {
  const people: Person[] = [];
  const problems: string[] = [];
  const ids = makeIdClaims();
  for (const record of parseCsv(text)) {
    const [rawCard = '', name = '', active = '', aliases = ''] = record.fields.map((f) => f.trim());
    const where = `${file}:${record.line}`;
    if (record.error !== undefined) {
      problems.push(`${where}: ${record.error}`);
      continue;
    }
    if (record.line === 1 && rawCard.toLowerCase() === 'card') continue;
    if (rawCard.startsWith('#')) continue;
    const card = normaliseCardId(rawCard);
    if (!card.ok) {
      problems.push(`${where}: ${card.reason}`);
      continue;
    }
    const activeWord = active.toLowerCase();
    if (!TRUE.has(activeWord) && !FALSE.has(activeWord) && activeWord !== ADMIN) {
      problems.push(`${where}: active must be yes, no or admin, got ${JSON.stringify(active)}`);
      continue;
    }
    const row = `line ${record.line}`;
    const earlier = ids.claim(card.card, { as: 'card', row, name });
    if (earlier !== undefined) {
      problems.push(
        earlier.as === 'card'
          ? `${where}: card ${card.card} is listed again; the first listing is used`
          : `${where}: card ${card.card} is already ${describeClaim(earlier)}; this line is not used`,
      );
      continue;
    }
    people.push({
      card: card.card,
      name,
      active: !FALSE.has(activeWord),
      aliases: aliasIdsOf(aliases, card.card, { where, row, name, ids, problems }),
      ...(activeWord === ADMIN ? { admin: true } : {}),
    });
  }
  return { people, problems };
}

/** A line's aliases, canonical; a bad one, or one already listed on another line, is reported and left out. */
function aliasIdsOf(
  aliases: string,
  card: string,
  line: {
    readonly where: string;
    readonly row: string;
    readonly name: string;
    readonly ids: ReturnType<typeof makeIdClaims>;
    readonly problems: string[];
  },
): string[] {
  const ids: string[] = [];
  for (const alias of aliases.split(/[\s;]+/).filter((a) => a !== '')) {
    const id = normaliseCardId(alias);
    if (!id.ok) {
      line.problems.push(`${line.where}: alias ${JSON.stringify(alias)}: ${id.reason}`);
      continue;
    }
    // The line's own card, or an alias written twice on it, clashes with nobody.
    if (id.card === card || ids.includes(id.card)) continue;
    const earlier = line.ids.claim(id.card, { as: 'alias', row: line.row, name: line.name });
    if (earlier === undefined) ids.push(id.card);
    else
      line.problems.push(
        `${line.where}: alias ${id.card} is already ${describeClaim(earlier)}; it is left out here`,
      );
  }
  return ids;
}

/**
 * Reads the people file; a missing file is an empty directory, and one that
 * is not UTF-8 text is refused as a whole (`refused`), not line by line.
 */
export function readPeopleFile(file: string): PeopleFile {
  if (!existsSync(file)) return { people: [], problems: [] };
  const bytes = readFileSync(file);
  const refused = encodingProblem(bytes);
  if (refused === undefined) return parsePeople(bytes.toString('utf8'), file);
  return {
    people: [],
    problems: [`${file}: it ${refused}; nobody in it is named until it is saved as ${CSV_UTF8}`],
    refused,
  };
}

export interface PeopleFileOptions {
  readonly file: string;
  readonly now: () => number;
  /** Where unusable lines are reported. */
  readonly warn: (message: string) => void;
  /** How often the file is checked for edits, in ms. */
  readonly pollMs?: number;
}

/**
 * Makes the people-file driver: it lists cards and adds aliases (in the order
 * the commands come) and returns the directory$ source, loaded at once and again whenever the file changes. A
 * file that cannot be read (or is refused) is reported, and the directory
 * keeps its last good value (nobody, at start) until it can: the stream never
 * fails for it.
 */
export function makePeopleFileDriver(
  options: PeopleFileOptions,
): (commands$: Observable<ListCard | AddAlias>) => Observable<DirectoryLoaded> {
  const { file, now, warn } = options;
  return (commands$) => {
    const loads$ = new Observable<DirectoryLoaded>((subscriber) => {
      let loadedBefore = false;
      // A problem is reported once for as long as it lasts: each read's problems are compared
      // with the last read's, and only new ones are said. The same problem is the same message,
      // file and line and what is wrong, so a card appended at the end repeats none of those
      // above it; an edit that moves a bad line reports it again, at the line it is now on.
      let reported = new Set<string>();
      const report = (problems: readonly string[]): void => {
        for (const problem of problems) if (!reported.has(problem)) warn(problem);
        reported = new Set(problems);
      };
      // Also runs in fs's watcher, outside any stream, where a throw would be uncaught.
      const load = (): void => {
        const meanwhile = loadedBefore
          ? 'the people list loaded before is kept'
          : 'nobody is named';
        let read: PeopleFile;
        try {
          read = readPeopleFile(file);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          report([`could not read ${file}: ${reason}; ${meanwhile} until it can be read`]);
          return;
        }
        if (read.refused !== undefined) {
          report([
            `could not read ${file}: it ${read.refused}; ${meanwhile} until it is saved as ${CSV_UTF8}`,
          ]);
          return;
        }
        report(read.problems);
        loadedBefore = true;
        subscriber.next({ type: 'directoryLoaded', at: now(), people: read.people });
      };
      load();
      const onChange = (): void => {
        load();
      };
      watchFile(file, { interval: options.pollMs ?? 2000, persistent: false }, onChange);
      return () => {
        unwatchFile(file, onChange);
      };
    });
    // concatMap: writes to the file must happen one at a time and in order (a card listed,
    // then an alias added to its line).
    const writes$ = commands$.pipe(
      concatMap((command) => {
        try {
          if (command.type === 'listCard') listCard(file, command.card, command.name);
          else addAlias(file, command.card, command.alias);
        } catch (error) {
          const what =
            command.type === 'listCard'
              ? `card ${command.card}`
              : `alias ${command.alias} of card ${command.card}`;
          warn(`could not add ${what} to ${file}: ${(error as Error).message}`);
        }
        return EMPTY;
      }),
      ignoreElements(),
    );
    return merge(loads$, writes$);
  };
}
