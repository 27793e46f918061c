/**
 * `npm run simulate -- --doors N`: seeds of the simulation with doors
 * (doorsWorld.ts), one after another, with a progress line for each and a
 * summary. A failing seed prints what differed and the command that replays it
 * (with `--trace REGEX`, the matching lines of its trace).
 */
import type { Args } from '../args';
import { runDoors, type DoorsResult } from './doorsWorld';

type Stats = DoorsResult['stats'];

/** Runs the seeds; the exit code (1 when any failed). */
export async function runDoorsSeeds(args: Args): Promise<number> {
  const began = Date.now();
  const totals: Partial<Record<keyof Stats, number>> = {};
  const failed: number[] = [];
  for (const seed of args.seeds) {
    const plan = { seed, days: args.days, doors: args.doors, people: args.maxPeople, hub: true };
    const result = await runDoors(plan, { trace: args.trace !== undefined });
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
    if (args.trace !== undefined && (args.seeds.length === 1 || !ok))
      for (const line of result.trace) if (args.trace.test(line)) process.stdout.write(`${line}\n`);
  }
  const n = (key: keyof Stats): string => (totals[key] ?? 0).toLocaleString('en');
  process.stdout.write(
    [
      '',
      `badgeclock simulation with doors: ${args.seeds.length} seeds x ${args.days} days, ${args.doors} doors and a hub, ${args.maxPeople} people, in ${Math.round((Date.now() - began) / 1000)} s`,
      `taps ${n('taps')} (${n('tapsLost')} at a door that was down), sessions ${n('sessions')} (${n('superseded')} superseded at the hub), Log rows ${n('logRows')}`,
      `faults injected: link cuts ${n('partitions')} (broker outages ${n('brokerOutages')}), kills ${n('kills')}, clean stops ${n('stops')}, Sheets trouble at the hub ${n('sheetFaultWindows')} windows (${n('sheetFailures')} failed requests), manager's corrections ${n('fixes')} (${n('fixesApplied')} applied), Log rows deleted ${n('rowsDeleted')}`,
      `broker: messages routed ${n('routed')}, delivered again ${n('redelivered')}, sent again ${n('resent')}`,
      `checks made: ${n('checks')} (every hour, the hub's Log rows; at the end, each door's sessions and the hub's against the merged tap log, the hub's sheet against its store, the manager's corrections)`,
      `failures: ${failed.length}${failed.length === 0 ? '' : ` (seeds ${failed.join(', ')})`}`,
      '',
    ].join('\n'),
  );
  return failed.length === 0 ? 0 : 1;
}
