/**
 * `npm run simulate`: runs seeds of the simulation and says what they found.
 *
 *   npm run simulate -- --seeds 200 --days 120       the long run (seeds 1..200)
 *   npm run simulate -- --seed 17 --days 30          one seed (a repro)
 *   npm run simulate -- --seed 17 --days 30 --path 3:0:1
 *                                                    exactly the shrunk plan a failure printed
 *
 * The options are in args.ts (`--help` prints them; an unknown one is an
 * error). With --ledger FILE, a run of hours can stop and go on later, even in
 * another session; a failed seed runs again, once its fault is fixed.
 * A progress bar goes to stderr; each failure (seed, shrunk plan, invariant,
 * how to replay it) and the summary go to stdout. Exit code 1 on a failure.
 */
import { execFileSync, fork } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  describePlan,
  describeViolation,
  simulateSeed,
  traceOf,
  type SeedOutcome,
} from './simulate';
import { parseArgs, usage, UsageError, type Args } from './args';
import { doorsWorker, runDoorsSeeds } from './doors/doorsCli';
import { codeFingerprint, loadedSources, readLedger, standing, type LedgerLine } from './ledger';

/** The repository this build was made from (the build is dist/test/sim/cli.js). */
const ROOT = resolve(__dirname, '..', '..', '..');

/** The source files the simulation runs: simulate's module graph in this build. */
function simulatedSources(): string[] {
  const entry = require.cache[require.resolve('./simulate')];
  if (entry === undefined) throw new Error('the simulation module is not loaded');
  return loadedSources(entry, resolve(__dirname, '..', '..'), ROOT);
}

function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
};

function progress(done: number, total: number, failures: number, began: number): void {
  if (!process.stderr.isTTY && done % Math.max(1, Math.floor(total / 50)) !== 0 && done !== total)
    return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  const elapsed = Date.now() - began;
  const eta = done === 0 ? '' : ` eta ${clock((elapsed / done) * (total - done))}`;
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} days, ${failures} failing seeds, ${clock(elapsed)}${eta}`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

function report(outcome: SeedOutcome, args: Args): string {
  const failure = outcome.failure;
  if (failure === null) return '';
  const lines = [
    '',
    `SEED ${outcome.seed} FAILED`,
    ...failure.violations.slice(0, 5).map((v) => `  ${describeViolation(v)}`),
    `  shrunk in ${failure.shrinks} runs (${clock(failure.shrinkMs)}) to:`,
    ...describePlan(failure.plan).map((line) => `    ${line}`),
    `  replay: npm run simulate -- --seed ${outcome.seed} --days ${args.days} --people ${args.maxPeople} --events ${args.eventsPerDay} --path ${failure.path}`,
    '',
  ];
  return lines.join('\n');
}

function summary(outcomes: readonly SeedOutcome[], args: Args, realMs: number): string {
  const faults: Record<string, number> = {};
  const checks: Record<string, number> = {};
  const totals = { reads: 0, lost: 0, taps: 0, sessions: 0, requests: 0, lives: 0, days: 0 };
  for (const { stats } of outcomes) {
    add(faults, stats.faults);
    add(checks, stats.checks);
    totals.reads += stats.reads;
    totals.lost += stats.readsLost;
    totals.taps += stats.taps;
    totals.sessions += stats.sessions;
    totals.requests += stats.requests;
    totals.lives += stats.lives;
    totals.days += stats.simulatedDays;
  }
  const failed = outcomes.filter((o) => o.failure !== null);
  const list = (record: Record<string, number>): string =>
    Object.entries(record)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key} ${n.toLocaleString('en')}`)
      .join(', ');
  const real = outcomes.reduce((ms, o) => ms + o.stats.realMs, 0);
  const cpu = outcomes.reduce((ms, o) => ms + o.stats.cpuMs, 0);
  const perDay = (ms: number): string => (ms / 1000 / Math.max(1, totals.days)).toFixed(2);
  return [
    '',
    `badgeclock simulation: ${outcomes.length} seeds x ${args.days} days = ${totals.days} simulated days in ${clock(realMs)} (first runs: ${perDay(real)} s real, ${perDay(cpu)} s CPU per simulated day)`,
    `taps ${totals.taps.toLocaleString('en')} (reads ${totals.reads.toLocaleString('en')}, ${totals.lost.toLocaleString('en')} while the clock was down), sessions ${totals.sessions.toLocaleString('en')}, Sheets requests ${totals.requests.toLocaleString('en')}, process lives ${totals.lives}`,
    `faults injected: ${list(faults)}`,
    `invariant checks made: ${list(checks)}`,
    ...(outcomes.length <= 20
      ? [`trace hashes: ${outcomes.map((o) => `${o.seed} ${o.traceHash ?? '-'}`).join(', ')}`]
      : []),
    `failures: ${failed.length}${failed.length === 0 ? '' : ` (seeds ${failed.map((o) => o.seed).join(', ')})`}`,
    '',
  ].join('\n');
}

/** What a worker process tells the parent. */
type WorkerMessage = { type: 'day' } | { type: 'outcome'; outcome: SeedOutcome };

async function runSeed(seed: number, args: Args, onDay: () => void): Promise<SeedOutcome> {
  return simulateSeed(seed, {
    days: args.days,
    maxPeople: args.maxPeople,
    eventsPerDay: args.eventsPerDay,
    shrinkMs: args.shrinkMs,
    shrinkRuns: args.shrinkRuns,
    ...(args.path === undefined ? {} : { path: args.path }),
    onDay,
  });
}

/** A worker: runs the seeds it is given (`--worker`), reporting days and outcomes to the parent. */
async function worker(args: Args): Promise<void> {
  const send = (message: WorkerMessage): Promise<void> =>
    new Promise((resolve) => {
      process.send?.(message, () => {
        resolve();
      });
    });
  for (const seed of args.seeds) {
    const outcome = await runSeed(seed, args, () => {
      void send({ type: 'day' });
    });
    await send({ type: 'outcome', outcome });
  }
}

/** Runs the seeds in `jobs` worker processes (the seeds dealt round-robin); outcomes in seed order. */
async function inWorkers(
  args: Args,
  onDay: () => void,
  onOutcome: (outcome: SeedOutcome) => void,
): Promise<SeedOutcome[]> {
  const outcomes: SeedOutcome[] = [];
  await Promise.all(
    Array.from({ length: args.jobs }, (_, job) => {
      const seeds = args.seeds.filter((_, i) => i % args.jobs === job);
      if (seeds.length === 0) return Promise.resolve();
      // The worker gets the same options, but its own seeds and no trace.
      const own = new Set(['--seed', '--seeds', '--from', '--jobs', '--trace', '--ledger']);
      const rest = process.argv
        .slice(2)
        .filter((arg, i, all) => !own.has(arg) && !own.has(all[i - 1] ?? ''));
      const child = fork(__filename, [...rest, '--worker', '--seed-list', seeds.join(',')]);
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'day') onDay();
        else {
          outcomes.push(message.outcome);
          onOutcome(message.outcome);
        }
      });
      return new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => {
          if (code === 0) resolve();
          else reject(new Error(`a worker exited with ${String(code)}`));
        });
      });
    }),
  );
  return outcomes.sort((a, b) => args.seeds.indexOf(a.seed) - args.seeds.indexOf(b.seed));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(usage);
    return;
  }
  if (args.doors > 0) {
    if (args.worker) await doorsWorker(args);
    else process.exitCode = await runDoorsSeeds(args);
    return;
  }
  if (args.worker) {
    await worker(args);
    return;
  }
  const began = Date.now();
  const ledger = args.ledger;
  const sources = ledger === undefined ? [] : simulatedSources();
  const code = ledger === undefined ? null : codeFingerprint(ROOT, 'HEAD', sources);
  const codeOf = (commit: string): string | null => codeFingerprint(ROOT, commit, sources);
  const recorded = ledger === undefined ? [] : standing(readLedger(ledger, args, codeOf), code);
  if (ledger !== undefined) {
    const passed = new Set(recorded.filter((l) => l.passed).map((l) => l.seed));
    const again = recorded.filter((l) => !l.passed && args.seeds.includes(l.seed));
    const skipped = args.seeds.filter((seed) => passed.has(seed));
    args.seeds = args.seeds.filter((seed) => !passed.has(seed));
    process.stdout.write(
      code === null
        ? `${ledger}: uncommitted changes to the ${sources.length} files the simulation runs, so this run counts for no commit; ${args.seeds.length} seeds to run\n`
        : `${ledger}: the simulation's code is ${code} (${sources.length} files); ${skipped.length} of these seeds already passed on it; ${args.seeds.length} to run${again.length === 0 ? '' : ` (seeds ${again.map((l) => l.seed).join(', ')} failed before and run again)`}\n`,
    );
  }
  const commit = ledger === undefined ? 'unknown' : currentCommit();
  const total = args.seeds.length * args.days;
  let daysDone = 0;
  let failures = 0;
  const onDay = (): void => {
    daysDone += 1;
    progress(Math.min(daysDone, total), total, failures, began);
  };
  const onOutcome = (outcome: SeedOutcome): void => {
    if (ledger !== undefined) {
      const line: LedgerLine = {
        seed: outcome.seed,
        days: args.days,
        people: args.maxPeople,
        events: args.eventsPerDay,
        passed: outcome.failure === null,
        cpuMs: outcome.stats.cpuMs,
        taps: outcome.stats.taps,
        sessions: outcome.stats.sessions,
        traceHash: outcome.traceHash,
        commit,
        code,
        finishedAt: new Date().toISOString(),
      };
      appendFileSync(ledger, `${JSON.stringify(line)}\n`);
    }
    if (outcome.failure === null) return;
    failures += 1;
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(report(outcome, args));
  };
  progress(0, total, 0, began);
  let outcomes: SeedOutcome[];
  if (args.jobs > 1 && args.seeds.length > 1) {
    outcomes = await inWorkers(args, onDay, onOutcome);
  } else {
    outcomes = [];
    for (const seed of args.seeds) {
      const outcome = await runSeed(seed, args, onDay);
      outcomes.push(outcome);
      onOutcome(outcome);
    }
  }
  for (const outcome of outcomes) {
    const traced = outcome.failure?.plan ?? outcome.plan;
    if (args.trace !== undefined && traced !== null) {
      for (const line of await traceOf(traced, args.trace)) process.stdout.write(`${line}\n`);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stdout.write(summary(outcomes, args, Date.now() - began));
  if (ledger !== undefined) {
    const lines = readLedger(ledger, args, codeOf);
    const all = standing(lines, code);
    const failed = all.filter((l) => !l.passed);
    const days = all.reduce((n, l) => n + l.days, 0);
    const cpu = all.reduce((ms, l) => ms + l.cpuMs, 0);
    const others = new Set(
      lines.filter((l) => l.code !== code || code === null).map((l) => l.seed),
    );
    process.stdout.write(
      `${ledger}, all runs so far on this code (${code ?? 'uncommitted'}): ${all.length} seeds x ${args.days} days (${days.toLocaleString('en')} simulated days, ${(cpu / 3_600_000).toFixed(1)} CPU-hours), ${failed.length} failed${failed.length === 0 ? '' : ` (seeds ${failed.map((l) => l.seed).join(', ')})`}; commits ${[...new Set(all.map((l) => l.commit))].join(', ') || 'none'}${others.size === 0 ? '' : `; ${others.size} seeds ran on other code and do not count`}\n`,
    );
    if (failed.length > 0) process.exitCode = 1;
  }
  if (failures > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`simulate: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(
    `simulate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 2;
});
