/**
 * `badgeclock backup <file>`: a consistent copy of the database.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';

import { DB_FILE_NAME, ownFileAt } from '../drivers/store/store';
import {
  configOrExit,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  fail,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';

/** Adds `backup` to the program. */
export function addBackupCommand(program: Command): void {
  withConfigOptions(
    program
      .command('backup')
      .description('write a consistent copy of the database (safe while the clock runs)')
      .argument('<file>', 'where to write the copy'),
  ).action(backup);
}

/** Writes the copy, or exits: 2 when the file is the store itself, 1 when writing failed. */
async function backup(file: string, options: ConfigOptions): Promise<void> {
  const config = configOrExit(options);
  // Checked before the store is opened, so a refusal leaves the data directory as it was.
  const database = resolve(config.dataDir, DB_FILE_NAME);
  const refusal = ownFileRefusal(file, database);
  if (refusal !== null) {
    fail(
      `cannot back up to ${file}: it is ${refusal}. ` +
        'Nothing was written. Give a file outside the data directory, e.g. badgeclock backup ~/badgeclock-backup.db',
      EXIT_BAD_INPUT,
    );
  }
  const store = storeOrExit(config, true);
  try {
    await store.backup(file);
    process.stdout.write(`backup of ${store.file} written to ${file}\n`);
  } catch (error) {
    fail(`backup to ${file} failed: ${(error as Error).message}`, EXIT_FAILURE);
  } finally {
    store.close();
  }
}

/**
 * Which of the database's own files `file` names, by any name, and why a copy there is
 * refused; null when none. Besides the database, its -wal and -shm (ownFileAt), its rollback
 * journal: the store runs in WAL mode and has none, but SQLite looks for one on every open,
 * and a file there is a "hot journal" to roll back first, so even a read-only open fails.
 */
function ownFileRefusal(file: string, database: string): string | null {
  const own = ownFileAt(file, database);
  if (own !== null)
    return `${own.what} (${own.file}), so the copy would overwrite the store it copies`;
  const journal = `${database}-journal`;
  // The journal's own path, as ownFileAt tells it (`..`, links); not the journal's -wal or -shm.
  return ownFileAt(file, journal)?.file === journal
    ? `the live database's rollback journal (${journal}): SQLite would take the copy for an unfinished write of the store, and neither the clock nor any command could open the store again`
    : null;
}
