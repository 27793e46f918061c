#!/usr/bin/env node
/**
 * The entry point: commands, configuration, and the program's one subscribe.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { asyncScheduler, type Observable, type Subscription } from 'rxjs';
import { version } from '../package.json';
import { clockApp } from './app';
import { loadConfig, type Config } from './config';
import { makeFeedbackDriver } from './drivers/feedback/feedbackDriver';
import { prepareReplay, replayUntil } from './replay/replayApp';
import { parseTapLog } from './replay/tapLog';

/** Exit codes: 0 ok, 1 failure, 2 bad configuration or bad input. */
const EXIT_BAD_INPUT = 2;

interface CommonOptions {
  config?: string;
  tz?: string;
  reader?: string;
  readerName?: string;
  dataDir?: string;
  peopleFile?: string;
  unknownCards?: string;
  json?: boolean;
}

function withConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: ./badgeclock.config.json if present)')
    .option('--tz <zone>', 'IANA time zone for showing times (BADGECLOCK_TZ)')
    .option('--reader <kind>', 'card reader: keyboard (BADGECLOCK_READER)')
    .option('--reader-name <name>', 'name of this reader, e.g. the door (BADGECLOCK_READER_NAME)')
    .option('--data-dir <dir>', 'where local data lives (BADGECLOCK_DATA_DIR)')
    .option('--people-file <file>', 'local People directory CSV (BADGECLOCK_PEOPLE_FILE)')
    .addOption(
      new Option(
        '--unknown-cards <policy>',
        'what unknown cards do (BADGECLOCK_UNKNOWN_CARDS)',
      ).choices(['accept', 'reject']),
    )
    .option('--json', 'write one JSON object per event to stdout instead of console lines');
}

/** Loads the config or exits 2 naming every problem. */
function configOrExit(options: CommonOptions): Config {
  const result = loadConfig({
    configFile: options.config,
    env: process.env,
    flags: {
      tz: options.tz,
      reader: options.reader,
      readerName: options.readerName,
      dataDir: options.dataDir,
      peopleFile: options.peopleFile,
      unknownCards: options.unknownCards,
    },
  });
  if (result.ok) return result.config;
  process.stderr.write(
    `badgeclock: invalid configuration (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}):\n${result.errors
      .map((e) => `  - ${e}`)
      .join('\n')}\n`,
  );
  process.exit(EXIT_BAD_INPUT);
}

/** The program's one subscribe: runs an app until it completes or the process is stopped. */
function runApp(app$: Observable<unknown>, onDone: () => void): Subscription {
  return app$.subscribe({
    error: (error: unknown) => {
      process.stderr.write(
        `badgeclock: stopped by an unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
    complete: onDone,
  });
}

// A reader of our output went away (`badgeclock replay log.csv | head`): stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('badgeclock')
  .description('RFID time clock: tap a badge to clock in and out.')
  .version(version)
  .showHelpAfterError();

withConfigOptions(
  program.command('run', { isDefault: true }).description('run the clock (the default command)'),
).action((options: CommonOptions) => {
  const config = configOrExit(options);
  process.stderr.write(
    `badgeclock ${version}: ${config.reader} reader "${config.readerName}", zone ${config.tz}, people ${config.peopleFile}` +
      `${config.configFile === null ? '' : `, config ${config.configFile}`}\n` +
      (process.stdin.isTTY
        ? 'Type or scan a card id and press Enter; Ctrl-C stops the clock.\n'
        : ''),
  );
  const subscription = runApp(
    clockApp(config, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      scheduler: asyncScheduler,
      json: options.json === true,
    }),
    () => undefined,
  );
  const stop = (): void => {
    subscription.unsubscribe();
    process.stderr.write('badgeclock: stopped\n');
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

withConfigOptions(
  program
    .command('replay')
    .description(
      'feed a tap log (CSV "ISO-8601 timestamp,card[,reader]") through the clock in virtual time and print the events',
    )
    .argument('<file>', 'tap log CSV; timestamps without an offset are in the configured zone')
    .option(
      '--until <timestamp>',
      'run virtual time until this instant (default: last tap + auto clock-out limit, at most now)',
    ),
).action((file: string, options: CommonOptions & { until?: string }) => {
  const config = configOrExit(options);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(`badgeclock: cannot read tap log ${file}: ${(error as Error).message}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  const log = parseTapLog(text, file, config.tz, config.readerName);
  if (log.problems.length > 0) {
    process.stderr.write(
      `badgeclock: tap log ${file} has ${log.problems.length} bad line(s); nothing was replayed:\n${log.problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    process.exit(EXIT_BAD_INPUT);
  }
  let until = replayUntil(log.reads, config, Date.now());
  if (options.until !== undefined) {
    const parsed = parseTapLog(`${options.until},00000000`, '--until', config.tz, '').reads[0]?.at;
    if (parsed === undefined) {
      process.stderr.write(
        `badgeclock: --until ${JSON.stringify(options.until)} is not an ISO-8601 date and time\n`,
      );
      process.exit(EXIT_BAD_INPUT);
    }
    until = parsed;
  }
  const replay = prepareReplay({ reads: log.reads, until }, config, (message) =>
    process.stderr.write(`badgeclock: ${message}\n`),
  );
  const feedback = makeFeedbackDriver({
    json: options.json === true,
    zone: config.tz,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  const subscription = runApp(feedback(replay.events$), () => undefined);
  replay.flush();
  subscription.unsubscribe();
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`badgeclock: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
