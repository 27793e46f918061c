/**
 * Where a run starts in time: every run crosses one of the configured zone's
 * DST nights (Europe/Berlin, 2026: 29 March 02:00 → 03:00 and 25 October
 * 03:00 → 02:00), at a point of the run the plan chooses; a run of 210 days
 * or more crosses both.
 */
import { startOfLocalDay } from '../../streams/zoned';
import { DAY, type Plan } from './plan';

export const ZONE = 'Europe/Berlin';

/** The DST nights, as the UTC instant of the change. */
export const DST_NIGHTS = {
  spring: Date.UTC(2026, 2, 29, 1),
  autumn: Date.UTC(2026, 9, 25, 1),
} as const;

/** The first instant of a run: local midnight, `dstAt` of the run before its DST night. */
export function startOfRun(plan: Pick<Plan, 'dst' | 'dstAt' | 'days'>): number {
  return startOfLocalDay(DST_NIGHTS[plan.dst] - Math.floor(plan.dstAt * plan.days) * DAY, ZONE);
}

/**
 * The daily cut-off of a run's clock, if any: three runs in eight have one, at a time no DST
 * change touches (the model's cut-off is that simple). Drawn from the world seed's bits, so the
 * plans of every seed are as they were before runs had cut-offs.
 */
export function cutoffOf(plan: Pick<Plan, 'seed'>): string | null {
  return [null, null, null, null, null, '23:00', '05:30', '20:00'][(plan.seed >>> 5) % 8] ?? null;
}
