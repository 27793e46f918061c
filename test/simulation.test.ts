/**
 * The seeded simulation of the whole clock (test/sim/, issue 10): the real
 * wiring, reducer, SQLite store, sheet driver and client, against the
 * spreadsheet model, in virtual time, with faults, restarts, clock steps and
 * people editing the sheet. A fixed set of seeds runs here; `npm run
 * simulate` runs any number of them. A failing seed is shrunk (for a bounded
 * time) and printed with its plan and the command that replays it.
 */
import { describePlan, describeViolation, simulateSeed } from './sim/simulate';
import type { Plan } from './sim/plan';
import { DAY, HOUR, MINUTE } from './sim/plan';
import { runPlan } from './sim/world';

/** Seeds x days in `npm test`, chosen by measuring: see test/sim/README in the report. */
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const DAYS = 3;
const MAX_PEOPLE = 40;
const EVENTS_PER_DAY = 3;
/**
 * Seeds with faults packed close (ten plan events a day, 20 people, 20 days) that failed before
 * stop 25 and pass since: the judge of an edit after a step back (61023), a session corrected
 * while open and closed in one batch (61039), a name given in the batch that inserts the row
 * (61015). Each replays with `npm run simulate -- --seed N --days 20 --people 20 --events 10`.
 */
const DENSE_SEEDS = [61023, 61039, 61015];
/**
 * Shrinking runs for the first failing seed (the rest are reported unshrunk, with their replay).
 * Counted, not timed, so a failure prints the same repro on every machine.
 */
const SHRINK_RUNS = 4;

jest.setTimeout(120_000);

/** A plan with one of most kinds of trouble, for the determinism check. */
const busyPlan: Plan = {
  seed: 20_260_329,
  days: 2,
  people: 12,
  dst: 'spring',
  dstAt: 0.5,
  habits: {
    held: 0.3,
    doubleTap: 0.1,
    forget: 0.1,
    night: 0.3,
    readerB: 0.3,
    aliasListed: 0.5,
    visitors: 2,
  },
  background: { serverError: 0.01, rateLimit: 0.01, reset: 0.01, slow: 0.005 },
  events: [
    { kind: 'outage', pos: 0.1, ms: 3 * HOUR },
    { kind: 'kill', pos: 0.2, skew: 7, downMs: 30_000 },
    { kind: 'log', pos: 0.3, edit: 'sort', a: 0.5, b: 0.2 },
    { kind: 'people', pos: 0.35, edit: 'addAlias', who: 0.4 },
    { kind: 'slow', pos: 0.4, ms: 20 * MINUTE, p: 0.5, lands: true },
    {
      kind: 'powerCut',
      pos: 0.5,
      downMs: 5 * HOUR,
      savedAgoMs: 20 * MINUTE,
      ntpAfterMs: 10 * MINUTE,
    },
    { kind: 'log', pos: 0.6, edit: 'deleteClosed', a: 0.3, b: 0.1 },
    { kind: 'clockStep', pos: 0.7, deltaMs: -HOUR },
    { kind: 'people', pos: 0.75, edit: 'rename', who: 0.1 },
    { kind: 'unshare', pos: 0.8, ms: 30 * MINUTE },
    // Its warning names the cache file, in the run's own (randomly named) directory.
    { kind: 'corruptCache', pos: 0.85 },
  ],
};

describe('the simulation of the whole clock', () => {
  it('gives the same run, event for event, for the same plan', async () => {
    const a = await runPlan(busyPlan, { keepTrace: true, stopOnViolation: false });
    const b = await runPlan(busyPlan, { keepTrace: true, stopOnViolation: false });
    expect(a.trace?.length).toBeGreaterThan(5_000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.trace).toEqual(a.trace);
    expect(b.stats.faults).toEqual(a.stats.faults);
    // The plan's trouble really happened.
    expect(Object.keys(a.stats.faults)).toEqual(
      expect.arrayContaining([
        'outage',
        'kill',
        'power cut',
        'NTP step',
        'clock step',
        'unshare',
        'People cache damaged',
      ]),
    );
    expect(a.stats.simulatedDays * DAY).toBe(2 * DAY);
  });

  it('takes a tap the sheet refuses for a fault: the sheet is checked once it is set aside', async () => {
    // Long run, seed 6 (day 42): a tap of the refused card 3 minutes before a sheet check. Its
    // entries are set aside once the sheet took others of their kind, kept till then (by design:
    // batchRefusal.ts); the check took them for an outbox that does not drain.
    const plan: Plan = {
      ...busyPlan,
      days: 1,
      background: { serverError: 0, rateLimit: 0, reset: 0, slow: 0 },
      events: [{ kind: 'poisonTap', pos: (6 * HOUR - 3 * MINUTE) / DAY }],
    };
    const result = await runPlan(plan, { stopOnViolation: false });
    expect(result.stats.faults['poison card tapped']).toBe(1);
    expect(result.violations.map(describeViolation)).toEqual([]);
  });

  it('takes a full workbook: new rows refused for hours, none set aside, and the sheet converges once space is freed', async () => {
    // A workbook at its cell limit refuses every new row (a 400) and takes the closes: the
    // clock-ins of those hours are the sheet's fault, not theirs, and must not be set aside.
    const plan: Plan = {
      ...busyPlan,
      days: 1,
      background: { serverError: 0, rateLimit: 0, reset: 0, slow: 0 },
      events: [{ kind: 'workbookFull', pos: (6 * HOUR) / DAY, ms: 6 * HOUR }],
    };
    const result = await runPlan(plan, { keepTrace: true, stopOnViolation: false });
    expect(result.stats.faults['workbook full']).toBe(1);
    expect(result.violations.map(describeViolation)).toEqual([]);
    // The fault really met clock-ins: some were kept back while it lasted.
    expect(result.trace?.some((line) => line.includes('kept back'))).toBe(true);
  });

  let shrinkRuns = SHRINK_RUNS;
  it.each(SEEDS)(
    `seed %i (${DAYS} days, up to ${MAX_PEOPLE} people) keeps every invariant`,
    async (seed) => {
      const outcome = await simulateSeed(seed, {
        days: DAYS,
        maxPeople: MAX_PEOPLE,
        eventsPerDay: EVENTS_PER_DAY,
        shrinkMs: Infinity,
        shrinkRuns,
      });
      const failure = outcome.failure;
      if (failure === null) {
        expect(outcome.stats.taps).toBeGreaterThan(0);
        return;
      }
      shrinkRuns = 0;
      throw new Error(
        [
          `seed ${seed} failed (shrunk in ${failure.shrinks} runs):`,
          ...failure.violations.slice(0, 3).map(describeViolation),
          ...describePlan(failure.plan),
          `replay: npm run simulate -- --seed ${seed} --days ${DAYS} --people ${MAX_PEOPLE} --events ${EVENTS_PER_DAY} --path ${failure.path}`,
        ].join('\n'),
      );
    },
  );

  it.each(DENSE_SEEDS)(
    'seed %i (20 days, up to 20 people, faults packed close) keeps every invariant',
    async (seed) => {
      const outcome = await simulateSeed(seed, {
        days: 20,
        maxPeople: 20,
        eventsPerDay: 10,
        shrinkMs: Infinity,
        shrinkRuns: 0,
      });
      const failure = outcome.failure;
      expect(
        failure === null
          ? []
          : [
              ...failure.violations.slice(0, 3).map(describeViolation),
              `replay: npm run simulate -- --seed ${seed} --days 20 --people 20 --events 10`,
            ],
      ).toEqual([]);
    },
  );
});
