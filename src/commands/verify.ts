/**
 * `badgeclock verify`: whether the raw record (every tap and correction) is
 * as the clock wrote it, by its hash chain (rule 13), or where it was changed.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config';
import {
  DB_FILE_NAME,
  ownFileAt,
  Store,
  StoreError,
  type ChainVerdict,
} from '../drivers/store/store';
import { checkAgainst, recordVerdict, type AnchorVerdict } from './chainAnchor';
import {
  configOrExit,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  fail,
  log,
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
      .option('--json', 'print the verdict as one JSON object')
      .option(
        '--against <backup>',
        'also check that every link of this backup (an earlier copy of the store) is in the record, the same: the newest taps deleted with their links show only so',
      ),
  ).action(verify);
}

/** Prints the verdict; exits 0 when the record is whole, 1 when it was changed. */
function verify(options: ConfigOptions & { json?: boolean; against?: string }): void {
  const config = configOrExit(options);
  if (options.against !== undefined) againstOrExit(options.against, config);
  const opened = openToVerify(config);
  const { older } = opened;
  let verdict: ChainVerdict;
  let anchor: AnchorVerdict | Error | null = null;
  try {
    verdict = recordVerdict(opened.store);
    if (options.against !== undefined) anchor = anchorOf(opened.store.file, options.against);
  } finally {
    // Before any exit: the copy of an older store holds the record, personal data.
    opened.store.close();
    if (opened.copy !== null) rmSync(opened.copy, { recursive: true, force: true });
  }
  const unreadable = anchor instanceof Error;
  if (anchor instanceof Error) {
    // The record's own verdict still stands: a changed record exits 1 whatever the backup.
    log.error(
      `--against ${options.against ?? ''}: cannot read it as a badgeclock backup: ${anchor.message}`,
    );
    anchor = null;
  }
  if (older !== null)
    process.stderr.write(
      `${opened.file} is from an older badgeclock (schema ${older}): checked on a copy brought up to date; the file itself is unchanged\n`,
    );
  if (anchor?.kind === 'unchained')
    process.stderr.write(
      `${options.against ?? ''} holds no chain (a backup from before schema 6, or of an empty store): nothing in it to compare\n`,
    );
  if (anchor?.kind === 'differs') {
    const problems = [...(verdict.whole ? [] : verdict.problems), ...anchor.problems];
    verdict = { whole: false, problems, more: verdict.whole ? 0 : verdict.more };
  }
  const against =
    options.against === undefined || anchor === null
      ? {}
      : { against: { file: options.against, links: anchor.kind === 'extends' ? anchor.links : 0 } };
  process.stdout.write(
    options.json === true
      ? `${JSON.stringify({ ...verdict, ...against })}\n`
      : linesOf(verdict, anchor, options.against),
  );
  // exitCode, not exit(): the lines reach a pipe whole.
  if (!verdict.whole) process.exitCode = EXIT_FAILURE;
  else if (unreadable) process.exitCode = EXIT_BAD_INPUT;
}

/**
 * Exits 2 when `--against` names no file, or the store itself (by any name): comparing the
 * record with itself proves nothing, and reading it as a backup would tidy away its `-wal`.
 */
function againstOrExit(against: string, config: Config): void {
  if (!existsSync(against)) fail(`--against ${against}: no such file`, EXIT_BAD_INPUT);
  const own = ownFileAt(against, join(config.dataDir, DB_FILE_NAME));
  if (own !== null)
    fail(
      `--against ${against}: that is ${own.what} (${own.file}), not a backup of it: give a copy badgeclock backup wrote`,
      EXIT_BAD_INPUT,
    );
}

/** The record against a backup, or the Error that names why the backup cannot be read. */
function anchorOf(storeFile: string, backup: string): AnchorVerdict | Error {
  try {
    return checkAgainst(storeFile, backup);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function linesOf(verdict: ChainVerdict, anchor: AnchorVerdict | null, backup?: string): string {
  if (verdict.whole) {
    const anchored =
      anchor?.kind === 'extends'
        ? `; the ${anchor.links} links of ${backup ?? ''} are all in it, the same`
        : '';
    return `✔ record whole: ${verdict.taps} taps and ${verdict.corrections} corrections, chained${anchored}\n`;
  }
  const lines = ['✖ record changed:', ...verdict.problems.map((problem) => `  - ${problem}`)];
  if (verdict.more > 0) lines.push(`  … and ${verdict.more} more`);
  return `${lines.join('\n')}\n`;
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
