/**
 * What the hash chain over raw taps costs (rule 13). Taps committed per second
 * through the store's `commitStep` with each tap linked, against the same
 * steps on a twin database with linking left out (the baseline), in the same
 * run, alternating blocks so both see the same machine: durable
 * (synchronous=FULL, an fsync per tap, as the clock runs) and without fsync
 * (what the linking costs the CPU). Then the one-off cost of an upgrade: a
 * schema-5 store of `BENCH_BACKFILL_TAPS` taps (default 1,000,000 alone,
 * 200,000 in `npm run bench`) opened, migrated and linked, next to opening it
 * without the chain, and `verify` walking it.
 *
 * Alone: `npm run build && node dist/bench/chainCost.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { toCommit, type Commit } from '../streams/commit';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer } from '../streams/sessions';
import { commitStep } from '../src/drivers/store/commitStep';
import { openDatabase } from '../src/drivers/store/openDatabase';
import { MIGRATIONS } from '../src/drivers/store/schema';
import { Statements } from '../src/drivers/store/statements';
import { Store } from '../src/drivers/store/store';

const BLOCK = 250;

export interface ThroughputFigure {
  readonly taps: number;
  /** Taps committed per second, each linked. */
  readonly chained: number;
  /** The same steps with linking left out. */
  readonly unchained: number;
}

export interface BackfillFigure {
  readonly taps: number;
  /** Open of the schema-5 file: migration and linking every tap. */
  readonly openMs: number;
  /** The process's CPU time (user and system) in that open: what a shared machine's load leaves out. */
  readonly openCpuMs: number;
  /** Open of a copy made the same way, without the chain migration's linking (baseline). */
  readonly openWithoutMs: number;
  readonly verifyMs: number;
  readonly verifyCpuMs: number;
  /** Resident memory grown while verifying (it streams: flat in the number of taps). */
  readonly verifyRssMiB: number;
}

/** Steps of a busy door: 500 cards tapping in and out, every read a tap. */
function steps(taps: number): Commit[] {
  const reduce = makeReducer({ ...defaultRules('UTC'), debounceMs: 0, guardMs: 0 });
  let state = initialState;
  const commits: Commit[] = [];
  const start = Date.parse('2026-03-23T08:00:00Z');
  for (let i = 0; i < taps; i++) {
    const at = start + i * 1000;
    const card = `BE${String(i % 500).padStart(6, '0')}`;
    const step = reduce(state, { type: 'cardRead', at, card, reader: 'bench' });
    state = step.state;
    commits.push(toCommit(step.out));
  }
  return commits;
}

/** Taps per second with and without the chain, on twin files, in alternating blocks. */
export function chainThroughput(dir: string, taps: number, durable: boolean): ThroughputFigure {
  const open = (name: string): Statements => {
    const { db } = openDatabase(join(dir, name));
    if (!durable) db.pragma('synchronous = OFF');
    return new Statements(db);
  };
  const chained = open(`chained-${String(durable)}.db`);
  const unchained = open(`unchained-${String(durable)}.db`);
  const spent = { chained: 0, unchained: 0 };
  const commits = steps(taps);
  const now = Date.parse('2026-03-23T08:00:00Z');
  for (let from = 0; from < commits.length; from += BLOCK) {
    const block = commits.slice(from, from + BLOCK);
    // Which one goes first alternates too: neither always gets the warmer cache.
    const order = (from / BLOCK) % 2 === 0 ? ['chained', 'unchained'] : ['unchained', 'chained'];
    for (const which of order) {
      const sql = which === 'chained' ? chained : unchained;
      const start = performance.now();
      for (const c of block) {
        if (which === 'chained') commitStep(sql, c, now, null);
        else commitStep(sql, c, now, null, () => undefined);
      }
      spent[which === 'chained' ? 'chained' : 'unchained'] += performance.now() - start;
    }
  }
  chained.db.close();
  unchained.db.close();
  return {
    taps,
    chained: (taps / spent.chained) * 1000,
    unchained: (taps / spent.unchained) * 1000,
  };
}

/** A database as badgeclock wrote it at schema 5, holding `taps` taps. */
function schema5(file: string, taps: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  for (const sql of MIGRATIONS.slice(0, 5)) db.exec(sql);
  db.pragma('user_version = 5');
  const insert = db.prepare(
    'INSERT INTO taps (at, card, reader, outcome, session) VALUES (?, ?, ?, ?, ?)',
  );
  const start = Date.parse('2016-01-01T00:00:00Z');
  db.transaction(() => {
    for (let i = 0; i < taps; i++) {
      const card = `BE${String(i % 500).padStart(6, '0')}`;
      const out = Math.floor(i / 500) % 2 === 1;
      insert.run(start + i * 60_000, card, 'door', out ? 'clock-out' : 'clock-in', `s${i}`);
    }
  })();
  db.close();
}

/** Upgrading a store of `taps` taps from before the chain: opening it, and verifying it. */
export function backfill(dir: string, taps: number): BackfillFigure {
  const file = join(dir, 'upgrade.db');
  const baseline = join(dir, 'baseline.db');
  schema5(file, taps);
  schema5(baseline, taps);
  // The baseline: the same migration with nothing to link (the note of what to link dropped).
  const db = new Database(baseline);
  const openWithoutStart = performance.now();
  db.transaction(() => {
    db.exec(MIGRATIONS[5] ?? '');
    db.pragma('user_version = 6');
  })();
  db.close();
  Store.open(baseline).close();
  const openWithoutMs = performance.now() - openWithoutStart;
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const { user, system } = process.cpuUsage(since);
    return (user + system) / 1000;
  };
  let cpu = process.cpuUsage();
  let start = performance.now();
  Store.open(file).close();
  const openMs = performance.now() - start;
  const openCpuMs = cpuMs(cpu);
  const store = Store.open(file, { readonly: true });
  global.gc?.();
  const rss = process.memoryUsage().rss;
  cpu = process.cpuUsage();
  start = performance.now();
  const verdict = store.verify();
  const verifyMs = performance.now() - start;
  const verifyCpuMs = cpuMs(cpu);
  const verifyRssMiB = (process.memoryUsage().rss - rss) / 2 ** 20;
  store.close();
  if (!verdict.whole || verdict.taps !== taps) {
    throw new Error(`backfill bench: verify says ${JSON.stringify(verdict)}`);
  }
  return { taps, openMs, openCpuMs, openWithoutMs, verifyMs, verifyCpuMs, verifyRssMiB };
}

/** Both figures, on fresh files in a temp directory. */
export function chainCostBench(backfillTaps: number): {
  durable: ThroughputFigure;
  cpu: ThroughputFigure;
  backfill: BackfillFigure;
} {
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-chain-'));
  try {
    return {
      durable: chainThroughput(dir, 3_000, true),
      cpu: chainThroughput(dir, 20_000, false),
      backfill: backfill(dir, backfillTaps),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as lines for `npm run bench`. */
export function chainCostReport(result: ReturnType<typeof chainCostBench>): string[] {
  const rate = (f: ThroughputFigure, label: string): string =>
    `  ${label} (${f.taps.toLocaleString('en-US')} taps): ${f.chained.toFixed(0)} taps/s chained vs ${f.unchained.toFixed(0)} unchained (baseline): ratio ${(f.chained / f.unchained).toFixed(2)}x`;
  const b = result.backfill;
  return [
    'Hash chain over raw taps: taps committed per second with each tap linked vs without (same run, alternating blocks)',
    rate(result.durable, 'synchronous=FULL, an fsync per tap'),
    rate(result.cpu, 'synchronous=OFF, the CPU cost alone'),
    `  upgrade of a schema-5 store of ${b.taps.toLocaleString('en-US')} taps: open with linking ${(b.openMs / 1000).toFixed(1)} s (CPU ${(b.openCpuMs / 1000).toFixed(1)} s) vs ${(b.openWithoutMs / 1000).toFixed(1)} s without (${(b.openMs / b.openWithoutMs).toFixed(1)}x), once`,
    `  verify of those ${b.taps.toLocaleString('en-US')} taps: ${(b.verifyMs / 1000).toFixed(1)} s (CPU ${(b.verifyCpuMs / 1000).toFixed(1)} s), memory grown ${b.verifyRssMiB.toFixed(1)} MiB`,
  ];
}

if (require.main === module) {
  const taps = Number(process.env.BENCH_BACKFILL_TAPS ?? '1000000');
  for (const line of chainCostReport(chainCostBench(taps))) process.stdout.write(`${line}\n`);
}
