/**
 * Replaying a tap log (`badgeclock replay`) of a site of 155 people, who tap
 * 100,000 times a year: one year (100,000 taps) and ten (1,000,000), through
 * the real replay in its slices, with virtual time ticking every minute
 * between the taps. Same people, so the reducer's per-tap work stays the same
 * and the figures show how the replay grows with the log alone. The baseline, measured
 * in the same run, is the same root reducer folding the same events (the
 * reads and every minute tick, in time order) in a plain loop: no RxJS, no
 * scheduler. The ratio is what the stream graph costs on top of the decisions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeRootReducer, type RootState } from '../streams/clock';
import type { CardRead, ClockEvent } from '../streams/events';
import type { Person } from '../streams/directory';
import { initialState } from '../streams/sessions';
import { initialSyncState, syncDisabled } from '../streams/sync';
import { replayPeople } from '../src/commands/lastPeople';
import { loadConfig, rulesOf, type Config } from '../src/config';
import { prepareReplay, replayUntil } from '../src/replay/replayApp';
import { parseTapLog } from '../src/replay/tapLog';

export const ZONE = 'Europe/Berlin';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
export const SITE_PEOPLE = 155;
const SITE_TAPS_A_YEAR = 100_000;
export const YEAR_START = Date.parse('2026-01-01T00:00:00+01:00');

export interface ReplayFigure {
  readonly taps: number;
  readonly people: number;
  readonly days: number;
  /** Reading the tap log's text into sorted reads. */
  readonly parseMs: number;
  /** The replay, from the sorted reads to the last event. */
  readonly replayMs: number;
  readonly events: number;
  /** The baseline: the root reducer folding the reads and minute ticks in a loop. */
  readonly foldMs: number;
}

/** The site's People directory: everyone named (the benches that build a store from a year). */
export function sitePeople(people = SITE_PEOPLE): Person[] {
  return Array.from({ length: people }, (_, i) => ({
    card: cardOf(i),
    name: `Person ${i}`,
    active: true,
    aliases: [],
  }));
}

/** A year of in/out pairs in time order: each person at most once a day, 4 to 9 hours, from 06:00 to 10:00. */
export function yearOfReads(taps: number, people: number, days = 365): CardRead[] {
  const sessions = Math.floor(taps / 2);
  const perDay = Math.ceil(sessions / days);
  const reads: CardRead[] = [];
  let seed = 0x9e3779b9;
  const random = (): number => {
    // xorshift32: the same log every run.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  for (let k = 0; k < sessions; k++) {
    const day = Math.floor(k / perDay);
    const card = cardOf(k % people);
    const inAt = YEAR_START + day * DAY + 6 * HOUR + Math.floor(random() * 4 * HOUR);
    const outAt = inAt + 4 * HOUR + Math.floor(random() * 5 * HOUR);
    reads.push(
      { type: 'cardRead', at: inAt, card, reader: 'import' },
      { type: 'cardRead', at: outAt, card, reader: 'import' },
    );
  }
  return reads.sort((a, b) => a.at - b.at);
}

/** The card of person `i`. */
export const cardOf = (i: number): string => `C${String(i).padStart(7, '0')}`;

function configIn(dir: string): Config {
  writeFileSync(join(dir, 'people.csv'), 'card,name\n');
  const result = loadConfig({
    env: {
      BADGECLOCK_TZ: ZONE,
      BADGECLOCK_READER_NAME: 'import',
      BADGECLOCK_PEOPLE_FILE: join(dir, 'people.csv'),
    },
    cwd: dir,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

/** The baseline: the same events the replay's `scan` sees, folded in a loop. */
function fold(reads: readonly CardRead[], config: Config, until: number): number {
  const reduce = makeRootReducer(rulesOf(config), syncDisabled);
  const first = reads[0]?.at ?? until;
  const origin = Math.floor(first / MINUTE) * MINUTE;
  let state: RootState = { clock: initialState, sync: initialSyncState };
  let outputs = 0;
  const step = (event: ClockEvent): void => {
    const next = reduce(state, event);
    state = next.state;
    outputs += next.out.length;
  };
  step({ type: 'clockStarted', at: origin });
  step({ type: 'directoryLoaded', at: origin, people: [] });
  let i = 0;
  for (let tick = origin + MINUTE; tick <= until; tick += MINUTE) {
    for (let read = reads[i]; read !== undefined && read.at <= tick; read = reads[++i]) step(read);
    step({ type: 'minuteElapsed', at: tick });
  }
  for (let read = reads[i]; read !== undefined; read = reads[++i]) step(read);
  return outputs;
}

async function measure(taps: number, dir: string): Promise<ReplayFigure> {
  const config = configIn(dir);
  const people = SITE_PEOPLE;
  const days = Math.round((365 * taps) / SITE_TAPS_A_YEAR);
  const text = [
    'timestamp,card',
    ...yearOfReads(taps, people, days).map((r) => `${new Date(r.at).toISOString()},${r.card}`),
  ].join('\n');
  const parseStart = performance.now();
  const log = parseTapLog(text, 'year.csv', ZONE, 'import');
  const parseMs = performance.now() - parseStart;
  if (log.problems.length > 0) throw new Error(log.problems.slice(0, 3).join('\n'));
  const until = replayUntil(log.reads, config, Date.now());

  const replayStart = performance.now();
  const replay = prepareReplay(
    { reads: log.reads, until, people: replayPeople(config, () => undefined) },
    config,
    () => undefined,
  );
  let events = 0;
  // The benchmark's own subscribe: it measures the replay, not the app.
  const subscription = replay.events$.subscribe({
    next: () => {
      events += 1;
    },
    error: (error: unknown) => {
      throw error;
    },
  });
  await replay.run();
  subscription.unsubscribe();
  const replayMs = performance.now() - replayStart;

  const foldStart = performance.now();
  fold(log.reads, config, until);
  const foldMs = performance.now() - foldStart;
  return { taps: log.reads.length, people, days, parseMs, replayMs, events, foldMs };
}

/** Replays 100,000 and 1,000,000 taps (`BENCH_REPLAY_TAPS`, comma-separated, changes it). */
export async function replayBench(): Promise<ReplayFigure[]> {
  const sizes = (process.env.BENCH_REPLAY_TAPS ?? '100000,1000000').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-replay-'));
  try {
    const figures: ReplayFigure[] = [];
    for (const taps of sizes) figures.push(await measure(taps, dir));
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as lines for `npm run bench`. */
export function replayReport(figures: readonly ReplayFigure[]): string[] {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  return [
    'Replay a tap log of 155 people (virtual time, a tick every minute) vs the reducer folding the same events in a loop',
    ...figures.map(
      (f) =>
        `  ${f.taps.toLocaleString('en-US').padStart(9)} taps over ${String(Math.round(f.days / 365)).padStart(2)} year(s): ` +
        `replay ${s(f.replayMs)} (${f.events.toLocaleString('en-US')} events), fold ${s(f.foldMs)}, ` +
        `ratio ${(f.replayMs / f.foldMs).toFixed(2)}x; reading the log ${s(f.parseMs)}`,
    ),
  ];
}
