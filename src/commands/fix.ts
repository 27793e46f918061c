/**
 * `badgeclock fix SESSION --in TIME --out TIME --void --why TEXT`: a
 * manager's correction without a sheet (rule 13), through the same path as
 * any correction. The request is queued in the store; a running clock judges
 * it within seconds (this command waits for the answer); with no clock
 * running, this command takes the data directory and judges it itself, with
 * the same core. Exit 0 applied, 1 rejected (or no answer in time), 2 bad
 * input.
 */
import type { Command } from 'commander';

import { DataDirLockedError, lockDataDir, readBootIdOrNull } from '../dataDirLock';
import { judgeFix } from '../drivers/store/fixRequests';
import type { Store } from '../drivers/store/store';
import { rulesOf, type Config } from '../config';
import { toCommit } from '../../streams/commit';
import { makeReducer, restoreState } from '../../streams/sessions';
import { parseTypedTime } from '../../streams/sheetEdits';
import { formatLocalDate, startOfLocalDay } from '../../streams/zoned';
import {
  configOrExit,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  fail,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';

type FixOptions = ConfigOptions & {
  in?: string;
  out?: string;
  void?: boolean;
  why?: string;
  wait: string;
};

/** Adds `fix` to the program. */
export function addFixCommand(program: Command): void {
  withConfigOptions(
    program
      .command('fix')
      .description("correct a session's In or Out, or void it; kept beside the raw taps with why")
      .argument('<session>', "the session id (the Log tab's Session column, or report --csv)"),
  )
    .option(
      '--in <time>',
      'the right clock-in: HH:mm (the day of the clock-in), YYYY-MM-DD HH:mm, or ISO-8601',
    )
    .option('--out <time>', 'the right clock-out, as --in')
    .option('--void', 'take the session out of every total; it stays in the record')
    .option('--why <text>', 'why (required): kept with the correction')
    .option('--wait <seconds>', 'how long to wait for a running clock to judge it', '30')
    .action(fix);
}

/** A number of seconds, 0 or more, in decimal: `30`, `2.5`. */
const SECONDS = /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

async function fix(typed: string, options: FixOptions): Promise<void> {
  // A cell copied from the Log tab brings a line end along; an id never has a blank.
  const session = typed.trim();
  const config = configOrExit(options);
  const why = options.why?.trim() ?? '';
  if (why === '') fail('--why is required: say why the session is corrected', EXIT_BAD_INPUT);
  if (options.void === true && (options.in !== undefined || options.out !== undefined))
    fail('--void takes the session out as it is: give it without --in or --out', EXIT_BAD_INPUT);
  if (options.void !== true && options.in === undefined && options.out === undefined)
    fail('nothing to correct: give --in, --out or --void', EXIT_BAD_INPUT);
  // Decimal only, as the configuration's numbers: Number() reads '' as 0 and 0x10 as 16.
  const wait = SECONDS.test(options.wait) ? Number(options.wait) : NaN;
  if (!Number.isFinite(wait))
    fail(
      `--wait ${JSON.stringify(options.wait)} is not a number of seconds (0 or more, in decimal)`,
      EXIT_BAD_INPUT,
    );

  // A mistyped --data-dir must not get a new, empty database: refused as status refuses it.
  const store = storeOrExit(config, false, false, false, true);
  try {
    const found = store.correctionContext(session).session;
    if (found === undefined) {
      fail(
        `there is no session ${session} in ${store.file} (session ids are in the Log tab's Session column and in report --csv)`,
        EXIT_BAD_INPUT,
      );
    }
    const time = (flag: string, text: string | undefined): number | null =>
      text === undefined ? null : timeOrExit(flag, text, config.tz, found.inAt);
    const inAt = time('--in', options.in);
    const outAt = time('--out', options.out);
    const id = store.addFixRequest({
      at: Date.now(),
      session,
      inAt,
      outAt,
      void: options.void === true,
      why,
    });
    const outcome = judgeHere(config, store) ? store.fixOutcome(id) : await answer(store, id, wait);
    if (outcome === null) {
      process.stdout.write(
        `queued: the running clock has not judged it within ${wait} s; see badgeclock report --edits\n`,
      );
      process.exitCode = EXIT_FAILURE;
    } else if (outcome.applied) {
      process.stdout.write(`✔ session ${session} corrected\n`);
    } else {
      process.stdout.write(`✖ session ${session} not corrected: ${outcome.reason ?? ''}\n`);
      const { limitMs } = rulesOf(config);
      const hint = nextDayHint(options.out, outAt, inAt ?? found.inAt, config.tz, limitMs);
      if (hint !== null) process.stderr.write(`${hint}\n`);
      process.exitCode = EXIT_FAILURE;
    }
  } finally {
    store.close();
  }
}

/**
 * With no clock running, judges every queued request here, with the same core
 * the clock runs; false when a clock holds the data directory (it judges).
 */
function judgeHere(config: Config, store: Store): boolean {
  let lock;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError) return false;
    throw error;
  }
  try {
    const now = Date.now();
    const rules = rulesOf(config);
    const reduce = makeReducer(rules);
    let state = restoreState(store.snapshot(now, readBootIdOrNull() ?? undefined));
    for (const request of store.pendingFixes()) {
      const step = reduce(state, judgeFix(store, request, now, rules));
      state = step.state;
      store.commit(toCommit(step.out), now);
    }
    return true;
  } finally {
    lock.release();
  }
}

/** Waits up to `seconds` for the running clock’s answer to request `id` (exported for its test). */
export async function answer(
  store: Store,
  id: number,
  seconds: number,
): Promise<ReturnType<Store['fixOutcome']>> {
  // On the monotonic clock: NTP stepping the wall clock back must not stretch the wait.
  const until = performance.now() + seconds * 1000;
  for (;;) {
    const outcome = store.fixOutcome(id);
    if (outcome !== null || performance.now() >= until) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A time as a manager types it (streams/sheetEdits.ts reads the sheet's cells alike), and an
 * ISO-8601 time with an offset only on a real calendar day and hour: `Date.parse` moves
 * `2026-02-30T10:00+01:00` to March 2 and `T24:00` to the next day, a time nobody typed.
 */
export function parseFixTime(text: string, zone: string, sessionIn: number): number | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):/.exec(text.trim());
  if (iso !== null) {
    const [year, month, day, hour] = iso.slice(1).map(Number) as [number, number, number, number];
    const date = new Date(new Date(0).setUTCFullYear(year, month - 1, day));
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23) return null;
  }
  return parseTypedTime(text, zone, sessionIn);
}

function timeOrExit(flag: string, text: string, zone: string, sessionIn: number): number {
  const at = parseFixTime(text, zone, sessionIn);
  if (at === null) {
    fail(
      `${flag} ${JSON.stringify(text)} is not a time: give HH:mm (on the day of the clock-in), YYYY-MM-DD HH:mm, or ISO-8601 with an offset`,
      EXIT_BAD_INPUT,
    );
  }
  return at;
}

/**
 * An Out typed as `HH:mm` alone is on the day of the clock-in, as `--help` says. For a night
 * shift (in at 22:00) `--out 06:00` is then before the In, and refused as "not after In" with no
 * word of the date. Where the same time on the next day makes a session within the limit (12 h
 * by default), the hint gives it; null otherwise (an Out of 07:00 for an In of 08:00 is a typo,
 * not a 23-hour shift).
 */
export function nextDayHint(
  typed: string | undefined,
  outAt: number | null,
  inAt: number,
  zone: string,
  limitMs: number,
): string | null {
  const time = typed?.trim() ?? '';
  if (outAt === null || outAt > inAt || !/^\d{1,2}:\d{2}$/.test(time)) return null;
  // Midday of the next local day: its date, whatever a DST night does to the hours between.
  const nextDay = formatLocalDate(startOfLocalDay(inAt, zone) + 36 * 3_600_000, zone);
  const next = parseTypedTime(`${nextDay} ${time}`, zone, inAt);
  if (next === null || next <= inAt || next - inAt > limitMs) return null;
  return `--out ${time} is read on the day of the clock-in; for a shift that ended the next day, give the date: --out "${nextDay} ${time}"`;
}
