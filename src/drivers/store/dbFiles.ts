/**
 * The database's files on disk, watched so that a deleted database is a stop,
 * not a silent fresh start:
 * - a marker beside the database, written when the clock first opens it, says
 *   that this data directory has had a database: a start that finds the marker
 *   but no database refuses (unless told it is a new install);
 * - the identity (device and inode) of the database and its write-ahead log as
 *   opened: `rm badgeclock.db` under a running clock leaves SQLite writing to a
 *   deleted file, so each commit first checks, with a stat or two, that the
 *   paths still name the files it opened.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The marker beside the database `path`. */
export function markerOf(path: string): string {
  return `${path}.created`;
}

/** Where a copy of a database that was deleted under the clock is saved, at `now`. */
export function rescuePathOf(path: string, now: number): string {
  return `${path}.rescued-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Why a start must not create the database `path` afresh: its marker is there,
 * so one existed and was deleted or moved. Null when there is no marker.
 */
export function missingDatabase(path: string): string | null {
  const marker = markerOf(path);
  if (!existsSync(marker)) return null;
  const written = readFileSync(marker, 'utf8').split('\n')[0] ?? '';
  const prefix = `${basename(path)}.rescued-`;
  const rescued = readdirSync(dirname(path))
    .filter((name) => name.startsWith(prefix))
    .map((name) => join(dirname(path), name));
  return (
    `no database at ${path}, but this data directory had one (marker ${marker}, written ${written}): ` +
    `it was deleted or moved. ` +
    (rescued.length === 0
      ? ''
      : `The clock saved what it had when it saw the database go: ${rescued.join(', ')}. `) +
    `Put it back (a backup, or the saved copy, as ${path}; README, "Data"), ` +
    `or, to start anew with an empty store, start the clock once with --new-install.`
  );
}

/** Writes the marker beside the database `path` (again when `fresh`: a new install). */
export function writeMarker(path: string, fresh: boolean): void {
  const marker = markerOf(path);
  if (!fresh && existsSync(marker)) return;
  writeFileSync(
    marker,
    `${new Date().toISOString()}\nbadgeclock keeps ${basename(path)} in this directory. While this file is here, ` +
      `a start that finds no ${basename(path)} refuses: a database that disappears is a fault, ` +
      `not a fresh start (README, "Data").\n`,
  );
}

interface Identity {
  readonly dev: number;
  readonly ino: number;
}

function identityOf(path: string): Identity | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? null : { dev: stat.dev, ino: stat.ino };
}

/** The database file and its write-ahead log as opened, to tell when the paths name other files. */
export class OpenedFiles {
  private readonly db: Identity | null;
  private wal: Identity | null;

  constructor(private readonly path: string) {
    this.db = identityOf(path);
    this.wal = identityOf(`${path}-wal`);
  }

  /** What happened to the files opened, or null while the paths still name them. */
  changed(): string | null {
    const db = identityOf(this.path);
    if (db === null) return `${this.path} no longer exists`;
    if (this.db !== null && (db.dev !== this.db.dev || db.ino !== this.db.ino)) {
      return `${this.path} is another file now`;
    }
    const wal = identityOf(`${this.path}-wal`);
    if (this.wal === null) {
      this.wal = wal; // SQLite creates the log at the first write; remember it then.
      return null;
    }
    if (wal === null) return `its write-ahead log ${this.path}-wal no longer exists`;
    if (wal.dev !== this.wal.dev || wal.ino !== this.wal.ino) {
      return `its write-ahead log ${this.path}-wal is another file now`;
    }
    return null;
  }
}

/**
 * Why `dir` cannot hold a database because it, or a folder on its path, is a file (a
 * mistyped --data-dir, say): chmod would not help, so this is said before anything else.
 * Null when it is a directory or does not exist yet.
 */
export function notADirectory(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : `data directory ${dir} is a file, not a directory`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR'
      ? `data directory ${dir} cannot be a directory: a part of its path is a file`
      : null;
  }
}
