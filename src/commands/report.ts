/**
 * `badgeclock report`: per-person totals and sessions from the store.
 */
import type { Command } from 'commander';

import { startOfNextLocalDay } from '../../streams/zoned';
import { parseLocalDate, startOfLocalIsoWeek } from '../report/dates';
import { buildReport, formatReport, reportCsv } from '../report/report';
import {
  closeAtOf,
  configOrExit,
  EXIT_BAD_INPUT,
  fail,
  storeOrExit,
  withConfigOptions,
  type ConfigOptions,
} from './common';

type ReportOptions = ConfigOptions & { from?: string; to?: string; person?: string; csv?: boolean };

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
    .option('--person <name>', 'only this person (name, any case, or card id)')
    .option('--csv', 'RFC 4180 CSV to stdout, one row per session')
    .action(report);
}

/** Writes the report of the days asked for, as text or CSV, to stdout. */
function report(options: ReportOptions): void {
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
  const store = storeOrExit(config, true, false, true);
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
    options.csv === true ? reportCsv(report, reportOptions) : formatReport(report, reportOptions),
  );
}

function dateOrExit(flag: string, text: string, zone: string): number {
  const at = parseLocalDate(text, zone);
  if (at === null)
    fail(`${flag} ${JSON.stringify(text)} is not a date (YYYY-MM-DD)`, EXIT_BAD_INPUT);
  return at;
}
