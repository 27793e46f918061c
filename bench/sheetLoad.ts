/**
 * The sheet under load, against the Sheets-compatible test server with 2-5 s
 * of latency per request, in one run:
 * - tap-to-feedback latency with uploads in flight, next to the same clock
 *   with no sheet (the baseline);
 * - the event loop's delay p99 meanwhile;
 * - Sheets requests per minute in steady state with 1, 100 and 1,000 people
 *   clocked in, next to a naive design that writes each person's row every
 *   minute and uploads every tap at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PassThrough, Writable } from 'node:stream';
import { asyncScheduler, type Subscription } from 'rxjs';
import { sessionId } from '../streams/sessions';
import { clockApp } from '../src/app';
import { loadConfig, type Config } from '../src/config';
import { makeSheetsClient } from '../src/drivers/sheets/sheetsClient';
import { makeSheetsDriver } from '../src/drivers/sheets/sheetsDriver';
import { Store } from '../src/drivers/store/store';
import { makeLog } from '../src/log';
import { SheetsTestServer } from '../test/support/sheetsTestServer';
import { summarise, type Summary } from './stats';

const SHEET = 'benchSheet0000001';

export interface SheetLoadResult {
  readonly noSheet: Summary;
  readonly withSheet: Summary;
  readonly loopDelayNoSheet: number;
  readonly loopDelayWithSheet: number;
  readonly requestsPerMinute: readonly { people: number; badgeclock: number; naive: number }[];
}

function benchClient(
  server: SheetsTestServer,
  keyFile: string,
): ReturnType<typeof makeSheetsClient> {
  return makeSheetsClient({
    spreadsheetId: SHEET,
    keyFile,
    rootUrl: server.rootUrl,
    timeoutMs: 30_000,
    zone: 'UTC',
    device: 'bench',
    version: 'bench',
    warn: () => undefined,
  });
}

function config(dir: string, sheet: boolean): Config {
  const result = loadConfig({
    env: {},
    flags: { dataDir: join(dir, sheet ? 'with' : 'without'), tz: 'UTC' },
    cwd: dir,
  });
  if (!result.ok) throw new Error(result.errors.join('; '));
  return { ...result.config, guardSeconds: 0, debounceSeconds: 0 };
}

/** Runs the clock in this process and measures each tap from stdin to its feedback line. */
async function measureTaps(
  cfg: Config,
  server: SheetsTestServer | null,
  keyFile: string,
  taps: number,
): Promise<{ latency: Summary; loopP99: number }> {
  const store = Store.open(join(cfg.dataDir, 'badgeclock.db'));
  const stdin = new PassThrough();
  const sent = new Map<string, number>();
  const samples: number[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const match = /"card":"([0-9A-F]+)"/.exec(chunk.toString());
      const line = chunk.toString();
      if (match?.[1] !== undefined && line.includes('"clock-in"')) {
        const at = sent.get(match[1]);
        if (at !== undefined) samples.push(performance.now() - at);
      }
      done();
    },
  });
  const log = makeLog({ pretty: false, level: 'error', write: () => undefined });
  const sheet =
    server === null
      ? undefined
      : makeSheetsDriver(benchClient(server, keyFile), {
          scheduler: asyncScheduler,
          random: Math.random,
          warn: () => undefined,
        });
  const app$ = clockApp(
    { ...cfg, ...(server === null ? {} : { spreadsheetId: SHEET, keyFile }) },
    store,
    { stdin, stdout, log, scheduler: asyncScheduler, json: true, mono: () => performance.now() },
    sheet,
  );
  const loop = monitorEventLoopDelay({ resolution: 10 });
  // The benchmark's own subscribe: it measures the app as the CLI runs it.
  const subscription: Subscription = app$.subscribe({
    error: (e: unknown) => {
      throw e;
    },
  });
  await new Promise((r) => setTimeout(r, 500));
  loop.enable();
  for (let i = 0; i < taps; i++) {
    const card = `BE${String(i).padStart(6, '0')}`;
    sent.set(card, performance.now());
    stdin.write(`${card}\n`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  loop.disable();
  subscription.unsubscribe();
  store.close();
  return { latency: summarise(samples), loopP99: loop.percentile(99) / 1e6 };
}

/** Requests one live-update minute costs with `people` clocked in, counted on the server. */
async function liveRequests(
  server: SheetsTestServer,
  keyFile: string,
  people: number,
): Promise<number> {
  const client = benchClient(server, keyFile);
  await client.setUp();
  const now = Date.now();
  const open = Array.from({ length: people }, (_, i) => {
    const card = `CA${String(i).padStart(6, '0')}`;
    return {
      session: sessionId(card, now - 3_600_000),
      card,
      name: null,
      inAt: now - 3_600_000,
      openForMs: 3_600_000,
    };
  });
  const before = server.requests.length;
  await client.liveUpdate(open, now, {
    lastTapAt: now,
    lastSyncAt: now,
    outboxDepth: 0,
    readerFault: null,
    clockSynced: true,
  });
  return server.requests.length - before;
}

export async function sheetLoad(taps: number): Promise<SheetLoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-sheet-'));
  const server = await new SheetsTestServer().start();
  try {
    const account = server.serviceAccount(dir);
    server.createSpreadsheet(SHEET, [account.email]);
    const noSheet = await measureTaps(config(dir, false), null, account.file, taps);
    // 2-5 s per request from now on, as a slow mobile link or a struggling API would.
    server.latencyMs = 2_000;
    const jitter = setInterval(() => {
      server.latencyMs = 2_000 + Math.floor(Math.random() * 3_000);
    }, 100);
    const withSheet = await measureTaps(config(dir, true), server, account.file, taps);
    clearInterval(jitter);
    server.latencyMs = 0;
    const requestsPerMinute = [];
    for (const people of [1, 100, 1000]) {
      // badgeclock: one live update a minute (a read and a write), whatever the number of people.
      // naive: a row write per person per minute.
      requestsPerMinute.push({
        people,
        badgeclock: await liveRequests(server, account.file, people),
        naive: people,
      });
    }
    return {
      noSheet: noSheet.latency,
      withSheet: withSheet.latency,
      loopDelayNoSheet: noSheet.loopP99,
      loopDelayWithSheet: withSheet.loopP99,
      requestsPerMinute,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
