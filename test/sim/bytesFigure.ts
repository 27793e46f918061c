/**
 * The figure behind invariant 4: what an idle minute costs the clock in
 * bytes read from the Sheets API, with `Log` already this long. The world
 * runs the real clock for a few quiet hours against the spreadsheet model,
 * `Log` pre-filled with rows an earlier clock wrote, and averages the
 * minutes in which nothing changed (no tap, no edit, no fault).
 */
import type { Plan } from './plan';
import { runPlan } from './world';

export interface QuietCost {
  readonly logRows: number;
  readonly quietMinutes: number;
  readonly bytesPerMinute: number;
  readonly requestsPerMinute: number;
  /** Real seconds the measurement took (set-up included: tagging the old rows). */
  readonly seconds: number;
}

const quietPlan: Plan = {
  seed: 1,
  days: 1,
  people: 20,
  dst: 'spring',
  dstAt: 0,
  habits: { held: 0, doubleTap: 0, forget: 0, night: 0, readerB: 0, aliasListed: 0, visitors: 0 },
  background: { serverError: 0, rateLimit: 0, reset: 0, slow: 0 },
  events: [],
};

/** Bytes read per quiet minute with `logRows` rows in Log (the bench calls it with 1,000 and 50,000). */
export async function quietMinuteCost(logRows: number, hours = 2): Promise<QuietCost> {
  const began = Date.now();
  const result = await runPlan(quietPlan, {
    prefillLogRows: logRows,
    hours,
    stopOnViolation: false,
  });
  const { quietMinutes, quietBytes, quietRequests } = result.stats;
  return {
    logRows,
    quietMinutes,
    bytesPerMinute: quietMinutes === 0 ? NaN : Math.round(quietBytes / quietMinutes),
    requestsPerMinute: quietMinutes === 0 ? NaN : quietRequests / quietMinutes,
    seconds: (Date.now() - began) / 1000,
  };
}
