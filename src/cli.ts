#!/usr/bin/env node
/**
 * The entry point: builds the program and adds its commands, one file each in
 * `commands/`. The program's one subscribe is `runApp` in `commands/runApp.ts`.
 */
import { Command } from 'commander';

import { version } from '../package.json';
import { addBackupCommand } from './commands/backup';
import { EXIT_BAD_INPUT, EXIT_FAILURE, fail, onStdoutGone } from './commands/common';
import { addDoctorCommand } from './commands/doctor';
import { addFixCommand } from './commands/fix';
import { addReaderCommand } from './commands/reader';
import { addReplayCommand } from './commands/replay';
import { addReportCommand } from './commands/report';
import { addHubCommand, addRunCommand } from './commands/run';
import { addStatusCommand } from './commands/status';
import { addVerifyCommand } from './commands/verify';
import { suggest } from './config/suggest';

// A reader of our output went away (`badgeclock replay log.csv | head`): stop quietly, except
// a running clock, which carries on without its console (commands/common.ts).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  onStdoutGone();
});

const program = new Command('badgeclock')
  .description('RFID time clock: tap a badge to clock in and out.')
  .version(version)
  .showHelpAfterError()
  // Usage errors (an unknown option, a missing argument) are bad input: exit 2, not commander's 1.
  .exitOverride((error) => {
    process.exit(
      error.exitCode === 0 || error.code === 'commander.helpDisplayed' ? 0 : EXIT_BAD_INPUT,
    );
  });

// In this order in the help.
addRunCommand(program);
addHubCommand(program);
addReplayCommand(program);
addReportCommand(program);
addFixCommand(program);
addStatusCommand(program);
addVerifyCommand(program);
addDoctorCommand(program);
addReaderCommand(program);
addBackupCommand(program);

refuseUnknownCommand(program, process.argv.slice(2));
program.parseAsync(process.argv).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error), EXIT_FAILURE);
});

/**
 * A first word that is no command (`badgeclock reprot`) would go to run, the default command,
 * as an argument, and commander would say "too many arguments for 'run'". It is named as the
 * unknown command it is, with the nearest one (exit 2). Options first (`badgeclock --tz UTC`)
 * and no arguments still run the clock.
 */
function refuseUnknownCommand(program: Command, args: readonly string[]): void {
  const [first] = args;
  if (first === undefined || first.startsWith('-')) return;
  const commands = program.commands.flatMap((command) => [command.name(), ...command.aliases()]);
  if (first === 'help' || commands.includes(first)) return;
  program.error(`error: unknown command '${first}' (${suggest(first, commands)})`, {
    exitCode: EXIT_BAD_INPUT,
    code: 'commander.unknownCommand',
  });
}
