/**
 * `badgeclock fix` requests as a source of the core: the queue in the store
 * is read every few seconds, and each new request is judged against the
 * store (`judgeCorrection`) and handed to the core as a `correctionJudged`
 * event. The request is marked done in the same transaction as the
 * correction's records, so a request the clock stopped before keeping is
 * judged again after a restart; one already handed over is not handed twice.
 */
import {
  concatMap,
  EMPTY,
  filter,
  from,
  map,
  of,
  repeat,
  startWith,
  timer,
  withLatestFrom,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import {
  asClockHasIt,
  judgeCorrection,
  type CorrectableSession,
  type CorrectionRequest,
} from '../../../streams/corrections';
import type { CorrectionJudged } from '../../../streams/events';
import type { Rules } from '../../../streams/rules';
import type { FixRequest } from './corrections';

/** What judging `fix` requests needs of the store. */
export interface FixQueue {
  /** Moves when another process wrote to the store (a `fix` queued a request). */
  othersWrote(): number;
  pendingFixes(): FixRequest[];
  correctionContext(session: string): {
    readonly session?: CorrectableSession;
    readonly others: readonly CorrectableSession[];
  };
}

/** How often a running clock looks for `fix` requests. */
export const FIX_POLL_MS = 5_000;

/** One request, judged at `now`, as the core's input. */
export function judgeFix(
  queue: Pick<FixQueue, 'correctionContext'>,
  request: FixRequest,
  now: number,
  rules: Rules,
): CorrectionJudged {
  return judged(
    queue,
    {
      session: request.session,
      ...(request.inAt === null ? {} : { inAt: request.inAt }),
      ...(request.outAt === null ? {} : { outAt: request.outAt }),
      ...(request.void ? { void: true } : {}),
    },
    { now, rules, source: 'fix', why: request.why, request: request.id },
  );
}

/** Where a correction came from, and when and how it is judged. */
export interface Judging {
  readonly now: number;
  /** The clock's rules: its zone, and the limit a session still open may have passed. */
  readonly rules: Rules;
  readonly source: CorrectionJudged['source'];
  readonly why: string | null;
  /** The `fix` request it answers. */
  readonly request?: number;
}

/** A correction, from `fix` or the sheet, judged against the store at `now`, as the core's input. */
export function judged(
  queue: Pick<FixQueue, 'correctionContext'>,
  request: CorrectionRequest,
  { now, rules, source, why, request: id }: Judging,
): CorrectionJudged {
  // As the clock has them now: one open past its limit is closed there (asClockHasIt).
  const context = queue.correctionContext(request.session);
  const session = context.session && asClockHasIt(context.session, now, rules);
  const others = context.others.map((other) => asClockHasIt(other, now, rules));
  const verdict = judgeCorrection(request, session, others, now, rules.zone);
  return {
    type: 'correctionJudged',
    at: now,
    session: request.session,
    card: session?.card ?? '',
    name: session?.name ?? null,
    source,
    why,
    ...(id === undefined ? {} : { request: id }),
    ...verdict,
  };
}

/**
 * The requests a running clock is given, judged as they come, each once. `synced$`: whether the
 * system clock is synchronised, as each time-sync check answers (not known before the first
 * answer). While it is not, or not yet known, a request that would be refused is not handed over:
 * the stale now can make a right time look 'in the future', and a refusal is for good. It is
 * judged again at each poll.
 */
export function fixRequests$(
  queue: FixQueue,
  scheduler: SchedulerLike,
  rules: Rules,
  pollMs = FIX_POLL_MS,
  synced$: Observable<boolean> = of(true),
): Observable<CorrectionJudged> {
  const handed = new Set<number>();
  // The queue is read at the first poll (requests left from before a restart), then only after
  // another process wrote: the clock's own commits never add requests.
  let seen: number | null = null;
  // A fresh timer per poll (repeat), not a periodic one: a periodic action on a virtual-time
  // scheduler chains every run to the one before it (the soak test's heap grew 100 MB in a month,
  // and unsubscribing overflowed the stack). concatMap: requests are judged in the order asked.
  return timer(0, scheduler).pipe(
    repeat({ delay: () => timer(pollMs, scheduler) }),
    withLatestFrom(synced$.pipe(startWith(false))),
    concatMap(([, synced]) => {
      const version = queue.othersWrote();
      if (version === seen) return EMPTY;
      seen = version;
      const fresh = queue.pendingFixes().filter((request) => !handed.has(request.id));
      for (const request of fresh) handed.add(request.id);
      // Judged one by one as they go, so a request sees the one before it when that was kept.
      return from(fresh).pipe(
        map((request) => ({ request, verdict: judgeFix(queue, request, scheduler.now(), rules) })),
        filter(({ request, verdict }) => {
          if (synced || verdict.applied) return true;
          // Waits for a synchronised clock: read again at the next poll.
          handed.delete(request.id);
          seen = null;
          return false;
        }),
        map(({ verdict }) => verdict),
      );
    }),
  );
}
