#!/usr/bin/env node
/**
 * The entry point: builds the program and adds its commands, one file each in
 * `commands/`. The program's one subscribe is `runApp` in `commands/runApp.ts`.
 */
import { Command } from 'commander';

import { version } from '../package.json';
import { addBackupCommand } from './commands/backup';
import { EXIT_BAD_INPUT, EXIT_FAILURE, fail, onStdoutError } from './commands/common';
import { addDoctorCommand } from './commands/doctor';
import { addFixCommand } from './commands/fix';
import { addReaderCommand } from './commands/reader';
import { addReplayCommand } from './commands/replay';
import { addReportCommand } from './commands/report';
import { addHubCommand, addRunCommand } from './commands/run';
import { addStatusCommand } from './commands/status';
import { addVerifyCommand } from './commands/verify';
import { suggest } from './config/suggest';

// A reader of our output went away (`badgeclock replay log.csv | head`): stop quietly; a full
// disk: say so. A running clock carries on without its console (commands/common.ts).
process.stdout.on('error', onStdoutError);

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
 * unknown command it is, with the nearest one (exit 2). So is a command after options
 * (`badgeclock --data-dir /srv/clock status`, or `badgeclock --tz UTC -- status`): options go
 * after their command. Options alone (`badgeclock --tz UTC`) and no arguments still run the
 * clock.
 */
function refuseUnknownCommand(program: Command, args: readonly string[]): void {
  const commands = [
    ...program.commands.flatMap((command) => [command.name(), ...command.aliases()]),
    'help',
  ];
  const run = program.commands.find((command) => command.name() === 'run');
  const at = run === undefined ? -1 : firstWordAfterOptions(run, args);
  const word = args[at];
  if (run === undefined || word === undefined || (at === 0 && commands.includes(word))) return;
  // `badgeclock -- status`: commander runs the command itself, with nothing to move.
  const alone =
    at === 1 && args[0] === '--' && !args.slice(at + 1).some((arg) => arg.startsWith('-'));
  if (alone && commands.includes(word)) return;
  const message = !commands.includes(word)
    ? `error: unknown command '${word}' (${suggest(word, commands)})`
    : `error: options go after the command: ${optionsAfterCommand(program, run, args, at)}`;
  program.error(message, { exitCode: EXIT_BAD_INPUT, code: 'commander.unknownCommand' });
}

/**
 * The command line with the options of `run` before the command word at `at` moved after it
 * and after its subcommand (`reader test`, `help report`: `reader` itself takes no `--tz`), and
 * those the command does not take (`--json` before `report`) named instead of moved.
 */
function optionsAfterCommand(
  program: Command,
  run: Command,
  args: readonly string[],
  at: number,
): string {
  const named = (commands: readonly Command[], word: string | undefined): Command | undefined =>
    commands.find((command) => command.name() === word || command.aliases().includes(word ?? ''));
  // `help` is commander's own, and ignores options: the command it names follows it.
  let target = args[at] === 'help' ? program : named(program.commands, args[at]);
  let end = at + 1;
  for (let sub = target; sub !== undefined;) {
    sub = named(sub.commands, args[end]);
    if (sub !== undefined) [target, end] = [sub, end + 1];
  }
  const moved: string[] = [];
  const notTaken: string[] = [];
  for (let i = 0; i < at;) {
    if (args[i] === '--') {
      i += 1; // the end of the options before the command: not needed after it
      continue;
    }
    const option = optionAt(run, args, i);
    const words = args.slice(i, i + (option?.words ?? 1));
    const taken =
      target === undefined || target === program || optionAt(target, args, i) !== undefined;
    if (option === undefined || taken) moved.push(...words);
    else notTaken.push(option.flag);
    i += words.length;
  }
  const line = [...args.slice(at, end), ...moved, ...args.slice(end)].map(shellWord).join(' ');
  return notTaken.length === 0
    ? `badgeclock ${line}`
    : `badgeclock ${line} (${args.slice(at, end).join(' ')} takes no ${notTaken.join(', ')})`;
}

/** The option of `command` that `args[i]` is, and how many words it takes (2: its value apart). */
function optionAt(
  command: Command,
  args: readonly string[],
  i: number,
): { readonly flag: string; readonly words: 1 | 2 } | undefined {
  const arg = args[i] ?? '';
  const flag = (arg.startsWith('--') ? arg.split('=')[0] : arg.slice(0, 2)) ?? arg;
  const option = command.options.find((o) => o.long === flag || o.short === flag);
  if (option === undefined) return undefined;
  // `--data-dir DIR` takes the next word; `--data-dir=DIR` and `-cFILE` carry their value.
  const attached = arg.startsWith('--') ? arg.includes('=') : arg.length > 2;
  return { flag, words: (option.required || option.optional) && !attached ? 2 : 1 };
}

/**
 * Where the first word that is neither an option of `command` nor an option's value stands in
 * `args`, or -1: none, or an option `command` does not know (commander names it) comes first.
 */
function firstWordAfterOptions(command: Command, args: readonly string[]): number {
  for (let i = 0; i < args.length;) {
    const arg = args[i] ?? '';
    // `--` ends the options: the word after it, if any, is the one that would go to run.
    if (arg === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!arg.startsWith('-') || arg === '-') return i;
    const option = optionAt(command, args, i);
    if (option === undefined) return -1;
    i += option.words;
  }
  return -1;
}

/** A word as a shell takes it back: quoted when it holds a space or anything else special. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
