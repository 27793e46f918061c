/**
 * The store of a 155-person site over two years (100,000 taps a year: 50,000
 * sessions and 100,000 outbox entries, each confirmed by the sheet a minute
 * after it was made). Two stores get the same commits at the same times: one
 * through the store driver as the clock runs it, which prunes what the sheet
 * confirmed more than a week ago, and one that keeps every entry (the store
 * before pruning), the baseline of every ratio. At the end of each year: the
 * file's size, start-up (open and snapshot), `status` and `backup`, best of
 * three. Then what catching up costs on a year-old store from before pruning:
 * one batch of deletions next to a tap's commit (synchronous=FULL, both).
 *
 * Alone: `npm run build && node dist/bench/storeGrowth.js`.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Subject } from 'rxjs';
import { toCommit, type Commit } from '../streams/commit';
import type { ClockEvent } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, restoreState } from '../streams/sessions';
import { Store } from '../src/drivers/store/store';
import { makeStoreDriver } from '../src/drivers/store/storeDriver';
import { SITE_PEOPLE, sitePeople, yearOfReads, ZONE } from './replay';
import { summarise, type Summary } from './stats';

const RUNS = 3;
const YEARS = 2;
const PRUNE_BATCH = 500;

/** One store at the end of a year. */
export interface StoreAge {
  readonly bytes: number;
  readonly outboxRows: number;
  /** Open (writable, as `run` does) and snapshot, as a restart does. */
  readonly startMs: number;
  /** Open read-only and `status`, as the command does. */
  readonly statusMs: number;
  readonly backupMs: number;
}

export interface StoreGrowthFigure {
  readonly year: number;
  readonly sessions: number;
  readonly whole: StoreAge;
  readonly pruned: StoreAge;
}

export interface CatchUpFigure {
  /** Rows a year-old store from before pruning has to lose. */
  readonly rows: number;
  readonly batches: number;
  readonly batch: Summary;
  /** A tap's commit on the same file: the baseline. */
  readonly tap: Summary;
  readonly totalMs: number;
  /** Pages freed and kept for reuse (no VACUUM): the file's size is unchanged. */
  readonly freeBytes: number;
  readonly bytes: number;
}

const best = async (work: () => unknown): Promise<number> => {
  let fastest = Infinity;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await work();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
};

async function measureAge(file: string, now: number, scratch: string): Promise<StoreAge> {
  const copy = join(scratch, 'age.db');
  const db = new Database(file, { readonly: true });
  const outboxRows = Number(db.prepare('SELECT count(*) FROM outbox').pluck().get());
  db.close();
  const startMs = await best(() => {
    const store = Store.open(file);
    restoreState(store.snapshot(now));
    store.close();
  });
  const statusMs = await best(() => {
    const store = Store.open(file, { readonly: true });
    store.status();
    store.close();
  });
  const backupMs = await best(async () => {
    const store = Store.open(file, { readonly: true });
    await store.backup(copy);
    store.close();
  });
  rmSync(copy, { force: true });
  return { bytes: statSync(file).size, outboxRows, startMs, statusMs, backupMs };
}

/** Two years through two stores, measured at the end of each year. */
async function grow(
  dir: string,
): Promise<{ figures: StoreGrowthFigure[]; firstYear: { file: string; end: number } }> {
  const reads = yearOfReads(YEARS * 100_000, SITE_PEOPLE, YEARS * 365);
  const first = reads[0]?.at ?? 0;
  const people = sitePeople();
  // In memory, then copied to a file at each year's end: the copy has every page, free ones too.
  const pruned = Store.open(':memory:');
  const whole = Store.open(':memory:');
  let now = first;
  const driver = makeStoreDriver(pruned, () => now);
  const commits$ = new Subject<Commit>();
  const committed$ = driver.commit(commits$);
  // The benchmark's own subscribe: it drives the store driver, not the app.
  const subscriptions = [driver.outbox(committed$).subscribe(), committed$.subscribe()];
  const commit = (c: Commit, at: number): void => {
    now = at;
    commits$.next(c);
    whole.commit(c, at);
  };
  const reduce = makeReducer(defaultRules(ZONE));
  let state = initialState;
  const figures: StoreGrowthFigure[] = [];
  let firstYear = { file: '', end: 0 };
  try {
    const events: ClockEvent[] = [{ type: 'directoryLoaded', at: first, people }, ...reads];
    let year = 1;
    const yearEnd = (n: number): number => first + n * 365 * 86_400_000;
    for (const event of events) {
      while (event.at >= yearEnd(year)) {
        const figure = await measureYear(year, yearEnd(year));
        figures.push(figure.figure);
        if (year === 1) firstYear = { file: figure.wholeFile, end: yearEnd(year) };
        year += 1;
      }
      const step = reduce(state, event);
      state = step.state;
      if (step.out.length === 0) continue;
      const c = toCommit(step.out);
      commit(c, event.at);
      // The sheet confirms the step's entries a minute later.
      const keys = c.outbox.map((entry) => entry.key);
      if (keys.length > 0) {
        commit(toCommit([{ type: 'markDone', at: event.at + 60_000, keys }]), event.at + 60_000);
      }
    }
    figures.push((await measureYear(YEARS, yearEnd(YEARS))).figure);
    return { figures, firstYear };
  } finally {
    subscriptions.forEach((subscription) => {
      subscription.unsubscribe();
    });
    pruned.close();
    whole.close();
  }

  async function measureYear(
    year: number,
    at: number,
  ): Promise<{ figure: StoreGrowthFigure; wholeFile: string }> {
    const wholeFile = join(dir, `whole-${year}.db`);
    const prunedFile = join(dir, `pruned-${year}.db`);
    await whole.backup(wholeFile);
    await pruned.backup(prunedFile);
    return {
      wholeFile,
      figure: {
        year,
        sessions: whole.counts().sessions,
        whole: await measureAge(wholeFile, at, dir),
        pruned: await measureAge(prunedFile, at, dir),
      },
    };
  }
}

/** A year-old store from before pruning, pruned batch by batch as the driver does, next to taps. */
function catchUp(file: string, now: number): CatchUpFigure {
  const store = Store.open(file);
  const reduce = makeReducer(defaultRules(ZONE));
  let state = restoreState(store.snapshot(now));
  const look = new Database(file, { readonly: true });
  const rows = Number(
    look
      .prepare(
        "SELECT count(*) FROM outbox WHERE done_at IS NOT NULL AND failure IS NULL AND kind <> 'card-listed'",
      )
      .pluck()
      .get(),
  );
  look.close();
  const tap: number[] = [];
  const batch: number[] = [];
  let at = now;
  let pruned = PRUNE_BATCH;
  // A tap (a new card: listed and clocked in), then a batch, until nothing is left to prune.
  for (let i = 0; pruned === PRUNE_BATCH || i < 50; i++) {
    at += 60_000;
    const step = reduce(state, {
      type: 'cardRead',
      at,
      card: `N${String(i).padStart(7, '0')}`,
      reader: 'bench',
    });
    state = step.state;
    let start = performance.now();
    store.commit(toCommit(step.out), at);
    tap.push(performance.now() - start);
    if (pruned === PRUNE_BATCH) {
      start = performance.now();
      pruned = store.prune(at, PRUNE_BATCH);
      batch.push(performance.now() - start);
    }
  }
  store.close();
  const db = new Database(file, { readonly: true });
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const freeBytes = Number(db.pragma('freelist_count', { simple: true })) * pageSize;
  db.close();
  return {
    rows,
    batches: batch.length,
    batch: summarise(batch),
    tap: summarise(tap),
    totalMs: batch.reduce((sum, ms) => sum + ms, 0),
    freeBytes,
    bytes: statSync(file).size,
  };
}

/** The store over two years, kept whole and pruned; and a year-old store catching up. */
export async function storeGrowthBench(): Promise<{
  figures: StoreGrowthFigure[];
  catchUp: CatchUpFigure;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-growth-'));
  try {
    const { figures, firstYear } = await grow(dir);
    const copy = join(dir, 'catch-up.db');
    copyFileSync(firstYear.file, copy);
    return { figures, catchUp: catchUp(copy, firstYear.end) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as lines for `npm run bench`. */
export function storeGrowthReport(result: {
  figures: readonly StoreGrowthFigure[];
  catchUp: CatchUpFigure;
}): string[] {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const x = (after: number, before: number): string => `${(after / before).toFixed(2)}x`;
  const lines = [
    'Store of a 155-person site, every entry confirmed: kept whole (baseline) vs pruned as the clock does (best of 3)',
  ];
  for (const { year, sessions, whole, pruned } of result.figures) {
    lines.push(
      `  year ${year} (${sessions.toLocaleString('en-US')} sessions): ` +
        `file ${mib(whole.bytes)} -> ${mib(pruned.bytes)} (${x(pruned.bytes, whole.bytes)}), ` +
        `outbox rows ${whole.outboxRows.toLocaleString('en-US')} -> ${pruned.outboxRows.toLocaleString('en-US')}`,
      `    start-up ${ms(whole.startMs)} -> ${ms(pruned.startMs)} (${x(pruned.startMs, whole.startMs)}), ` +
        `status ${ms(whole.statusMs)} -> ${ms(pruned.statusMs)} (${x(pruned.statusMs, whole.statusMs)}), ` +
        `backup ${ms(whole.backupMs)} -> ${ms(pruned.backupMs)} (${x(pruned.backupMs, whole.backupMs)})`,
    );
  }
  const [one, two] = result.figures;
  if (one !== undefined && two !== undefined) {
    lines.push(
      `  growth from year 1 to year 2: kept whole ${x(two.whole.bytes, one.whole.bytes)}, pruned ${x(two.pruned.bytes, one.pruned.bytes)} (sessions and taps only)`,
    );
  }
  const c = result.catchUp;
  lines.push(
    `  catching up a year-old store from before pruning: ${c.rows.toLocaleString('en-US')} rows in ${c.batches} batches of ${PRUNE_BATCH}, ` +
      `a batch p50 ${ms(c.batch.p50)} max ${ms(c.batch.max)} vs a tap's commit p50 ${ms(c.tap.p50)} max ${ms(c.tap.max)} ` +
      `(${x(c.batch.p50, c.tap.p50)}); ${mib(c.freeBytes)} of ${mib(c.bytes)} freed for reuse`,
  );
  return lines;
}

if (require.main === module) {
  storeGrowthBench()
    .then((result) => {
      for (const line of storeGrowthReport(result)) process.stdout.write(`${line}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`bench failed: ${String(error)}\n`);
      process.exitCode = 1;
    });
}
