#!/usr/bin/env node
/**
 * The entry point: the program and its commands. The program's one subscribe is
 * `runApp` in `commands/runApp.ts`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { asyncScheduler, Subject, tap } from 'rxjs';

import { version } from '../package.json';
import { formatDuration, formatLocalDateTime, startOfNextLocalDay } from '../streams/zoned';
import { clockApp } from './app';
import type { Config } from './config';
import { formatChecks, runDoctor } from './doctor';
import { timeSyncCheckOf } from './drivers/clock/timeSync';
import { makeFeedbackDriver } from './drivers/feedback/feedbackDriver';
import { describeReaders, probeMfrc522Spec } from './drivers/reader/readers';
import { loadServiceAccount } from './drivers/sheets/serviceAccount';
import { DB_FILE_NAME, ownFileAt, Store } from './drivers/store/store';
import { parseLocalDate, startOfLocalIsoWeek } from './report/dates';
import { buildReport, formatReport, reportCsv } from './report/report';
import { drainOutbox } from './replay/drainOutbox';
import { prepareReplay, replayUntil } from './replay/replayApp';
import { parseTapLog } from './replay/tapLog';
import { terminalProgress } from './replay/progress';
import { listProblems } from './formats/problemList';
import { CSV_UTF8, encodingProblem } from './formats/csv';
import { readerTestFor } from './readerTest';
import { readBootId } from './bootId';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './dataDirLock';
import {
  closeAtOf,
  configOf,
  configOrExit,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  fail,
  log,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './commands/common';
import { runApp, stopGracefullyOnSignals, stopOnSignals } from './commands/runApp';
import { sheetDriverOf, sheetsClientOf } from './commands/sheetsClientOf';

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
      `cannot lock the data directory ${config.dataDir}: ${error instanceof Error ? error.message : String(error)}`,
      EXIT_FAILURE,
    );
  }
}

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

withConfigOptions(
  program.command('run', { isDefault: true }).description('run the clock (the default command)'),
)
  .option('--json', 'write one JSON object per event to stdout instead of console lines')
  .option(
    '--new-install',
    'start with an empty store even though this data directory had a database (README, "Data")',
  )
  .action((options: ConfigOptions & { json?: boolean; newInstall?: boolean }) => {
    const config = configOrExit(options);
    lockOrExit(config);
    const store = storeOrExit(config, false, options.newInstall === true);
    log.info(
      `badgeclock ${version}: ${describeReaders(config)}, zone ${config.tz}, ` +
        `data ${store.file}, people ${config.peopleFile}` +
        (config.configFile === null ? '' : `, config ${config.configFile}`) +
        (config.spreadsheetId === undefined ? ', sheet off' : `, sheet ${config.spreadsheetId}`),
      { version, reader: config.reader, zone: config.tz, dataDir: config.dataDir },
    );
    if (process.stdin.isTTY) {
      process.stdout.write('Type or scan a card id and press Enter; Ctrl-C stops the clock.\n');
    }
    const sheet = sheetDriverOf(config);
    const timeSyncCheck = timeSyncCheckOf(config);
    const stop$ = new Subject<void>();
    const app$ = clockApp(
      config,
      store,
      {
        stdin: process.stdin,
        stdout: process.stdout,
        log,
        scheduler: asyncScheduler,
        json: options.json === true,
        // CLOCK_MONOTONIC (Linux): counted from boot, so comparable across restarts in one boot.
        mono: () => Number(process.hrtime.bigint() / 1_000_000n),
        bootId: readBootId(),
        ...(timeSyncCheck === undefined ? {} : { timeSynced: timeSyncCheck }),
      },
      sheet,
      stop$,
    );
    const subscription = runApp(app$, () => {
      store.close();
    });
    stopGracefullyOnSignals({
      subscription,
      stop: () => {
        stop$.next();
      },
      busy: () => sheet?.busy() === true,
      close: () => {
        store.close();
      },
    });
  });

withConfigOptions(
  program
    .command('replay')
    .description(
      'feed a tap log (CSV "ISO-8601 timestamp,card[,reader]") through the clock in virtual time and print the events',
    )
    .argument('<file>', 'tap log CSV; timestamps without an offset are in the configured zone'),
)
  .option(
    '--until <timestamp>',
    'run virtual time until this instant (default: last tap + auto clock-out limit, at most now)',
  )
  .option('--json', 'write one JSON object per event to stdout instead of console lines')
  .option(
    '--drain-timeout <seconds>',
    'with a sheet configured: the longest to wait for the sheet to take everything (default 300)',
  )
  .action(
    async (
      file: string,
      options: ConfigOptions & { json?: boolean; until?: string; drainTimeout?: string },
    ) => {
      const config = configOrExit(options);
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        fail(`cannot read tap log ${file}: ${(error as Error).message}`, EXIT_BAD_INPUT);
      }
      // Not text in UTF-8 at all (UTF-16, a workbook): one line that says so, not one per line.
      const encoding = encodingProblem(bytes);
      if (encoding !== undefined)
        fail(
          `tap log ${file}: it ${encoding}; save it as ${CSV_UTF8}; nothing was replayed`,
          EXIT_BAD_INPUT,
        );
      const text = bytes.toString('utf8');
      const tapLog = parseTapLog(text, file, config.tz, config.readerName);
      if (tapLog.problems.length > 0) {
        fail(
          `tap log ${file} has ${tapLog.problems.length} bad line(s); nothing was replayed:\n${listProblems(tapLog.problems)}`,
          EXIT_BAD_INPUT,
        );
      }
      // A local time the clocks repeat or skip was read by the documented rule: say which lines.
      for (const warning of tapLog.warnings) log.warn(warning);
      let until = replayUntil(tapLog.reads, config, Date.now());
      if (options.until !== undefined) {
        const parsed = parseTapLog(`${options.until},00000000`, '--until', config.tz, '').reads[0]
          ?.at;
        if (parsed === undefined)
          fail(
            `--until ${JSON.stringify(options.until)} is not an ISO-8601 date and time`,
            EXIT_BAD_INPUT,
          );
        until = parsed;
      }
      const warn = (message: string): void => {
        log.warn(message);
      };
      const client = sheetsClientOf(config, warn);
      // With a sheet, the replay is committed to an in-memory store whose outbox then feeds the sheet.
      const store = client === undefined ? undefined : Store.open(':memory:');
      const replay = prepareReplay({ reads: tapLog.reads, until }, config, warn, store);
      const feedback = makeFeedbackDriver({
        json: options.json === true,
        zone: config.tz,
        stdout: process.stdout,
        log,
      });
      const subscription = runApp(feedback(replay.events$), () => undefined);
      // In slices, so output streams as it goes; progress on stderr when it is a terminal.
      const progress = terminalProgress(process.stderr);
      await replay.run(progress);
      progress.end();
      subscription.unsubscribe();
      if (store === undefined || client === undefined) return;
      const drain$ = drainOutbox(store, client, {
        scheduler: asyncScheduler,
        random: Math.random,
        batchSize: config.sheetBatchSize,
        deadlineMs: Number(options.drainTimeout ?? '300') * 1000,
      });
      runApp(feedback(drain$), () => {
        store.close();
      });
    },
  );

withConfigOptions(
  program
    .command('report')
    .description(
      'per-person daily and weekly totals and the list of sessions (default: this week)',
    ),
)
  .option('--from <date>', 'first local day, YYYY-MM-DD (default: Monday of this week)')
  .option('--to <date>', 'last local day, inclusive, YYYY-MM-DD (default: today)')
  .option('--person <name>', 'only this person (name, any case, or card id)')
  .option('--csv', 'RFC 4180 CSV to stdout, one row per session')
  .action(
    (options: ConfigOptions & { from?: string; to?: string; person?: string; csv?: boolean }) => {
      const config = configOrExit(options);
      const now = Date.now();
      const zone = config.tz;
      const from =
        options.from === undefined
          ? startOfLocalIsoWeek(now, zone)
          : dateOrExit('--from', options.from, zone);
      const to = startOfNextLocalDay(
        options.to === undefined ? now : dateOrExit('--to', options.to, zone),
        zone,
      );
      if (to <= from)
        fail(`--to ${options.to ?? ''} is before --from ${options.from ?? ''}`, EXIT_BAD_INPUT);
      const store = storeOrExit(config, true);
      const rows = store.sessionsBetween(from, to);
      store.close();
      const reportOptions = {
        zone,
        now,
        from,
        to,
        person: options.person,
        closeAt: closeAtOf(config),
      };
      const report = buildReport(rows, reportOptions);
      process.stdout.write(
        options.csv === true
          ? reportCsv(report, reportOptions)
          : formatReport(report, reportOptions),
      );
    },
  );

withConfigOptions(
  program
    .command('status')
    .description(
      'device, version, open sessions, outbox, last tap, last sync, clock synchronisation and database size',
    ),
).action(async (options: ConfigOptions) => {
  const config = configOrExit(options);
  const check = timeSyncCheckOf(config);
  const synced = check === undefined ? true : await check();
  const store = storeOrExit(config, true);
  const status = store.status();
  store.close();
  const now = Date.now();
  const zone = config.tz;
  const lines = [`Device: ${config.readerName} (badgeclock ${version}, ${config.reader} reader)`];
  lines.push(`Open sessions: ${status.open.length}`);
  const closeAt = closeAtOf(config);
  for (const s of status.open) {
    const due = closeAt(s);
    lines.push(
      due < now
        ? `  ${(s.name ?? s.card).padEnd(20)}  since ${formatLocalDateTime(s.inAt, zone)}  past its limit: closed as auto at ${formatLocalDateTime(due, zone)} (${formatDuration(due - s.inAt)}) when the clock runs`
        : `  ${(s.name ?? s.card).padEnd(20)}  since ${formatLocalDateTime(s.inAt, zone)}  for ${formatDuration(now - s.inAt)}`,
    );
  }
  lines.push(
    status.outboxDepth === 0
      ? 'Outbox: empty'
      : `Outbox: ${status.outboxDepth} pending, oldest from ${formatLocalDateTime(status.oldestPendingAt ?? now, zone)} (${formatDuration(now - (status.oldestPendingAt ?? now))} ago)`,
  );
  lines.push(
    status.lastTap === null
      ? 'Last tap: none yet'
      : `Last tap: ${formatLocalDateTime(status.lastTap.at, zone)}  ${status.lastTap.card}  ${status.lastTap.outcome}`,
  );
  lines.push(
    config.spreadsheetId === undefined
      ? 'Last sync: the sheet is off'
      : `Last sync: ${status.lastSyncAt === null ? 'never' : `${formatLocalDateTime(status.lastSyncAt, zone)} (${formatDuration(now - status.lastSyncAt)} ago)`}`,
  );
  if (status.setAsideCount > 0) {
    lines.push(
      `Set aside: ${status.setAsideCount} change(s) the sheet refused for good, not retried (newest first):`,
    );
    for (const entry of status.setAside) {
      lines.push(
        `  ${formatLocalDateTime(entry.createdAt, zone)}  ${entry.kind}  ${entry.key}: ${entry.failure}`,
      );
    }
    if (status.setAsideCount > status.setAside.length) {
      lines.push(`  … and ${status.setAsideCount - status.setAside.length} more`);
    }
  }
  lines.push(
    `Clock: ${synced === true ? 'synchronised' : synced === false ? 'NOT synchronised (taps are marked and corrected later)' : `cannot tell (${config.timeSync === 'command' ? 'the check did not exit 0 or 1' : 'no timedatectl'})`}`,
  );
  lines.push(`Database: ${store.file}, ${(status.bytes / 1024).toFixed(0)} KiB`);
  process.stdout.write(`${lines.join('\n')}\n`);
});

withConfigOptions(
  program
    .command('doctor')
    .description(
      'check configuration, data directory, store, key file, sheet, reader, buzzer/LEDs and clock; each with a fix',
    ),
).action(async (options: ConfigOptions) => {
  const loaded = configOf(options);
  if (!loaded.ok) {
    // The first check failed, and every other one needs a valid configuration.
    const n = loaded.errors.length;
    process.stdout.write(
      `${formatChecks([
        {
          name: 'configuration',
          ok: false,
          detail: `${n} problem${n === 1 ? '' : 's'}:\n${loaded.errors.map((e) => `    - ${e}`).join('\n')}`,
          fix: 'correct each setting named above (README, "Configuration"), then run doctor again',
        },
      ])}\nThe other checks need a valid configuration.\n`,
    );
    process.exit(EXIT_BAD_INPUT);
  }
  const config = loaded.config;
  const sheets = sheetsClientOf(config, () => undefined);
  const checks = await runDoctor(config, {
    sheets,
    loadServiceAccount,
    probeReader: probeMfrc522Spec,
  });
  process.stdout.write(`${formatChecks(checks)}\n`);
  const failed = checks.filter((check) => check.ok === false).length;
  process.stdout.write(failed === 0 ? 'All checks passed.\n' : `${failed} check(s) failed.\n`);
  process.exitCode = failed === 0 ? 0 : EXIT_FAILURE;
});

const readerCommand = program.command('reader').description('the card reader');
withConfigOptions(
  readerCommand
    .command('test')
    .description(
      'wiring check: read the RC522 chip version, then print every card presented until Ctrl-C',
    ),
).action((options: ConfigOptions) => {
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
});

withConfigOptions(
  program
    .command('backup')
    .description('write a consistent copy of the database (safe while the clock runs)')
    .argument('<file>', 'where to write the copy'),
).action(async (file: string, options: ConfigOptions) => {
  const config = configOrExit(options);
  // Checked before the store is opened, so a refusal leaves the data directory as it was.
  const own = ownFileAt(file, resolve(config.dataDir, DB_FILE_NAME));
  if (own !== null) {
    fail(
      `cannot back up to ${file}: it is ${own.what} (${own.file}), so the copy would overwrite the store it copies. ` +
        'Nothing was written. Give a file outside the data directory, e.g. badgeclock backup ~/badgeclock-backup.db',
      EXIT_BAD_INPUT,
    );
  }
  const store = storeOrExit(config, true);
  try {
    await store.backup(file);
    process.stdout.write(`backup of ${store.file} written to ${file}\n`);
  } catch (error) {
    fail(`backup to ${file} failed: ${(error as Error).message}`, EXIT_FAILURE);
  } finally {
    store.close();
  }
});

function dateOrExit(flag: string, text: string, zone: string): number {
  const at = parseLocalDate(text, zone);
  if (at === null)
    fail(`${flag} ${JSON.stringify(text)} is not a date (YYYY-MM-DD)`, EXIT_BAD_INPUT);
  return at;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error), EXIT_FAILURE);
});
