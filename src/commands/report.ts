/**
 * `badgeclock report`: per-person totals and sessions from the store.
 */
import type { Command } from 'commander';

import { formatLocalDate, startOfNextLocalDay } from '../../streams/zoned';
import { parseLocalDate, startOfLocalIsoWeek } from '../report/dates';
import { editsCsv, editsOfPerson, formatEdits } from '../report/edits';
import { choosePeriod } from '../report/period';
import { buildReport, formatReport, peopleAskedFor, reportCsv } from '../report/report';
import type { Config } from '../config';
import { lastPeople } from './lastPeople';
import {
  closeAtOf,
  configOrExit,
  EXIT_BAD_INPUT,
  fail,
  log,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';

type ReportOptions = ConfigOptions & {
  from?: string;
  to?: string;
  period?: string;
  person?: string;
  csv?: boolean;
  explain?: boolean;
  edits?: boolean;
};

/** Adds `report` to the program. */
export function addReportCommand(program: Command): void {
  withConfigOptions(
    program
      .command('report')
      .description(
        'per-person daily and weekly totals and the list of sessions (default: this week)',
      ),
  )
    .option('--from <date>', 'first local day, YYYY-MM-DD (default: Monday of this week)')
    .option('--to <date>', 'last local day, inclusive, YYYY-MM-DD (default: today)')
    .option(
      '--period <which>',
      'a pay period instead of --from/--to: current, previous, or the one containing YYYY-MM-DD (config payPeriod)',
    )
    .option(
      '--person <name>',
      'only this person (any of their names, any case, or card ids: People’s or their sessions’)',
    )
    .option('--csv', 'RFC 4180 CSV to stdout, one row per session')
    .option('--explain', 'say how each person’s Paid total was reached (config payroll)')
    .option('--edits', 'the corrections seen in these days instead: applied or rejected, and why')
    .action(report);
}

/** Writes the report of the days asked for, as text or CSV, to stdout. */
function report(options: ReportOptions): void {
  const config = configOrExit(options);
  const now = Date.now();
  const zone = config.tz;
  if (options.explain === true && options.csv === true)
    fail('--explain is for the text report; leave it out with --csv', EXIT_BAD_INPUT);
  if (options.explain === true && options.edits === true)
    fail('--explain is for the totals; leave it out with --edits', EXIT_BAD_INPUT);
  // `--person "$NAME"` with NAME unset: not a request for the cards nobody has named yet.
  if (options.person?.trim() === '')
    fail(
      `--person ${JSON.stringify(options.person)} is empty: give a name or a card id`,
      EXIT_BAD_INPUT,
    );
  const { from, to, period } = rangeOrExit(options, config, now);
  const store = storeOrExit(config, true, false, true);
  // Which cards are one person, and their names, as the clock last read People.
  const directory = lastPeople(config, (message) => {
    log.warn(message);
  });
  if (options.edits === true) {
    const { person } = options;
    const all = store.editsBetween(from, to);
    const edits = person === undefined ? all : editsOfPerson(all, person, directory);
    // No corrections for --person: a typo, or someone never corrected? Only the whole history tells.
    const unknown =
      person !== undefined &&
      edits.length === 0 &&
      peopleAskedFor(store.allSessions(), person, directory).size === 0;
    store.close();
    process.stdout.write(
      options.csv === true
        ? editsCsv(edits, zone)
        : formatEdits(edits, zone, unknown ? person : undefined),
    );
    return;
  }
  const rows = store.sessionsBetween(from, to);
  const reportOptions = {
    zone,
    now,
    from,
    to,
    person: options.person,
    directory,
    closeAt: closeAtOf(config),
    period,
    payroll: config.payroll,
    explain: options.explain,
  };
  const inRange = buildReport(rows, reportOptions);
  // Nobody in the range answers to --person: a typo, or someone with no hours here? Only
  // the whole history tells (read only on this path: a full scan).
  const report =
    inRange.personKnown === false && options.person !== undefined
      ? {
          ...inRange,
          personKnown: peopleAskedFor(store.allSessions(), options.person, directory).size > 0,
        }
      : inRange;
  store.close();
  process.stdout.write(
    options.csv === true ? reportCsv(report, reportOptions) : formatReport(report, reportOptions),
  );
}

/** The days asked for: a pay period, or --from/--to (default: Monday of this week to today). */
function rangeOrExit(
  options: ReportOptions,
  config: Config,
  now: number,
): { from: number; to: number; period?: string } {
  const zone = config.tz;
  if (options.period !== undefined) {
    if (options.from !== undefined || options.to !== undefined)
      fail('--period and --from/--to both choose the days: give one or the other', EXIT_BAD_INPUT);
    const chosen = choosePeriod(options.period, config.payPeriod, zone, now);
    if (chosen === null)
      fail(
        `--period ${JSON.stringify(options.period)} is not current, previous or a date (YYYY-MM-DD)`,
        EXIT_BAD_INPUT,
      );
    return { from: chosen.from, to: chosen.to, period: chosen.label };
  }
  const from =
    options.from === undefined
      ? startOfLocalIsoWeek(now, zone)
      : dateOrExit('--from', options.from, zone);
  const to = startOfNextLocalDay(
    options.to === undefined ? now : dateOrExit('--to', options.to, zone),
    zone,
  );
  if (to <= from) {
    // A flag left out is named by the default it took, so the message never has a blank.
    const toText = options.to ?? `${formatLocalDate(now, zone)} (today, the default)`;
    const fromText =
      options.from ?? `${formatLocalDate(from, zone)} (Monday of this week, the default)`;
    fail(`--to ${toText} is before --from ${fromText}`, EXIT_BAD_INPUT);
  }
  return { from, to };
}

function dateOrExit(flag: string, text: string, zone: string): number {
  const at = parseLocalDate(text, zone);
  if (at === null)
    fail(`${flag} ${JSON.stringify(text)} is not a date (YYYY-MM-DD)`, EXIT_BAD_INPUT);
  return at;
}
