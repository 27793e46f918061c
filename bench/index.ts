/**
 * `npm run bench`: timing claims, each as a ratio against a baseline measured
 * in the same run on the same machine (these machines are shared and noisy).
 */
import { ms } from './stats';
import { storeLatency } from './storeLatency';

function main(): void {
  const taps = Number(process.env.BENCH_TAPS ?? '3000');
  process.stdout.write(`badgeclock bench — ${taps} taps, node ${process.version}\n\n`);

  const { store, journal } = storeLatency(taps);
  process.stdout.write('Tap to commit (read enters the core → step durable on disk)\n');
  process.stdout.write(
    `  badgeclock store (SQLite WAL, synchronous=FULL): p50 ${ms(store.p50)}  p99 ${ms(store.p99)}  max ${ms(store.max)}\n`,
  );
  process.stdout.write(
    `  baseline (appendFileSync + fsync journal):       p50 ${ms(journal.p50)}  p99 ${ms(journal.p99)}  max ${ms(journal.max)}\n`,
  );
  process.stdout.write(
    `  ratio store/baseline: p50 ${(store.p50 / journal.p50).toFixed(2)}x  p99 ${(store.p99 / journal.p99).toFixed(2)}x\n`,
  );
}

main();
