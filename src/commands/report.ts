/**
 * `badgeclock report`: per-person totals and sessions from the store.
 */
import type { Command } from 'commander';

import type { Directory } from '../../streams/directory';
import { personKey } from '../../streams/personKey';
import { formatLocalDate, startOfNextLocalDay } from '../../streams/zoned';
import { parseLocalDate, startOfLocalIsoWeek } from '../report/dates';
import { editsCsv, editsOfPerson, formatEdits } from '../report/edits';
import { choosePeriod } from '../report/period';
import { buildReport, formatReport, openEnd, peopleAskedFor, reportCsv } from '../report/report';
import type { Config } from '../config';
import type { EditRow } from '../drivers/store/store';
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
  // Who `person` is by the whole history (a full scan: read only when the range tells nobody).
  const inHistory = (person: string): ReadonlySet<string> =>
    peopleAskedFor(store.allSessions(), person, directory);
  if (options.edits === true) {
    const all = store.editsBetween(from, to);
    const { edits, unknown } = editsOf(all, options.person, directory, inHistory);
    store.close();
    process.stdout.write(
      options.csv === true ? editsCsv(edits, zone) : formatEdits(edits, zone, unknown),
    );
    return;
  }
  const closeAt = closeAtOf(config);
  // The store finds a session still open in every range after its clock-in. One whose automatic
  // close fell before this range ends there when the clock runs: it belongs to its own days.
  const rows = store
    .sessionsBetween(from, to)
    .filter((row) => row.outAt !== null || openEnd(row, { now, closeAt }) > from);
  const reportOptions = {
    zone,
    now,
    from,
    to,
    person: options.person,
    directory,
    closeAt,
    period,
    payroll: config.payroll,
    explain: options.explain,
  };
  const inRange = buildReport(rows, reportOptions);
  // Nobody in the range answers to --person: an older name of someone with hours here (Robert,
  // now Bob), a typo, or someone with no hours here?
  const known =
    inRange.personKnown === false && options.person !== undefined
      ? inHistory(options.person)
      : null;
  store.close();
  const report =
    known === null || known.size === 0
      ? inRange
      : {
          ...buildReport(
            rows.filter((row) => known.has(personKey(directory, row.card))),
            { ...reportOptions, person: undefined },
          ),
          personKnown: true,
        };
  process.stdout.write(
    options.csv === true ? reportCsv(report, reportOptions) : formatReport(report, reportOptions),
  );
}

/**
 * The corrections `person` asks for, and `person` again when nobody answers to it. None
 * answering in these days may be an older name of someone corrected here (Robert, now Bob),
 * or a typo: only the whole history (`inHistory`) tells.
 */
function editsOf(
  all: readonly EditRow[],
  person: string | undefined,
  directory: Directory,
  inHistory: (person: string) => ReadonlySet<string>,
): { readonly edits: readonly EditRow[]; readonly unknown?: string } {
  if (person === undefined) return { edits: all };
  const found = editsOfPerson(all, person, directory);
  if (found.length > 0) return { edits: found };
  const known = inHistory(person);
  if (known.size === 0) return { edits: [], unknown: person };
  return { edits: all.filter((row) => known.has(personKey(directory, row.card))) };
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
