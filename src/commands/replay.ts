/**
 * `badgeclock replay <file>`: a tap log through the clock in virtual time.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { asyncScheduler } from 'rxjs';

import type { CardRead } from '../../streams/events';
import { formatLocalDateTimeExact } from '../../streams/zoned';
import type { Config } from '../config';
import { makeFeedbackDriver } from '../drivers/feedback/feedbackDriver';
import { loadServiceAccount } from '../drivers/sheets/serviceAccount';
import { Store } from '../drivers/store/store';
import { CSV_UTF8, encodingProblem } from '../formats/csv';
import { listProblems } from '../formats/problemList';
import { drainOutbox } from '../replay/drainOutbox';
import { terminalProgress } from '../replay/progress';
import { prepareReplay, replayUntil } from '../replay/replayApp';
import { parseTapLog, readTapTime } from '../replay/tapLog';
import {
  closeAtOf,
  configOrExit,
  EXIT_BAD_INPUT,
  fail,
  log,
  withConfigOptions,
  type ConfigOptions,
} from './common';
import { replayPeople } from './lastPeople';
import { runApp } from './runApp';
import { sheetsClientOf } from './sheetsClientOf';

type ReplayOptions = ConfigOptions & { json?: boolean; until?: string; drainTimeout?: string };

/** Adds `replay` to the program. */
export function addReplayCommand(program: Command): void {
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
    .action(replay);
}

/** Replays the tap log, printing its events; with a sheet, then drains what it committed to it. */
async function replay(file: string, options: ReplayOptions): Promise<void> {
  const config = configOrExit(options);
  const drainMs = drainTimeoutOrExit(options.drainTimeout) * 1000;
  // Before anything is replayed: with the sheet unusable, the in-memory store would be lost at exit.
  keyFileOrExit(config);
  const now = Date.now();
  const tapLog = tapLogOrExit(file, config, now);
  const until =
    untilOrExit(options.until, config, tapLog.reads, now) ?? replayUntil(tapLog.reads, config, now);
  const warn = (message: string): void => {
    log.warn(message);
  };
  const client = sheetsClientOf(config, warn);
  // With a sheet, the replay is committed to an in-memory store whose outbox then feeds the sheet.
  const store = client === undefined ? undefined : Store.open(':memory:');
  const people = replayPeople(config, warn);
  const replay = prepareReplay({ reads: tapLog.reads, until, people }, config, warn, store);
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
  warnOfStillOpen(store, config, until);
  const drain$ = drainOutbox(store, client, {
    scheduler: asyncScheduler,
    random: Math.random,
    batchSize: config.sheetBatchSize,
    deadlineMs: drainMs,
  });
  runApp(feedback(drain$), () => {
    store.close();
  });
}

/**
 * Sessions the replay leaves open (their clock-out may be still to come when it stops at now):
 * they reach the sheet as `in` rows, and the running clock, whose store is its own, never
 * closes them. Replayed again once their limit has passed, they are closed as auto, on the
 * same rows.
 */
function warnOfStillOpen(store: Store, config: Config, until: number): void {
  const open = store.status().open;
  if (open.length === 0) return;
  const shown = (at: number): string => formatLocalDateTimeExact(at, config.tz);
  const closeAt = closeAtOf(config);
  const who = open.slice(0, 5).map((s) => `${s.name ?? s.card} since ${shown(s.inAt)}`);
  const more = open.length > 5 ? `, and ${open.length - 5} more` : '';
  const last = open.reduce((latest, s) => Math.max(latest, closeAt(s)), 0);
  log.warn(
    `${open.length} session(s) are still open where the replay stopped (${shown(until)}): ${who.join('; ')}${more}. ` +
      'They go to the sheet as in, and the running clock does not know them, so nothing closes them there: ' +
      `type their Out in the sheet, or replay the same log again after ${shown(last)}, when the clock's limit closes them as auto (on the same rows)`,
  );
}

/** The tap log's reads, or exit 2 when it cannot be read or has a bad line: nothing is replayed. */
function tapLogOrExit(file: string, config: Config, now: number): ReturnType<typeof parseTapLog> {
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
  const tapLog = parseTapLog(text, file, config.tz, config.readerName, now);
  if (tapLog.problems.length > 0) {
    fail(
      `tap log ${file} has ${tapLog.problems.length} bad line(s); nothing was replayed:\n${listProblems(tapLog.problems)}`,
      EXIT_BAD_INPUT,
    );
  }
  // A local time the clocks repeat or skip was read by the documented rule: say which lines.
  for (const warning of tapLog.warnings) log.warn(warning);
  // Not an error (a day with no taps), but an import that did nothing must not look like one.
  if (tapLog.reads.length === 0) log.warn(`tap log ${file} holds no taps: nothing was replayed`);
  return tapLog;
}

/** With a sheet configured, exit 2 when its key file cannot be used: replay has nowhere to write. */
function keyFileOrExit(config: Config): void {
  if (config.spreadsheetId === undefined || config.keyFile === undefined) return;
  try {
    loadServiceAccount(config.keyFile);
  } catch (error) {
    fail(
      `sheet: ${(error as Error).message} With a sheet set, replay writes the sessions to the sheet: nothing was replayed.`,
      EXIT_BAD_INPUT,
    );
  }
}

/** Seconds written in decimal, as the configuration's numbers are (not `0x10`, not `1e3`). */
const SECONDS = /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

/** The longest a timer waits: a longer one fires at once (Node's 32-bit timers). */
const MAX_DRAIN_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** `--drain-timeout` in seconds (300 without it), or exit 2 before anything is replayed. */
function drainTimeoutOrExit(text: string | undefined): number {
  if (text === undefined) return 300;
  const seconds = SECONDS.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(seconds))
    fail(
      `--drain-timeout ${JSON.stringify(text)} is not a number of seconds (0 or more, in decimal)`,
      EXIT_BAD_INPUT,
    );
  if (seconds > MAX_DRAIN_SECONDS)
    fail(
      `--drain-timeout ${JSON.stringify(text)} is more than ${MAX_DRAIN_SECONDS} seconds (24 days), the longest replay can wait`,
      EXIT_BAD_INPUT,
    );
  return seconds;
}

/**
 * The instant `--until` names (read as a tap log's timestamp is), or exit 2; undefined without
 * it. Refused too when nothing of the log would be replayed, or when it is still to come (the
 * clock cannot know who clocks out then); the taps it leaves out are counted in a warning.
 */
function untilOrExit(
  text: string | undefined,
  config: Config,
  reads: readonly CardRead[],
  now: number,
): number | undefined {
  if (text === undefined) return undefined;
  const time = readTapTime(text.trim(), config.tz);
  if (time === null)
    fail(
      `--until ${JSON.stringify(text)} is not an ISO-8601 date and time (e.g. 2026-03-23T18:00:00)`,
      EXIT_BAD_INPUT,
    );
  if (time.warning !== undefined) log.warn(`--until: ${time.warning}`);
  const shown = (at: number): string => formatLocalDateTimeExact(at, config.tz);
  if (time.at > now)
    fail(
      `--until ${text} is still to come (it is ${shown(now)} now): replay runs up to now at most; nothing was replayed`,
      EXIT_BAD_INPUT,
    );
  const first = reads[0];
  if (first !== undefined && time.at < first.at)
    fail(
      `--until ${text} is before the log's first tap (${shown(first.at)}): nothing would be replayed`,
      EXIT_BAD_INPUT,
    );
  const after = reads.filter((read) => read.at > time.at);
  const next = after[0];
  if (next !== undefined)
    log.warn(
      `--until ${text}: ${after.length} tap(s) of the log come after it and are not replayed, the first at ${shown(next.at)} ${next.card}`,
    );
  return time.at;
}
