/**
 * `badgeclock verify`: whether the raw record (every tap and correction) is
 * as the clock wrote it, by its hash chain (rule 13), or where it was changed.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config';
import { DB_FILE_NAME, Store, StoreError, type ChainVerdict } from '../drivers/store/store';
import {
  configOrExit,
  EXIT_FAILURE,
  fail,
  storeFailed,
  withConfigOptions,
  type ConfigOptions,
} from './common';

/** Adds `verify` to the program. */
export function addVerifyCommand(program: Command): void {
  withConfigOptions(
    program
      .command('verify')
      .description(
        'check that every tap and correction is as the clock wrote it (hash chain); exit 1 naming what changed',
      )
      .option('--json', 'print the verdict as one JSON object'),
  ).action(verify);
}

/** Prints the verdict; exits 0 when the record is whole, 1 when it was changed. */
function verify(options: ConfigOptions & { json?: boolean }): void {
  const config = configOrExit(options);
  const opened = openToVerify(config);
  const { older } = opened;
  let verdict: ChainVerdict;
  try {
    verdict = verdictOf(opened.store);
  } finally {
    opened.store.close();
    if (opened.copy !== null) rmSync(opened.copy, { recursive: true, force: true });
  }
  if (older !== null)
    process.stderr.write(
      `${opened.file} is from an older badgeclock (schema ${older}): checked on a copy brought up to date; the file itself is unchanged\n`,
    );
  process.stdout.write(options.json === true ? `${JSON.stringify(verdict)}\n` : linesOf(verdict));
  // exitCode, not exit(): the lines reach a pipe whole.
  if (!verdict.whole) process.exitCode = EXIT_FAILURE;
}

function linesOf(verdict: ChainVerdict): string {
  if (verdict.whole) {
    return `✔ record whole: ${verdict.taps} taps and ${verdict.corrections} corrections, chained\n`;
  }
  const lines = ['✖ record changed:', ...verdict.problems.map((problem) => `  - ${problem}`)];
  if (verdict.more > 0) lines.push(`  … and ${verdict.more} more`);
  return `${lines.join('\n')}\n`;
}

/**
 * The store's verdict. A table or column of the record dropped outside the clock is a change
 * too, named with the file: SQLite's own "no such table: chain" said neither.
 */
function verdictOf(store: Store): ChainVerdict {
  try {
    return store.verify();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/^no such (table|column): /.test(message)) throw error;
    return {
      whole: false,
      problems: [
        `${store.file}: ${message}: the record's tables were changed outside the clock, so nothing can be checked against the chain`,
      ],
      more: 0,
    };
  }
}

/** What the store's read-only open says of a database an older badgeclock wrote. */
const OLDER = /^database .* is from an older badgeclock \(schema (\d+)\)/;

/**
 * The store, opened read-only, with SQLite's check of the whole file first (a damaged page is a
 * fault of its own). A database an older badgeclock wrote (a nightly backup taken before an
 * upgrade) is refused by that open ("start the clock once"), which would change the backup: it
 * is checked on a copy brought up to date instead (`copy`, removed after), and `older` says so.
 */
function openToVerify(config: Config): {
  store: Store;
  file: string;
  copy: string | null;
  older: number | null;
} {
  const file = join(config.dataDir, DB_FILE_NAME);
  try {
    return { store: Store.open(file, { readonly: true }), file, copy: null, older: null };
  } catch (error) {
    const older = error instanceof StoreError ? OLDER.exec(error.message) : null;
    if (older === null) storeFailed(config, error);
    return { ...upgraded(file), file, older: Number(older[1]) };
  }
}

/** A copy of `file` (with its write-ahead log) in a temporary folder, brought up to date. */
function upgraded(file: string): { store: Store; copy: string } {
  const copy = mkdtempSync(join(tmpdir(), 'badgeclock-verify-'));
  const target = join(copy, DB_FILE_NAME);
  try {
    copyFileSync(file, target);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${target}-wal`);
    return { store: Store.open(target, { existing: true }), copy };
  } catch (error) {
    rmSync(copy, { recursive: true, force: true });
    const message = error instanceof StoreError ? error.message : String(error);
    fail(
      `${file} is from an older badgeclock; its upgraded copy could not be checked: ${message}`,
      EXIT_FAILURE,
    );
  }
}
