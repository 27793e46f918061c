/**
 * The Totals tab's cost per minute, 300 people, two monthly periods (about
 * 13,000 sessions), 30 of them in: the provider's quiet minute (the closed
 * tally remembered, open sessions added), its minute after a commit (all
 * sessions tallied again), and the writer's plan; with the bytes of the
 * whole write and of a minute's changed rows. The baseline, measured in the
 * same run, is JSON.stringify of the whole table's write (what the Google
 * client does to every request body). Best of five runs each.
 *
 * Run: `npm run build && node dist/bench/totals.js`.
 */
import { performance } from 'node:perf_hooks';
import { makeTotalsSource, type TotalsStore } from '../src/drivers/sheets/totalsSource';
import { makeTotalsWriter } from '../src/drivers/sheets/totalsTab';
import type { TotalsSession } from '../streams/totals';

const ZONE = 'Europe/Berlin';
const PEOPLE = 300;
const OPEN = 30;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-04-24T10:00:00+02:00');
const RUNS = 5;

function sessions(): TotalsSession[] {
  const out: TotalsSession[] = [];
  const first = Date.parse('2026-02-26T08:00:00+01:00');
  for (let p = 0; p < PEOPLE; p += 1) {
    const card = `C${String(p).padStart(6, '0')}`;
    const name = `Person ${String(p).padStart(3, '0')}`;
    for (let inAt = first + (p % 60) * 60_000; inAt < NOW - DAY; inAt += DAY)
      if (new Date(inAt).getUTCDay() % 6 !== 0)
        out.push({ card, name, inAt, outAt: inAt + 8 * HOUR + (p % 7) * 60_000 });
    if (p % (PEOPLE / OPEN) === 0) out.push({ card, name, inAt: NOW - 2 * HOUR, outAt: null });
  }
  return out;
}

const best = (work: () => void): number => {
  let least = Infinity;
  for (let i = 0; i < RUNS; i += 1) {
    const began = performance.now();
    work();
    least = Math.min(least, performance.now() - began);
  }
  return least;
};

function main(): void {
  const all = sessions();
  let changes = 0;
  const store: TotalsStore = {
    sessionsBetween: (from, to) => all.filter((s) => s.inAt < to && (s.outAt ?? Infinity) > from),
    changes: () => changes,
  };
  const totalsOf = makeTotalsSource(store, { kind: 'monthly', startDay: 26 }, ZONE);
  totalsOf(NOW);
  const quietMs = best(() => totalsOf(NOW + 60_000));
  const changedMs = best(() => {
    changes += 1;
    totalsOf(NOW + 60_000);
  });
  const writer = makeTotalsWriter(ZONE);
  const table = totalsOf(NOW);
  const whole = writer.plan(table, NOW);
  writer.landed(true);
  const wholeBytes = JSON.stringify(whole).length;
  const next = totalsOf(NOW + 60_000);
  const minute = writer.plan(next, NOW + 60_000);
  const minuteBytes = JSON.stringify(minute).length;
  const planMs = best(() => {
    writer.plan(totalsOf(NOW + 120_000), NOW + 120_000);
  });
  const baselineMs = best(() => JSON.stringify(whole));
  const line = (label: string, ms: number): string =>
    `  ${label.padEnd(48)} ${ms.toFixed(2).padStart(7)} ms  (${(ms / baselineMs).toFixed(1)}x baseline)\n`;
  process.stdout.write(
    `Totals tab: ${PEOPLE} people, ${all.length} sessions, ${OPEN} in, two monthly periods\n` +
      line('baseline: JSON.stringify of the whole write', baselineMs) +
      line('a minute, store unchanged (open sessions added)', quietMs) +
      line('a minute after a commit (all tallied again)', changedMs) +
      line("the writer's plan (cells, diff) + a minute", planMs) +
      `  whole write: ${whole.length} range(s), ${(wholeBytes / 1024).toFixed(0)} KiB; ` +
      `a minute with ${OPEN} in: ${minute.length} range(s), ${(minuteBytes / 1024).toFixed(1)} KiB\n`,
  );
}

main();
