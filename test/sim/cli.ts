/**
 * `npm run simulate`: runs seeds of the simulation and says what they found.
 *
 *   npm run simulate -- --seeds 200 --days 120       the long run (seeds 1..200)
 *   npm run simulate -- --seed 17 --days 30          one seed (a repro)
 *   npm run simulate -- --seed 17 --days 30 --path 3:0:1
 *                                                    exactly the shrunk plan a failure printed
 *
 * Options: --from N (first seed of --seeds), --people N (most people in a
 * plan, default 300), --events N (most plan events per day, default 2),
 * --shrink-seconds N (default 120; 0 = no shrinking), --trace REGEX (print
 * the matching lines of the run's trace: the failing plan's, or the seed's).
 * A progress bar goes to stderr; each failure (seed, shrunk plan, invariant,
 * how to replay it) and the summary go to stdout. Exit code 1 on a failure.
 */
import {
  describePlan,
  describeViolation,
  simulateSeed,
  traceOf,
  type SeedOutcome,
} from './simulate';

interface Args {
  seeds: number[];
  days: number;
  maxPeople: number;
  eventsPerDay: number;
  shrinkMs: number;
  path: string | undefined;
  /** With one seed: print the lines of its trace that match (the failing plan's, if it failed). */
  trace: RegExp | undefined;
}

function parse(argv: readonly string[]): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i < 0 ? undefined : argv[i + 1];
  };
  const number = (name: string, fallback: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} takes a whole number, not ${text}`);
    return n;
  };
  const seed = value('seed');
  const from = number('from', 1);
  const seeds =
    seed !== undefined
      ? [number('seed', 0)]
      : Array.from({ length: number('seeds', 10) }, (_, i) => from + i);
  return {
    seeds,
    days: Math.max(1, number('days', 7)),
    maxPeople: Math.max(1, number('people', 300)),
    eventsPerDay: number('events', 2),
    shrinkMs: number('shrink-seconds', 120) * 1000,
    path: value('path'),
    trace: value('trace') === undefined ? undefined : new RegExp(value('trace') ?? ''),
  };
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
  const simulated = outcomes.reduce((ms, o) => ms + o.stats.realMs, 0);
  return [
    '',
    `badgeclock simulation: ${outcomes.length} seeds x ${args.days} days = ${totals.days} simulated days in ${clock(realMs)} (${(simulated / 1000 / Math.max(1, totals.days)).toFixed(2)} s per simulated day, first runs)`,
    `taps ${totals.taps.toLocaleString('en')} (reads ${totals.reads.toLocaleString('en')}, ${totals.lost.toLocaleString('en')} while the clock was down), sessions ${totals.sessions.toLocaleString('en')}, Sheets requests ${totals.requests.toLocaleString('en')}, process lives ${totals.lives}`,
    `faults injected: ${list(faults)}`,
    `invariant checks made: ${list(checks)}`,
    `failures: ${failed.length}${failed.length === 0 ? '' : ` (seeds ${failed.map((o) => o.seed).join(', ')})`}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const began = Date.now();
  const total = args.seeds.length * args.days;
  const outcomes: SeedOutcome[] = [];
  let daysDone = 0;
  let failures = 0;
  progress(0, total, 0, began);
  for (const seed of args.seeds) {
    const outcome = await simulateSeed(seed, {
      days: args.days,
      maxPeople: args.maxPeople,
      eventsPerDay: args.eventsPerDay,
      shrinkMs: args.shrinkMs,
      ...(args.path === undefined ? {} : { path: args.path }),
      onDay: () => {
        daysDone += 1;
        progress(daysDone, total, failures, began);
      },
    });
    daysDone = outcomes.length * args.days + args.days;
    outcomes.push(outcome);
    if (outcome.failure !== null) {
      failures += 1;
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stdout.write(report(outcome, args));
    }
    progress(daysDone, total, failures, began);
    const traced = outcome.failure?.plan ?? outcome.plan;
    if (args.trace !== undefined && traced !== null) {
      for (const line of await traceOf(traced, args.trace)) process.stdout.write(`${line}\n`);
    }
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stdout.write(summary(outcomes, args, Date.now() - began));
  if (failures > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `simulate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 2;
});
