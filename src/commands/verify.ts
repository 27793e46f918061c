/**
 * `badgeclock verify`: whether the raw record (every tap and correction) is
 * as the clock wrote it, by its hash chain (rule 13), or where it was changed.
 */
import type { Command } from 'commander';

import type { ChainVerdict, Store } from '../drivers/store/store';
import {
  configOrExit,
  EXIT_FAILURE,
  storeOrExit,
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
  // Read-only, with SQLite's check of the whole file first: a damaged page is a fault of its own.
  const store = storeOrExit(config, true);
  let verdict: ChainVerdict;
  try {
    verdict = verdictOf(store);
  } finally {
    store.close();
  }
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
