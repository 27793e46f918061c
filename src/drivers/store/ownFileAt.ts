/**
 * Telling whether a path names one of the live database's own files (itself,
 * its write-ahead log, its shared-memory index), by any name: `backup` must
 * never write over the store it copies.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** What each of the database's own files is, for a person. */
const OWN_FILES: readonly { readonly suffix: string; readonly what: string }[] = [
  { suffix: '', what: 'the live database' },
  { suffix: '-wal', what: "the live database's write-ahead log" },
  { suffix: '-shm', what: "the live database's shared-memory index" },
];

/**
 * Which of the database `file`'s own files (itself, its -wal, its -shm) `path`
 * names, by any name: `..`, a symbolic link on the way, a hard link. Null when
 * none. A backup written there would overwrite the store it copies.
 */
export function ownFileAt(path: string, file: string): { file: string; what: string } | null {
  const target = statOrNull(path);
  const named = canonical(path);
  for (const { suffix, what } of OWN_FILES) {
    const own = `${file}${suffix}`;
    const stats = statOrNull(own);
    const sameFile =
      target !== null && stats !== null && target.dev === stats.dev && target.ino === stats.ino;
    // A -wal that does not exist now is still the name SQLite will open as the log.
    if (sameFile || named === canonical(own)) return { file: own, what };
  }
  return null;
}

/** The path with its directory's symbolic links and `..` resolved (the file itself may not exist). */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return absolute;
  }
}

/** The file `path` names after following symbolic links, or null when there is none. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
