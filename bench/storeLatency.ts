/**
 * Tap-to-commit latency: a read entering the core until its step is durable
 * in SQLite (WAL, synchronous=FULL), against a plain journal baseline
 * (`appendFileSync` + `fsyncSync` per tap) on the same disk in the same run.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { asyncScheduler, NEVER, Subject } from 'rxjs';
import { clockSteps } from '../streams/clock';
import { commits } from '../streams/commit';
import type { CardRead } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { Store } from '../src/drivers/store/store';
import { makeStoreDriver } from '../src/drivers/store/storeDriver';
import { summarise, type Summary } from './stats';

const cardOf = (i: number): string => `BE${String(i % 500).padStart(6, '0')}`;

export function storeLatency(taps: number): { store: Summary; journal: Summary } {
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-'));
  try {
    return { store: measureStore(dir, taps), journal: measureJournal(dir, taps) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measureStore(dir: string, taps: number): Summary {
  const store = Store.open(join(dir, 'bench.db'));
  const reads$ = new Subject<CardRead>();
  const rules = { ...defaultRules('UTC'), debounceMs: 0, guardMs: 0 };
  const steps$ = clockSteps({ reads$, directory$: NEVER }, rules, asyncScheduler);
  const committed$ = makeStoreDriver(store, Date.now).commit(steps$.pipe(commits()));
  const samples: number[] = [];
  let startedAt = 0;
  // The benchmark's own subscribe: it measures the driver, not the app.
  const subscription = committed$.subscribe({
    next: () => {
      samples.push(performance.now() - startedAt);
    },
    error: (error: unknown) => {
      throw error;
    },
  });
  for (let i = 0; i < taps; i++) {
    startedAt = performance.now();
    reads$.next({ type: 'cardRead', at: Date.now() + i, card: cardOf(i), reader: 'bench' });
  }
  subscription.unsubscribe();
  store.close();
  // The first commit of the run also includes the clockStarted step; all are measured.
  return summarise(samples.slice(-taps));
}

function measureJournal(dir: string, taps: number): Summary {
  const fd = openSync(join(dir, 'journal.log'), 'a');
  const samples: number[] = [];
  for (let i = 0; i < taps; i++) {
    const startedAt = performance.now();
    writeSync(fd, `${JSON.stringify({ at: Date.now(), card: cardOf(i), reader: 'bench' })}\n`);
    fsyncSync(fd);
    samples.push(performance.now() - startedAt);
  }
  closeSync(fd);
  return summarise(samples);
}
