/**
 * `npm run simulate -- --doors N`: seeds of the simulation with doors
 * (doorsWorld.ts), with a line for each as it finishes and a summary. With
 * `--jobs J` the seeds run in J worker processes (dealt round-robin). A
 * failing seed prints what differed and the command that replays it (with
 * `--trace REGEX`, the matching lines of its trace).
 */
import { fork } from 'node:child_process';
import type { Args } from '../args';
import { runDoors, type DoorsResult } from './doorsWorld';

type Stats = DoorsResult['stats'];

/** One finished seed, as a worker tells its parent. */
interface SeedDone {
  readonly seed: number;
  readonly result: Pick<DoorsResult, 'violations' | 'stats' | 'traceHash' | 'trace'>;
}

async function runSeed(seed: number, args: Args): Promise<SeedDone> {
  const plan = { seed, days: args.days, doors: args.doors, people: args.maxPeople, hub: true };
  return { seed, result: await runDoors(plan, { trace: args.trace !== undefined }) };
}

/** A worker (`--worker`): runs the seeds it is given, each outcome to the parent. */
export async function doorsWorker(args: Args): Promise<void> {
  for (const seed of args.seeds) {
    const done = await runSeed(seed, args);
    await new Promise<void>((resolve) => {
      process.send?.({ ...done, result: { ...done.result, trace: [] } }, () => {
        resolve();
      });
    });
  }
}

/** The seeds in `jobs` worker processes; each outcome as it comes. */
async function inWorkers(args: Args, onDone: (done: SeedDone) => void): Promise<void> {
  await Promise.all(
    Array.from({ length: args.jobs }, (_, job) => {
      const seeds = args.seeds.filter((_, i) => i % args.jobs === job);
      if (seeds.length === 0) return Promise.resolve();
      const child = fork(process.argv[1] ?? '', [
        ...['--doors', String(args.doors), '--days', String(args.days)],
        ...['--people', String(args.maxPeople), '--worker', '--seed-list', seeds.join(',')],
      ]);
      child.on('message', (done: SeedDone) => {
        onDone(done);
      });
      return new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => {
          if (code === 0) resolve();
          else reject(new Error(`a worker exited with ${String(code)}`));
        });
      });
    }),
  );
}

/** Runs the seeds; the exit code (1 when any failed). */
export async function runDoorsSeeds(args: Args): Promise<number> {
  const began = Date.now();
  const totals: Partial<Record<keyof Stats, number>> = {};
  const failed: number[] = [];
  const onDone = ({ seed, result }: SeedDone): void => {
    for (const [key, n] of Object.entries(result.stats) as [keyof Stats, number][])
      totals[key] = (totals[key] ?? 0) + n;
    const ok = result.violations.length === 0;
    process.stderr.write(
      `seed ${seed}: ${ok ? 'passed' : 'FAILED'} (${result.stats.taps} taps, ${result.stats.partitions} cuts, ${result.stats.kills} kills; trace ${result.traceHash})\n`,
    );
    if (!ok) {
      failed.push(seed);
      process.stdout.write(
        [
          '',
          `SEED ${seed} FAILED (doors)`,
          ...result.violations.map((v) => `  ${v}`),
          `  replay: npm run simulate -- --doors ${args.doors} --seed ${seed} --days ${args.days} --people ${args.maxPeople}`,
          '',
        ].join('\n'),
      );
    }
    if (args.trace !== undefined)
      for (const line of result.trace) if (args.trace.test(line)) process.stdout.write(`${line}\n`);
  };
  if (args.jobs > 1 && args.seeds.length > 1) await inWorkers(args, onDone);
  else for (const seed of args.seeds) onDone(await runSeed(seed, args));
  const n = (key: keyof Stats): string => (totals[key] ?? 0).toLocaleString('en');
  process.stdout.write(
    [
      '',
      `badgeclock simulation with doors: ${args.seeds.length} seeds x ${args.days} days, ${args.doors} doors and a hub, ${args.maxPeople} people, in ${Math.round((Date.now() - began) / 1000)} s`,
      `taps ${n('taps')} (${n('tapsLost')} at a door that was down), sessions ${n('sessions')} (${n('superseded')} superseded at the hub, ${n('madeAgain')} of them made again), Log rows ${n('logRows')}`,
      `faults injected: link cuts ${n('partitions')} (broker outages ${n('brokerOutages')}), kills ${n('kills')}, clean stops ${n('stops')}, Sheets trouble at the hub ${n('sheetFaultWindows')} windows (${n('sheetFailures')} failed requests), manager's corrections ${n('fixes')} (${n('fixesApplied')} applied), Log rows deleted ${n('rowsDeleted')}`,
      `broker: messages routed ${n('routed')}, delivered again ${n('redelivered')}, sent again ${n('resent')}`,
      `checks made: ${n('checks')} (every hour, the hub's Log rows; at the end, each door's sessions and the hub's against the merged tap log with the manager's closes, each door's corrections against the hub's, the hub's sheet against its store, the manager's corrections)`,
      `failures: ${failed.length}${failed.length === 0 ? '' : ` (seeds ${failed.sort((a, b) => a - b).join(', ')})`}`,
      '',
    ].join('\n'),
  );
  return failed.length === 0 ? 0 : 1;
}
