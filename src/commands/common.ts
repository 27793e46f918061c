/**
 * What every command shares: the program's log, exit codes, the configuration options,
 * and the helpers that exit with a message instead of going on.
 */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';

import { autoCloseAt } from '../../streams/sessions';
import { loadConfig, rulesOf, type Config } from '../config';
import { makeLog, type Level } from '../log';
import { DB_FILE_NAME, Store, StoreError } from '../drivers/store/store';
import { terminalWriter, writableOf } from '../nonBlockingOutput';
import { openFailureHint } from './openFailure';

/** Exit codes: 0 ok, 1 failure (store, unexpected), 2 bad configuration or bad input. */
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** The options every command takes to find its configuration (README, "Configuration"). */
export interface ConfigOptions {
  config?: string;
  tz?: string;
  reader?: string;
  readerName?: string;
  dataDir?: string;
  peopleFile?: string;
  unknownCards?: string;
}

/** Adds the configuration options to a command. */
export function withConfigOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: ./badgeclock.config.json if present)')
    .option('--tz <zone>', 'IANA time zone for showing times (BADGECLOCK_TZ)')
    .option('--reader <kind>', 'card reader: keyboard, mfrc522 or evdev (BADGECLOCK_READER)')
    .option('--reader-name <name>', 'name of this reader, e.g. the door (BADGECLOCK_READER_NAME)')
    .option('--data-dir <dir>', 'where local data lives (BADGECLOCK_DATA_DIR)')
    .option('--people-file <file>', 'local People directory CSV (BADGECLOCK_PEOPLE_FILE)')
    .option(
      '--unknown-cards <policy>',
      'accept or reject unknown cards (BADGECLOCK_UNKNOWN_CARDS)',
    );
}

/**
 * Where the log's lines go: stderr, written at once, so that a command's last lines are there
 * when it exits; a running clock at a terminal switches it (see {@link consoleOfRunningClock}).
 */
let writeLog = (text: string): void => {
  process.stderr.write(text);
};

/** The program's log: JSON lines on stderr, short text lines at a terminal (README, "Logs"). */
export const log = makeLog({
  pretty: process.stderr.isTTY,
  level: logLevel(process.env.BADGECLOCK_LOG_LEVEL),
  write: (text) => {
    writeLog(text);
  },
});

/** The level from BADGECLOCK_LOG_LEVEL; any other value is refused with the configuration. */
function logLevel(value: string | undefined): Level {
  const level = value?.trim().toLowerCase();
  return level === 'debug' || level === 'warn' || level === 'error' ? level : 'info';
}

/**
 * What the command does when standard output fails: its reader went away (EPIPE:
 * `badgeclock replay log.csv | head` has all it wanted), exit 0 quietly; else (a full disk
 * under `> report.csv`) exit 1 saying so, not with a stack trace.
 */
let stdoutFailed = (error: NodeJS.ErrnoException): void => {
  if (error.code === 'EPIPE') process.exit(0);
  fail(`cannot write to standard output: ${error.message}`, EXIT_FAILURE);
};

/** Called on an error of standard output: see {@link keepRunningWithoutStdout}. */
export function onStdoutError(error: NodeJS.ErrnoException): void {
  stdoutFailed(error);
}

/**
 * A running clock carries on without its console when standard output fails (a closed pipe, a
 * journal stream, a full disk): taps are still stored, answered on the buzzer and LEDs and
 * synced. Exiting 0 there would stop the door silently, and systemd would not restart it.
 */
export function keepRunningWithoutStdout(): void {
  stdoutFailed = (error) => {
    stdoutFailed = () => undefined;
    const what = error.code === 'EPIPE' ? 'closed' : `failed (${error.message})`;
    log.warn(
      `standard output ${what}: console lines and --json events are no longer written; the clock keeps running`,
    );
  };
  // Standard error may be the same closed pipe (`badgeclock run 2>&1 | consumer`, one journal
  // stream): then the log is lost, not the clock, which a log line's EPIPE would stop (exit 1).
  process.stderr.on('error', () => undefined);
}

/**
 * Where a running clock writes its console lines, and its log from now on: at a terminal, a
 * writer that never waits for it (src/nonBlockingOutput.ts), so a terminal paused with Ctrl-S,
 * or a stalled ssh session, loses lines, not taps; elsewhere process.stdout and process.stderr,
 * which Node writes to pipes and sockets without waiting. One-shot commands keep plain writes.
 */
export function consoleOfRunningClock(): { stdout: Writable; stderr: Writable } {
  const dropped = (lines: number, what: string): void => {
    log.warn(
      `${lines} ${what} line${lines === 1 ? ' was' : 's were'} not written: the terminal took no output for a while (paused with Ctrl-S or Scroll Lock, or a stalled ssh session); the clock kept running`,
    );
  };
  const logWriter = terminalWriter(2, {
    // As on a pipe (keepRunningWithoutStdout): the log is lost with its terminal, not the clock.
    onError: () => undefined,
    onDropped: (lines) => {
      dropped(lines, 'log');
    },
  });
  if (logWriter !== null) {
    writeLog = (text) => {
      logWriter.write(text);
    };
  }
  const stderr = logWriter === null ? process.stderr : writableOf(logWriter);
  const consoleWriter = terminalWriter(1, {
    onError: onStdoutError,
    onDropped: (lines) => {
      dropped(lines, 'console (or --json)');
    },
  });
  return { stdout: consoleWriter === null ? process.stdout : writableOf(consoleWriter), stderr };
}

/** Logs the message as an error and exits with the code. */
export function fail(message: string, code: number): never {
  log.error(message);
  process.exit(code);
}

/**
 * Loads the config or exits 2 naming every problem. `connects`: the command connects to the
 * broker, so the MQTT TLS files must be readable too.
 */
export function configOrExit(options: ConfigOptions, connects = false): Config {
  const result = configOf(options, connects);
  if (result.ok) {
    log.useZone(result.config.tz);
    return result.config;
  }
  const n = result.errors.length;
  fail(
    `invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n${result.errors.map((e) => `  - ${e}`).join('\n')}`,
    EXIT_BAD_INPUT,
  );
}

/** The config from the file, the environment and the flags, or every problem with it. */
export function configOf(options: ConfigOptions, connects = false): ReturnType<typeof loadConfig> {
  return loadConfig({
    connects,
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
}

/**
 * Opens the store or exits 1 with what to do; the file is never touched on failure. `quick`:
 * without the integrity check of the whole file (status and report, which change nothing).
 * `existing`: refuse a data directory with no database rather than start one there (`fix`).
 */
export function storeOrExit(
  config: Config,
  readonly: boolean,
  newInstall = false,
  quick = false,
  existing = false,
): Store {
  try {
    return Store.open(join(config.dataDir, DB_FILE_NAME), {
      readonly,
      newInstall,
      integrityCheck: !quick,
      existing,
    });
  } catch (error) {
    storeFailed(config, error);
  }
}

/**
 * Exits 1 with why the store would not open, and what the disk says where SQLite's own words
 * mislead (a full or read-only disk, another user's folder: openFailure.ts).
 */
export function storeFailed(config: Config, error: unknown): never {
  const message = error instanceof StoreError ? error.message : String(error);
  const hint = openFailureHint(config.dataDir);
  if (hint === null) fail(message, EXIT_FAILURE);
  const upperFirst = hint.charAt(0).toUpperCase() + hint.slice(1);
  fail(`${message.replace(/\.$/, '')}. ${upperFirst}`, EXIT_FAILURE);
}

/** When the clock will close an open session automatically: its limit, or the cut-off if earlier. */
export function closeAtOf(
  config: Config,
): (session: { readonly inAt: number; readonly unsynced?: true }) => number {
  const rules = rulesOf(config);
  // A clock-in on an unsynchronised clock has no cut-off until corrected, as the clock decides.
  return (session) => autoCloseAt(session, rules, session.unsynced !== true).at;
}
