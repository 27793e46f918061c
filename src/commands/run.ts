/**
 * `badgeclock run`, the default command: the clock itself.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { asyncScheduler, NEVER, Subject, Subscription } from 'rxjs';

import { version } from '../../package.json';
import { formatLocalDateTime } from '../../streams/zoned';
import { clockApp, type AppIo } from '../app';
import type { Config } from '../config';
import { readBootId } from '../bootId';
import { DataDirLockedError, LOCK_FILE_NAME, lockDataDir, type DataDirLock } from '../dataDirLock';
import { timeSyncCheckOf } from '../drivers/clock/timeSync';
import { DISK_CHECK_MS, diskWatcher } from '../diskSpace';
import { describeReaders, readerSpecsOf } from '../drivers/reader/readers';
import type { SheetsDriver } from '../drivers/sheets/sheetsDriver';
import type { Store } from '../drivers/store/store';
import {
  configOrExit,
  consoleOfRunningClock,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  fail,
  keepRunningWithoutStdout,
  log,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';
import { runApp, stopGracefullyOnSignals } from './runApp';
import { sheetDriverOf } from './sheetsClientOf';

type RunOptions = ConfigOptions & { json?: boolean; newInstall?: boolean };

const NEW_INSTALL_HELP =
  'start with an empty store even though this data directory had a database (README, "Data")';

/** Adds `run`, the default command, to the program. */
export function addRunCommand(program: Command): void {
  withConfigOptions(
    program.command('run', { isDefault: true }).description('run the clock (the default command)'),
  )
    .option('--json', 'write one JSON object per event to stdout instead of console lines')
    .option('--new-install', NEW_INSTALL_HELP)
    .action((options: RunOptions) => {
      runClock(options, false);
    });
}

/**
 * Adds `hub`: the site's core with no reader of its own (docs/multi-door.md). It folds every
 * door's taps from the broker like any door, and is the one process that writes the sheet.
 */
export function addHubCommand(program: Command): void {
  withConfigOptions(
    program
      .command('hub')
      .description(
        "run the site's hub: every door's taps from the broker, no reader; the one writer of the sheet",
      ),
  )
    .option('--json', 'write one JSON object per event to stdout instead of console lines')
    // A hub whose database was lost is started anew as a clock is, as the store's refusal says.
    .option('--new-install', NEW_INSTALL_HELP)
    .action((options: RunOptions) => {
      runClock(options, true);
    });
}

/** Runs the clock (or the hub) until it fails or is stopped by a signal. */
function runClock(options: RunOptions, hub: boolean): void {
  const config = configOrExit(options, true);
  if (hub && config.mqttUrl === undefined) {
    // A setting missing for this command: bad configuration (exit 2), as doctor --hub says.
    fail(
      "hub: no broker is set: set mqttUrl (BADGECLOCK_MQTT_URL) to the site's broker",
      EXIT_BAD_INPUT,
    );
  }
  // Signals are handled from before the start: one that comes while the clock starts (opening
  // and checking the store takes a while on a Pi) stops it once started, gracefully, instead of
  // the default kill that leaves the lock behind and the store unclosed.
  const stop$ = new Subject<void>();
  const app = new Subscription();
  const started: { store?: Store; sheet?: SheetsDriver } = {};
  stopGracefullyOnSignals({
    subscription: app,
    stop: () => {
      stop$.next();
    },
    busy: () => started.sheet?.busy() === true,
    close: () => {
      started.store?.close();
    },
  });
  lockOrExit(config);
  keepRunningWithoutStdout();
  const output = consoleOfRunningClock();
  const store = storeOrExit(config, false, options.newInstall === true);
  started.store = store;
  logStart(config, store, hub);
  watchDisk(config.dataDir);
  if (!hub) showTypingHint(config, options.json === true, { stdin: process.stdin, ...output });
  const sheet = sheetDriverOf(config);
  started.sheet = sheet;
  const io: AppIo = {
    ...ioOf(config, options, output.stdout),
    ...(hub ? { reads$: NEVER, hub } : {}),
  };
  const app$ = clockApp(config, store, io, sheet, stop$);
  app.add(
    runApp(app$, () => {
      store.close();
    }),
  );
}

/**
 * How to use the clock, for a person at a terminal: only when a keyboard reader reads it (an
 * RC522 or a grabbed USB reader ignores what is typed there), and on stderr with `--json`, whose
 * stdout is one JSON event per line for another program.
 */
export function showTypingHint(
  config: Config,
  json: boolean,
  io: { stdin: { isTTY?: boolean }; stdout: Writable; stderr: Writable },
): void {
  if (io.stdin.isTTY !== true) return;
  if (!readerSpecsOf(config).some((spec) => spec.kind === 'keyboard')) return;
  (json ? io.stderr : io.stdout).write(
    'Type or scan a card id and press Enter; Ctrl-C stops the clock.\n',
  );
}

/** The start-up line: what this clock reads, where it keeps its data and where it syncs. */
function logStart(config: Config, store: Store, hub: boolean): void {
  const doors = config.mqttUrl === undefined ? '' : `, site ${config.site} on ${config.mqttUrl}`;
  log.info(
    `badgeclock ${version}: ${hub ? 'hub, no reader' : describeReaders(config)}${hub ? '' : config.mqttUrl === undefined ? '' : ` at door ${config.door}`}${doors}, zone ${config.tz}, ` +
      `data ${store.file}, people ${config.peopleFile}` +
      (config.configFile === null ? '' : `, config ${config.configFile}`) +
      (config.spreadsheetId === undefined ? ', sheet off' : `, sheet ${config.spreadsheetId}`),
    { version, ...readerFields(config, hub), zone: config.tz, dataDir: config.dataDir },
  );
}

/**
 * Warns in the log when the disk holding the data directory runs low, at start and then every
 * hour: a full disk stops the clock. A timer beside the stream graph, like the signal handlers:
 * it feeds nothing into it.
 */
function watchDisk(dir: string): void {
  const watcher = diskWatcher(dir, log);
  watcher.check();
  setInterval(() => watcher.check(), DISK_CHECK_MS).unref();
}

/**
 * The start record's readers, as the clock reads them: a `readers` list or the one reader (the
 * `reader` key alone is its default, `keyboard`, under a list); a hub reads none.
 */
export function readerFields(
  config: Config,
  hub: boolean,
): { reader: string | null; readers: { kind: string; name: string }[] } {
  if (hub) return { reader: null, readers: [] };
  const readers = readerSpecsOf(config).map(({ kind, name }) => ({ kind, name }));
  const [only] = readers;
  return { reader: readers.length === 1 && only !== undefined ? only.kind : null, readers };
}

/** The process's side of the clock: its streams, log, scheduler and clocks. */
function ioOf(config: Config, options: RunOptions, stdout: Writable): AppIo {
  const timeSyncCheck = timeSyncCheckOf(config);
  return {
    stdin: process.stdin,
    stdout,
    log,
    scheduler: asyncScheduler,
    json: options.json === true,
    // CLOCK_MONOTONIC (Linux): counted from boot, so comparable across restarts in one boot.
    mono: () => Number(process.hrtime.bigint() / 1_000_000n),
    bootId: readBootId(),
    ...(timeSyncCheck === undefined ? {} : { timeSynced: timeSyncCheck }),
  };
}

/**
 * Takes the data directory for this clock (released at exit), or exits 1 naming
 * the clock that holds it: two clocks on one store would double sessions and rows.
 */
function lockOrExit(config: Config): DataDirLock {
  try {
    const lock = lockDataDir(config.dataDir, {
      formatTime: (at) => `${formatLocalDateTime(at, config.tz)} ${config.tz}`,
    });
    if (lock.tookOver !== null) {
      log.warn(
        `took over the lock of pid ${lock.tookOver.holder.pid} on ${config.dataDir}: ${lock.tookOver.why}`,
      );
    }
    return lock;
  } catch (error) {
    if (error instanceof DataDirLockedError) fail(error.message, EXIT_FAILURE);
    // An unwritable data directory: the store's message says what to do; else this one.
    storeOrExit(config, false).close();
    fail(
      `cannot lock the data directory ${config.dataDir} with its lock file ${join(config.dataDir, LOCK_FILE_NAME)}: ${error instanceof Error ? error.message : String(error)}`,
      EXIT_FAILURE,
    );
  }
}
