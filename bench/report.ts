/**
 * `badgeclock report` on a store of 50,000 sessions (a year of a 155-person
 * site): a week and the whole year, as text and as CSV. The baseline,
 * measured in the same run, is reading the same rows from the same SQLite
 * file (`sessionsBetween`), which every report must do; the ratio is what
 * the totals and the formatting cost on top of it, and Paid by payroll rules
 * (rounding and breaks) on top of that. Best of three runs each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toCommit } from '../streams/commit';
import type { PayrollRules } from '../streams/payroll';
import type { ClockEvent } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer } from '../streams/sessions';
import { Store } from '../src/drivers/store/store';
import { parseLocalDate } from '../src/report/dates';
import { buildReport, formatReport, reportCsv } from '../src/report/report';
import { SITE_PEOPLE, sitePeople, yearOfReads, ZONE } from './replay';

const RUNS = 3;

export interface ReportFigure {
  readonly range: string;
  readonly sessions: number;
  /** Reading the rows (the baseline). */
  readonly readMs: number;
  /** Reading the rows, the totals and the text. */
  readonly textMs: number;
  /** Reading the rows, the totals and the CSV. */
  readonly csvMs: number;
  /** Reading the rows, the totals, Paid by the payroll rules and the text. */
  readonly paidMs: number;
}

/** Rules as a site might set them: rounding to the quarter hour, two break rules. */
const PAYROLL: PayrollRules = {
  rounding: { to: 15, mode: 'nearest' },
  breaks: [
    { after: 6, minutes: 30 },
    { after: 9, minutes: 45 },
  ],
};

/** A store holding a year of `sessions` sessions, committed step by step as the clock does. */
async function storeOfYear(file: string, sessions: number): Promise<void> {
  const memory = Store.open(':memory:');
  const reduce = makeReducer(defaultRules(ZONE));
  const reads = yearOfReads(sessions * 2, SITE_PEOPLE);
  const first = reads[0]?.at ?? 0;
  const people = sitePeople();
  let state = initialState;
  const events: ClockEvent[] = [{ type: 'directoryLoaded', at: first, people }, ...reads];
  for (const event of events) {
    const step = reduce(state, event);
    state = step.state;
    if (step.out.length > 0) memory.commit(toCommit(step.out), event.at);
  }
  await memory.backup(file);
  memory.close();
}

const best = (work: () => void): number => {
  let fastest = Infinity;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
};

function measure(store: Store, range: string, fromDay: string, toDay: string): ReportFigure {
  const from = parseLocalDate(fromDay, ZONE);
  const to = parseLocalDate(toDay, ZONE);
  if (from === null || to === null) throw new Error(`bad range ${range}`);
  const options = { zone: ZONE, now: Date.parse('2027-06-01T00:00:00Z'), from, to };
  const sessions = store.sessionsBetween(from, to).length;
  const readMs = best(() => store.sessionsBetween(from, to));
  const textMs = best(() => {
    formatReport(buildReport(store.sessionsBetween(from, to), options), options);
  });
  const csvMs = best(() => {
    reportCsv(buildReport(store.sessionsBetween(from, to), options), options);
  });
  const paidMs = best(() => {
    const paid = { ...options, payroll: PAYROLL };
    formatReport(buildReport(store.sessionsBetween(from, to), paid), paid);
  });
  return { range, sessions, readMs, textMs, csvMs, paidMs };
}

/** A week's and a year's report from a store of 50,000 sessions (`BENCH_REPORT_SESSIONS`). */
export async function reportBench(): Promise<ReportFigure[]> {
  const sessions = Number(process.env.BENCH_REPORT_SESSIONS ?? '50000');
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-report-'));
  try {
    const file = join(dir, 'badgeclock.db');
    await storeOfYear(file, sessions);
    const store = Store.open(file, { readonly: true });
    try {
      return [
        measure(store, 'week', '2026-06-08', '2026-06-15'),
        measure(store, 'year', '2026-01-01', '2027-01-01'),
      ];
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as lines for `npm run bench`. */
export function reportReport(figures: readonly ReportFigure[]): string[] {
  const ms = (value: number): string => `${value.toFixed(0)} ms`;
  return [
    'Report from a store of a year of 50,000 sessions vs reading the same rows (best of 3)',
    ...figures.map(
      (f) =>
        `  ${f.range} (${f.sessions.toLocaleString('en-US')} sessions): read ${ms(f.readMs)}; ` +
        `text ${ms(f.textMs)} (${(f.textMs / f.readMs).toFixed(2)}x), ` +
        `csv ${ms(f.csvMs)} (${(f.csvMs / f.readMs).toFixed(2)}x), ` +
        `text with payroll rules ${ms(f.paidMs)} (${(f.paidMs / f.readMs).toFixed(2)}x)`,
    ),
  ];
}
