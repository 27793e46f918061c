/**
 * Time in the simulation. One virtual-time scheduler is the monotonic time
 * of the world (milliseconds since the run began); the clock under test sees it
 * through two faces:
 *
 * - its wall clock (`io.scheduler`): `now()` is the true time plus an error
 *   the world sets (a stale clock at boot, NTP stepping it forward, a step
 *   back by an hour), while timers keep monotonic delays, as Node's timers
 *   do; timers a second or longer fire a little early or late (jitter);
 * - its monotonic clock (`io.mono`): milliseconds since the machine booted.
 *
 * The world advances time one scheduled action at a time and lets every
 * promise settle in between (`SimScheduler.runNext`, then a turn of the event
 * loop), so promise-based code (the Sheets client) sees the same virtual
 * instant its request was answered at.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { Random } from './random';

/** A scheduled piece of work; rescheduling moves it (it is never copied, as a periodic timer's action would be). */
class SimAction<T> extends Subscription implements SchedulerAction<T> {
  state: T | undefined;
  /** Bumped on every (re)schedule and on cancel: queue entries of older generations are stale. */
  generation = 0;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.generation += 1;
    this.scheduler.enqueue(this, Math.max(0, delay));
    return this;
  }

  execute(): void {
    if (!this.closed) this.work(this.state);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.generation += 1;
    super.unsubscribe();
  }
}

/** What the queue needs of an action. */
interface Queued {
  readonly generation: number;
  execute(): void;
}

interface Entry {
  readonly due: number;
  readonly seq: number;
  readonly generation: number;
  readonly action: Queued;
}

const earlier = (a: Entry, b: Entry): boolean =>
  a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * The monotonic time of the world: virtual milliseconds since the run began,
 * a queue of scheduled actions run one at a time (by due time, then by the
 * order they were scheduled). RxJS's VirtualTimeScheduler copies an action
 * each time a periodic timer reschedules it, into a chain that grows for the
 * whole run; this one moves the action instead.
 */
export class SimScheduler implements SchedulerLike {
  private frame = 0;
  private seq = 0;
  private readonly heap: Entry[] = [];

  now(): number {
    return this.frame;
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    return new SimAction<T>(this, work).schedule(state, delay);
  }

  /** Queues an action (its previous place in the queue goes stale). */
  enqueue(action: Queued, delay: number): void {
    const entry: Entry = {
      due: this.frame + delay,
      seq: this.seq++,
      generation: action.generation,
      action,
    };
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || !earlier(entry, p)) break;
      heap[i] = p;
      heap[parent] = entry;
      i = parent;
    }
  }

  private live(): Entry | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.generation === top.action.generation) return top;
      this.pop();
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const lm = heap[l];
      const rm = heap[r];
      if (lm !== undefined && earlier(lm, heap[m] ?? last)) m = l;
      if (rm !== undefined && earlier(rm, heap[m] ?? last)) m = r;
      if (m === i) return;
      const swap = heap[m] ?? last;
      heap[m] = heap[i] ?? last;
      heap[i] = swap;
      i = m;
    }
  }

  /** When the next action is due, or null when none is scheduled. */
  nextDue(): number | null {
    return this.live()?.due ?? null;
  }

  /** Runs the next action if it is due by `limit`; false when none is. */
  runNext(limit: number): boolean {
    const entry = this.live();
    if (entry === undefined || entry.due > limit) return false;
    this.pop();
    this.frame = Math.max(this.frame, entry.due);
    entry.action.execute();
    return true;
  }

  /** Moves time forward to `at` (no action may be due before it). */
  advanceTo(at: number): void {
    if (at > this.frame) this.frame = at;
  }
}

/** The world's time: the truth, the clock's wall error and its boot. */
export interface WorldTime {
  readonly mono: SimScheduler;
  /** True time (UTC ms) at monotonic 0. */
  readonly origin: number;
  /** The wall clock's error now (ms; negative: behind). */
  error: number;
  /** Monotonic instant of the machine's last boot. */
  bootAt: number;
  /** Milliseconds since boot at the boot instant (kernel and service start). */
  bootUptime: number;
}

/** True time now, UTC ms. */
export function trueNow(time: WorldTime): number {
  return time.origin + time.mono.now();
}

/** The clock's wall time now: the truth plus the error. */
export function wallNow(time: WorldTime): number {
  return trueNow(time) + time.error;
}

/** The clock's monotonic clock: milliseconds since boot. */
export function monoNow(time: WorldTime): number {
  return time.mono.now() - time.bootAt + time.bootUptime;
}

export interface JitterOptions {
  /** Timers this long or longer are jittered (the minute tick, backoff, polls). */
  readonly fromMs: number;
  /** Probability a timer fires early, by up to `earlyMs`. */
  readonly earlyP: number;
  readonly earlyMs: number;
  /** Probability a timer fires late, by up to `lateMs` (a busy event loop, a slow SD card). */
  readonly lateP: number;
  readonly lateMs: number;
}

/** The clock's wall scheduler: wall `now()`, monotonic (jittered) delays. */
export function wallScheduler(
  time: WorldTime,
  random: Random,
  jitter: JitterOptions,
  onJitter: (deltaMs: number) => void,
): SchedulerLike {
  return {
    now: () => wallNow(time),
    schedule<T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay = 0,
      state?: T,
    ): Subscription {
      let actual = delay;
      if (delay >= jitter.fromMs) {
        if (random.chance(jitter.earlyP)) actual = delay - random.int(1, jitter.earlyMs);
        else if (random.chance(jitter.lateP)) actual = delay + random.int(1, jitter.lateMs);
        if (actual !== delay) onJitter(actual - delay);
      }
      return time.mono.schedule(work, Math.max(0, actual), state);
    },
  };
}
