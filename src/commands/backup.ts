/**
 * `badgeclock backup <file>`: a consistent copy of the database; `backup --into DIR`: a dated
 * one in a folder of backups, keeping the newest `--keep` (src/commands/backupInto.ts).
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';

import type { Config } from '../config';
import { DB_FILE_NAME, ownFileAt, type Store } from '../drivers/store/store';
import {
  backupInto,
  BackupRefused,
  backupsNewestFirst,
  DEFAULT_KEEP,
  intoRefusal,
  keptName,
} from './backupInto';
import { linkingPending, recordVerdict, witness, type BackupWitness } from './chainAnchor';
import {
  configOrExit,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  fail,
  log,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';

interface BackupOptions extends ConfigOptions {
  into?: string;
  keep?: string;
}

/** Adds `backup` to the program. */
export function addBackupCommand(program: Command): void {
  withConfigOptions(
    program
      .command('backup')
      .description('write a consistent copy of the database (safe while the clock runs)')
      .argument('[file]', 'where to write the copy')
      .option(
        '--into <dir>',
        "write a dated copy (badgeclock-<door>-<UTC time>.db) into this folder instead, and remove this door's oldest beyond --keep",
      )
      .option(
        '--keep <n>',
        `with --into: how many backups to keep there (default ${DEFAULT_KEEP})`,
      ),
  ).action(backup);
}

/** Writes the copy, or exits: 2 when the file is the store itself, 1 when writing failed. */
async function backup(file: string | undefined, options: BackupOptions): Promise<void> {
  const config = configOrExit(options);
  const database = resolve(config.dataDir, DB_FILE_NAME);
  if (options.into !== undefined) {
    if (file !== undefined) {
      fail(`backup: give a file or --into ${options.into}, not both`, EXIT_BAD_INPUT);
    }
    await backupIntoFolder(options.into, keepOf(options.keep), config);
    return;
  }
  if (options.keep !== undefined) fail('backup: --keep goes with --into DIR', EXIT_BAD_INPUT);
  if (file === undefined) {
    fail(
      'backup: give the file to write the copy to (badgeclock backup ~/badgeclock-backup.db), or --into DIR',
      EXIT_BAD_INPUT,
    );
  }
  // Checked before the store is opened, so a refusal leaves the data directory as it was.
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

/** `--keep`: a whole number of backups, at least 1 (the one just written). */
function keepOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_KEEP;
  const keep = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(keep) || keep < 1) {
    fail(`backup: --keep ${text} is not a whole number of backups of 1 or more`, EXIT_BAD_INPUT);
  }
  return keep;
}

/** `backup --into DIR`: a dated copy there, and this door's oldest beyond `keep` removed. */
async function backupIntoFolder(dir: string, keep: number, config: Config): Promise<void> {
  const refusal = intoRefusal(dir, config.dataDir);
  if (refusal !== null)
    fail(`cannot back up into ${dir}: ${refusal}. Nothing was written.`, EXIT_BAD_INPUT);
  const store = storeOrExit(config, true);
  const at = Date.now();
  try {
    // Said before the copy: a backup refused for want of room must not hide it.
    if (recordChanged(store, backupsNewestFirst(dir, config.door, at)) !== null)
      process.exitCode = EXIT_FAILURE;
    const done = await backupInto({
      dir,
      keep,
      door: config.door,
      at,
      bytes: sizeOf(store.file) + sizeOf(`${store.file}-wal`),
      copy: (to) => store.backup(to),
    });
    const gone =
      done.removed.length === 0 ? '' : `; removed ${done.removed.length} older (keeping ${keep})`;
    process.stdout.write(`backup of ${store.file} written to ${done.file}${gone}\n`);
    if (done.ahead.length > 0) {
      const names = done.ahead.map((file) => basename(file));
      const which = names.length === 1 ? names[0] : `${names[0]} to ${names[names.length - 1]}`;
      log.warn(
        `${names.length} backup(s) in ${dir} are named after this machine's time (${which ?? ''}), so they are kept aside, ` +
          'not counted and not removed. The clock was ahead when they were taken, or is behind now ' +
          '(timedatectl); if their names are wrong, remove them by hand',
      );
    }
  } catch (error) {
    const why =
      error instanceof BackupRefused
        ? `${error.message}. Nothing was written`
        : (error as Error).message;
    fail(`backup into ${dir} failed: ${why}`, EXIT_FAILURE);
  } finally {
    store.close();
  }
}

/**
 * The nightly backup as the record's witness (rule 13): the store's own chain checked whole
 * (as `verify`), and the record against this door's newest readable backup (chainAnchor.ts:
 * the newest taps deleted with their links, a chain rewritten, a restore from an older copy).
 * A problem of the store's own chain that copy had too was said on an earlier night: it is
 * said again as a warning, not as a change. A change is logged, and the copy, which holds the
 * record as it was, kept out of `--keep`'s reach under keptName (not one that shares not even
 * the first link: another clock's copy, or a store started anew). Returns the changes, or null.
 */
function recordChanged(store: Store, backups: readonly string[]): readonly string[] | null {
  if (linkingPending(store.file)) {
    log.warn(
      'taps from before the chain (schema 6) are not all linked yet: the record is checked against its backups once the clock has linked them (it does at its start)',
    );
    return null;
  }
  const own = recordVerdict(store);
  const { compared, seen } = newestReadable(store.file, backups);
  const before = new Set(seen?.own?.whole === false ? seen.own.problems : []);
  const ownProblems = own.whole ? [] : own.problems;
  const fresh = ownProblems.filter((problem) => !before.has(problem));
  if (fresh.length < ownProblems.length)
    log.warn(
      `the record is still not as the clock wrote it, as at the last backup: ${ownProblems.length - fresh.length} problem(s), which badgeclock verify names`,
    );
  const lost = seen?.anchor.kind === 'differs' ? seen.anchor : null;
  const problems = [...fresh, ...(lost?.problems ?? [])];
  if (problems.length === 0) return null;
  const unrelated = fresh.length === 0 && lost?.agreed === 0;
  // A copy without a chain witnesses none (the store's chain dropped before it was taken):
  // kept, each night's would be, without end.
  const witnessed = compared !== null && seen?.anchor.kind !== 'unchained';
  const kept = !witnessed || unrelated ? null : keep(compared);
  const since =
    compared === null
      ? 'the record is not as the clock wrote it (no backup here to compare it with)'
      : `the record was changed since the last backup (compared with ${compared})`;
  const after =
    kept !== null
      ? `That backup is kept as ${kept}, which --keep never removes: badgeclock verify --against it names what changed. `
      : unrelated
        ? 'That backup shares not even the first link with the record, so it is left to --keep. '
        : '';
  log.error(
    `${since}: ${problems.join('; ')}. ${after}A store restored from an older backup or started anew ` +
      '(--new-install), or another clock backing up under the same door name into this folder, does this too',
  );
  return problems;
}

/**
 * What the newest of `backups` that can be read says of the store; those that cannot are said
 * in one warning, however many (a backup that cannot be read is worth knowing of).
 */
function newestReadable(
  storeFile: string,
  backups: readonly string[],
): { compared: string | null; seen: BackupWitness | null } {
  const unreadable: string[] = [];
  let found: { compared: string | null; seen: BackupWitness | null } = {
    compared: null,
    seen: null,
  };
  for (const previous of backups) {
    try {
      found = { compared: previous, seen: witness(storeFile, previous) };
      break;
    } catch (error) {
      unreadable.push((error as Error).message);
    }
  }
  if (unreadable.length > 0)
    log.warn(
      `could not read ${unreadable.length} backup(s) to compare the record with (${unreadable[0] ?? ''}` +
        `${unreadable.length > 1 ? ', …' : ''}); ${found.compared === null ? 'compared it with none' : `compared it with ${found.compared} instead`}`,
    );
  return found;
}

/**
 * Moves `backup` (with a write-ahead log a person's open left beside it) out of `--keep`'s
 * reach; its new name, or null (said) when it cannot.
 */
function keep(backup: string): string | null {
  const kept = keptName(backup);
  try {
    renameSync(backup, kept);
    if (existsSync(`${backup}-wal`)) renameSync(`${backup}-wal`, `${kept}-wal`);
    rmSync(`${backup}-shm`, { force: true });
    return kept;
  } catch (error) {
    log.warn(`cannot keep ${backup} as ${kept}: ${(error as Error).message}; --keep may remove it`);
    return null;
  }
}

/** A file's size, 0 when it is not there (a WAL checkpointed away). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
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
