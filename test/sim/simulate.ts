/**
 * A seed of the simulation, as a fast-check property: the seed generates one
 * plan (planArbitrary), the world runs it (runPlan) and any violation fails
 * the property. fast-check then shrinks the plan, within a time bound, to the
 * fewest events that still fail, and its seed and path replay exactly that.
 */
import fc from 'fast-check';
import { DAY, HOUR, MINUTE, planArbitrary, type Plan, type PlanEvent, type PlanSize } from './plan';
import { cutoffOf, startOfRun, ZONE } from './runStart';
import { runPlan, type RunStats, type Violation } from './world';

export interface SimulateOptions extends PlanSize {
  /** Real time shrinking may take, after the failing run (0: no shrinking). */
  readonly shrinkMs: number;
  /** Most runs shrinking may make (a bound that does not depend on the machine: the same repro every time). */
  readonly shrinkRuns?: number;
  /** A fast-check path: replay that counterexample of the seed. */
  readonly path?: string;
  readonly onDay?: (day: number) => void;
  readonly baseDir?: string;
}

export interface SeedOutcome {
  readonly seed: number;
  /** The seed's own (unshrunk) plan and run. */
  readonly plan: Plan | null;
  readonly stats: RunStats;
  /** The fingerprint of the seed's own run (null if it never ran): equal on two commits, the same run. */
  readonly traceHash: string | null;
  readonly failure: {
    readonly violations: readonly Violation[];
    /** The smallest plan found that still fails, and how to replay it. */
    readonly plan: Plan;
    readonly path: string;
    readonly shrinks: number;
    readonly shrinkMs: number;
  } | null;
}

/** The plan a seed (and a path into its shrinking) stands for, without running it. */
export function planAt(seed: number, size: PlanSize, path?: string): Plan {
  const found: Plan[] = [];
  fc.check(
    fc.property(planArbitrary(size), (plan) => {
      found.push(plan);
      return false;
    }),
    { seed, numRuns: 1, endOnFailure: true, ...(path === undefined ? {} : { path }) },
  );
  const plan = found.at(-1);
  if (plan === undefined)
    throw new Error(`no plan at seed ${seed}${path === undefined ? '' : ` path ${path}`}`);
  return plan;
}

/** Runs one seed (and, if it fails, shrinks it). With a path, runs exactly that plan first. */
export async function simulateSeed(seed: number, options: SimulateOptions): Promise<SeedOutcome> {
  if (options.path !== undefined) {
    // fast-check resumes shrinking at a path, running every candidate after it: replay it alone first.
    const plan = planAt(seed, options, options.path);
    const result = await runPlan(plan, {
      ...(options.onDay === undefined ? {} : { onDay: options.onDay }),
      ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
    });
    const shrink = options.shrinkMs > 0 && options.shrinkRuns !== 0;
    if (result.violations.length === 0 || !shrink) {
      return {
        seed,
        plan,
        stats: result.stats,
        traceHash: result.traceHash,
        failure:
          result.violations.length === 0
            ? null
            : { violations: result.violations, plan, path: options.path, shrinks: 0, shrinkMs: 0 },
      };
    }
  }
  const seen: {
    plan: Plan | null;
    first: RunStats | null;
    hash: string | null;
    failing: { violations: readonly Violation[]; plan: Plan } | null;
    failedAt: number | null;
    shrinks: number;
  } = { plan: null, first: null, hash: null, failing: null, failedAt: null, shrinks: 0 };
  const property = fc.asyncProperty(planArbitrary(options), async (plan) => {
    // Shrinking is bounded: once its time is up, every further candidate passes at once.
    if (
      seen.failedAt !== null &&
      (Date.now() - seen.failedAt > options.shrinkMs ||
        seen.shrinks >= (options.shrinkRuns ?? Infinity))
    )
      return true;
    const result = await runPlan(plan, {
      ...(seen.first === null && options.onDay !== undefined ? { onDay: options.onDay } : {}),
      ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
    });
    seen.plan ??= plan;
    seen.first ??= result.stats;
    seen.hash ??= result.traceHash;
    if (seen.failedAt !== null) seen.shrinks += 1;
    if (result.violations.length === 0) return true;
    seen.failing = { violations: result.violations, plan };
    seen.failedAt ??= Date.now();
    throw new Error(result.violations.map(describeViolation).join('\n'));
  });
  const details = await fc.check(property, {
    seed,
    numRuns: 1,
    endOnFailure: options.shrinkMs === 0 || options.shrinkRuns === 0,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  const stats = seen.first ?? emptyStats(options.days);
  const found = seen.failing;
  if (!details.failed || found === null)
    return { seed, plan: seen.plan, stats, traceHash: seen.hash, failure: null };
  return {
    seed,
    plan: seen.plan,
    stats,
    traceHash: seen.hash,
    failure: {
      violations: found.violations,
      plan: found.plan,
      path: details.counterexamplePath ?? options.path ?? '0',
      shrinks: seen.shrinks,
      shrinkMs: seen.failedAt === null ? 0 : Date.now() - seen.failedAt,
    },
  };
}

function emptyStats(days: number): RunStats {
  return {
    simulatedDays: days,
    realMs: 0,
    cpuMs: 0,
    reads: 0,
    readsLost: 0,
    taps: 0,
    sessions: 0,
    requests: 0,
    lives: 0,
    faults: {},
    checks: {},
    quietBytesMax: 0,
    quietBytesLogRows: 0,
    quietMinutes: 0,
    quietRequests: 0,
    quietBytes: 0,
  };
}

/** Runs a plan again with its trace kept, and returns the lines that match (diagnosis). */
export async function traceOf(plan: Plan, pattern: RegExp): Promise<string[]> {
  const result = await runPlan(plan, { keepTrace: true });
  return (result.trace ?? []).filter((line) => pattern.test(line));
}

export function describeViolation(v: Violation): string {
  return `invariant ${v.invariant}, at ${v.at}: ${v.message}`;
}

const duration = (ms: number): string => {
  if (ms < MINUTE) return `${Math.round(ms / 1000)} s`;
  if (ms < HOUR) return `${Math.round(ms / MINUTE)} min`;
  if (ms < DAY) return `${(ms / HOUR).toFixed(1)} h`;
  return `${(ms / DAY).toFixed(1)} d`;
};

/** One plan event as a line a person can read: when (day and local time), and what. */
export function describeEvent(event: PlanEvent, plan: Plan): string {
  const origin = startOfRun(plan);
  const at = origin + Math.floor(event.pos * plan.days * DAY);
  const day = Math.floor((at - origin) / DAY);
  const local = new Date(at).toLocaleString('sv-SE', { timeZone: ZONE }).slice(0, 16);
  const what = ((): string => {
    switch (event.kind) {
      case 'outage':
        return `network down for ${duration(event.ms)}`;
      case 'rateLimit':
        return `429s (p ${event.p.toFixed(2)}, Retry-After ${event.retryAfterS ?? 'none'}) for ${duration(event.ms)}`;
      case 'serverErrors':
        return `${event.status}s (p ${event.p.toFixed(2)}) for ${duration(event.ms)}`;
      case 'resets':
        return `connection resets (p ${event.p.toFixed(2)}) for ${duration(event.ms)}`;
      case 'slow':
        return `answers after the timeout (p ${event.p.toFixed(2)}, ${event.lands ? 'writes land late' : 'writes lost'}) for ${duration(event.ms)}`;
      case 'unauthorized':
        return 'a 401 (token refresh)';
      case 'unshare':
        return `sheet unshared for ${duration(event.ms)}`;
      case 'poisonTap':
        return 'a tap of the card the sheet refuses (400)';
      case 'workbookFull':
        return `workbook full (new rows refused) for ${duration(event.ms)}`;
      case 'kill':
        return `kill -9 after ${event.skew} more actions, restart after ${duration(event.downMs)}`;
      case 'powerCut':
        return `power cut for ${duration(event.downMs)}, boots ${duration(event.savedAgoMs)} before the cut, NTP after ${duration(event.ntpAfterMs)}`;
      case 'clockStep':
        return `wall clock stepped ${event.deltaMs > 0 ? '+' : ''}${duration(Math.abs(event.deltaMs))}${event.deltaMs < 0 ? ' back' : ''}`;
      case 'people':
        return `People: ${event.edit} (person ${Math.floor(event.who * plan.people) + 1})`;
      case 'log':
        return `Log: ${event.edit} (${event.a.toFixed(3)}, ${event.b.toFixed(3)})`;
      case 'leaveCard':
        return `person ${Math.floor(event.who * plan.people) + 1} leaves the card on the reader for ${event.minutes} min${event.kill ? ', kill -9 meanwhile' : ''}`;
      case 'corruptCache':
        return 'the People cache damaged, then kill -9';
    }
  })();
  return `day ${day + 1} ${local} ${what}`;
}

/** A failing plan, shrunk, as lines: its parameters, then its events in time order. */
export function describePlan(plan: Plan): string[] {
  const h = plan.habits;
  const b = plan.background;
  const lines = [
    `world seed ${plan.seed}, ${plan.days} days from ${new Date(startOfRun(plan)).toISOString().slice(0, 10)} (${plan.dst} DST night), ${plan.people} people, ${cutoffOf(plan) === null ? 'no daily cut-off' : `daily cut-off ${String(cutoffOf(plan))}`}`,
    `habits: held ${h.held.toFixed(2)}, double ${h.doubleTap.toFixed(2)}, forget ${h.forget.toFixed(2)}, night ${h.night.toFixed(2)}, reader B ${h.readerB.toFixed(2)} (alias listed ${h.aliasListed.toFixed(2)}), visitors ${h.visitors}/day`,
    `background faults per request: 5xx ${b.serverError.toFixed(3)}, 429 ${b.rateLimit.toFixed(3)}, reset ${b.reset.toFixed(3)}, slow ${b.slow.toFixed(3)}`,
  ];
  const events = [...plan.events].sort((x, y) => x.pos - y.pos);
  if (events.length === 0) lines.push('no events');
  for (const event of events) lines.push(`  ${describeEvent(event, plan)}`);
  return lines;
}
