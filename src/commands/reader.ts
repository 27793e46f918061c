/**
 * `badgeclock reader test`: the wiring check of the card reader.
 */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { tap } from 'rxjs';

import { formatLocalDateTime } from '../../streams/zoned';
import type { Config } from '../config';
import { liveHolder } from '../dataDirLock';
import { readerSpecsOf } from '../drivers/reader/readers';
import { readerTestFor } from '../readerTest';
import { configOrExit, EXIT_FAILURE, fail, withConfigOptions, type ConfigOptions } from './common';
import { runApp, stopOnSignals } from './runApp';

/** Adds `reader` and its subcommand `test` to the program. */
export function addReaderCommand(program: Command): void {
  const readerCommand = program.command('reader').description('the card reader');
  withConfigOptions(
    readerCommand
      .command('test')
      .description(
        'wiring check: read the RC522 chip version, then print every card presented until Ctrl-C',
      ),
  ).action(readerTest);
}

/** Prints the chip's version, then every card presented, until Ctrl-C. */
function readerTest(options: ConfigOptions): void {
  const config = configOrExit(options);
  refuseBesideTheClock(config);
  const now = (): number => Date.now();
  const lines$ = readerTestFor(config, { stdin: process.stdin, now });
  const subscription = runApp(
    lines$.pipe(
      tap((line) => {
        process.stdout.write(`${line}\n`);
      }),
    ),
    () => undefined,
  );
  stopOnSignals(subscription);
}

/**
 * Exits 1 while a clock runs on this configuration's data directory and reads a reader the test
 * would read too: both would poll one RC522 (the clock then misses taps) or fight over one
 * USB reader. The keyboard reader is the terminal's own: no clock under systemd reads it. A
 * clock on another host sharing the directory polls its own reader, not this one.
 */
function refuseBesideTheClock(config: Config): void {
  const hardware = readerSpecsOf(config).filter((spec) => spec.kind !== 'keyboard');
  if (hardware.length === 0) return;
  const holder = liveHolder(config.dataDir);
  // A clock on another host (a data directory on a network share) reads that host's reader.
  if (holder === null || holder.host !== hostname()) return;
  const started = Date.parse(holder.startedAt);
  const when = Number.isFinite(started)
    ? `${formatLocalDateTime(started, config.tz)} ${config.tz}`
    : holder.startedAt;
  fail(
    `a clock is running on the data directory ${config.dataDir} (pid ${holder.pid}, started ${when}) ` +
      `and reads ${hardware.map((spec) => `"${spec.name}"`).join(', ')}: the test would read the same reader, ` +
      `and the clock would miss taps. Stop it first (sudo systemctl stop badgeclock), then run the test again`,
    EXIT_FAILURE,
  );
}
