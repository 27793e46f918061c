/**
 * `badgeclock reader test`: the wiring check of the card reader.
 */
import type { Command } from 'commander';
import { tap } from 'rxjs';

import { readerTestFor } from '../readerTest';
import { configOrExit, withConfigOptions, type ConfigOptions } from './common';
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
