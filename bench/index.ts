/**
 * `npm run bench`: timing claims, each as a ratio against a baseline measured
 * in the same run on the same machine (these machines are shared and noisy).
 */
import { chainCostBench, chainCostReport } from './chainCost';
import { doorsBench, doorsOptions, doorsReport } from './doors';
import { ms } from './stats';
import { idleBench, idleReport } from './idle';
import { mfrc522Bench, mfrc522Report } from './mfrc522';
import { replayBench, replayReport } from './replay';
import { reportBench, reportReport } from './report';
import { sheetBytes, sheetBytesReport } from './sheetBytes';
import { sheetLoad } from './sheetLoad';
import { storeGrowthBench, storeGrowthReport } from './storeGrowth';
import { storeLatency } from './storeLatency';

async function main(): Promise<void> {
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

  const sheetTaps = Number(process.env.BENCH_SHEET_TAPS ?? '300');
  const sheet = await sheetLoad(sheetTaps);
  process.stdout.write(
    `\nTap to feedback (${sheetTaps} taps, 20 ms apart), sheet at 2-5 s per request vs no sheet\n`,
  );
  process.stdout.write(
    `  no sheet (baseline):       p50 ${ms(sheet.noSheet.p50)}  p99 ${ms(sheet.noSheet.p99)}\n`,
  );
  process.stdout.write(
    `  with the sheet uploading:  p50 ${ms(sheet.withSheet.p50)}  p99 ${ms(sheet.withSheet.p99)}\n`,
  );
  process.stdout.write(
    `  p99 difference: ${(sheet.withSheet.p99 - sheet.noSheet.p99).toFixed(3)} ms\n`,
  );
  process.stdout.write(
    `  event-loop delay p99: ${sheet.loopDelayNoSheet.toFixed(2)} ms without the sheet, ${sheet.loopDelayWithSheet.toFixed(2)} ms with it\n`,
  );
  process.stdout.write('\nSheets requests per minute in steady state (the live update)\n');
  for (const row of sheet.requestsPerMinute) {
    process.stdout.write(
      `  ${String(row.people).padStart(5)} people clocked in: badgeclock ${row.badgeclock}, naive per-person baseline ${row.naive} (+1 per tap)\n`,
    );
  }

  process.stdout.write('\n');
  for (const line of sheetBytesReport(await sheetBytes())) process.stdout.write(`${line}\n`);

  process.stdout.write('\n');
  for (const line of mfrc522Report(await mfrc522Bench())) process.stdout.write(`${line}\n`);

  process.stdout.write('\n');
  for (const line of idleReport(await idleBench())) process.stdout.write(`${line}\n`);

  process.stdout.write('\n');
  for (const line of replayReport(await replayBench())) process.stdout.write(`${line}\n`);

  process.stdout.write('\n');
  for (const line of reportReport(await reportBench())) process.stdout.write(`${line}\n`);

  process.stdout.write('\n');
  for (const line of storeGrowthReport(await storeGrowthBench())) process.stdout.write(`${line}\n`);

  process.stdout.write('\n');
  const backfillTaps = Number(process.env.BENCH_BACKFILL_TAPS ?? '200000');
  for (const line of chainCostReport(chainCostBench(backfillTaps)))
    process.stdout.write(`${line}\n`);

  // Many doors (issue 14): real processes and a real broker, some four minutes; BENCH_DOORS=0 skips it.
  const doors = doorsOptions();
  if (doors.doors > 0) {
    process.stdout.write('\n');
    for (const line of doorsReport(await doorsBench(doors))) process.stdout.write(`${line}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exitCode = 1;
});
