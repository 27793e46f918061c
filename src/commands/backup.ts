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
  const own = ownFileAt(file, resolve(config.dataDir, DB_FILE_NAME));
  if (own !== null) {
    fail(
      `cannot back up to ${file}: it is ${own.what} (${own.file}), so the copy would overwrite the store it copies. ` +
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
