#!/usr/bin/env node
/**
 * The entry point: builds the program and adds its commands, one file each in
 * `commands/`. The program's one subscribe is `runApp` in `commands/runApp.ts`.
 */
import { Command } from 'commander';

import { version } from '../package.json';
import { addBackupCommand } from './commands/backup';
import { EXIT_BAD_INPUT, EXIT_FAILURE, fail } from './commands/common';
import { addDoctorCommand } from './commands/doctor';
import { addFixCommand } from './commands/fix';
import { addReaderCommand } from './commands/reader';
import { addReplayCommand } from './commands/replay';
import { addReportCommand } from './commands/report';
import { addHubCommand, addRunCommand } from './commands/run';
import { addStatusCommand } from './commands/status';
import { addVerifyCommand } from './commands/verify';

// A reader of our output went away (`badgeclock replay log.csv | head`): stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
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

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error), EXIT_FAILURE);
});
