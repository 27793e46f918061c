/**
 * Network and API faults as generators: each kind has its own probability
 * per request, from a window the plan opened (an outage, a burst of 429s, a
 * slow spell) or from the background rate of the whole run. All can be
 * active at once; the first that fires decides the request's fate. Every
 * roll comes from the world's PRNG, in request order, so a seed is a repro.
 */
import type { Random } from './random';

/** What the network does to one request. */
export type Outcome =
  | { readonly type: 'ok' }
  /** The server answers this status without applying the request. */
  | { readonly type: 'status'; readonly status: number; readonly retryAfter?: string }
  /** The connection is reset; the server may have applied the request before it was. */
  | { readonly type: 'reset'; readonly applied: boolean }
  /** The answer comes after the client's timeout; the write lands later, or never. */
  | { readonly type: 'slow'; readonly lands: boolean }
  /** No network: fails at once (no route, no DNS) or hangs until the timeout. */
  | { readonly type: 'unreachable'; readonly hangs: boolean };

export type WindowKind = 'outage' | 'rateLimit' | 'serverErrors' | 'resets' | 'slow';

/** A spell of one fault kind, from the plan. */
export interface FaultWindow {
  readonly kind: WindowKind;
  /** Monotonic world ms. */
  readonly from: number;
  readonly to: number;
  /** Probability per request while the window is open (an outage fails every request). */
  readonly p: number;
  /** 500 or 503, for serverErrors. */
  readonly status?: number;
  /** Seconds, for rateLimit; null: a 429 without Retry-After. */
  readonly retryAfterS?: number | null;
  /** For slow: whether a timed-out write still lands. */
  readonly lands?: boolean;
}

/** Background rates per request, for the whole run. */
export interface BackgroundFaults {
  readonly serverError: number;
  readonly rateLimit: number;
  readonly reset: number;
  readonly slow: number;
}

/** Names for counting, one per way a request was failed. */
export type InjectedKind =
  | 'outage'
  | '429'
  | '429+Retry-After'
  | '500'
  | '503'
  | 'reset'
  | 'slow'
  | 'slow+lands'
  | '401'
  | '403'
  | '400';

/** The faults of one run: windows, background rates, and the counts of what was injected. */
export class Faults {
  readonly injected = new Map<InjectedKind, number>();
  /** Monotonic ms of the last injected failure, or of the end of the last window that has closed. */
  lastFaultAt = -Infinity;
  /**
   * Monotonic ms of the last lasting refusal (the poison card's 400): the clock tries a change
   * the sheet refused again now and then, so a minute with one is not a quiet minute.
   */
  lastRefusalAt = -Infinity;
  /** A 401 for the next request (a token that expired). */
  unauthorizedPending = false;

  constructor(
    private readonly random: Random,
    private readonly windows: readonly FaultWindow[],
    private readonly background: BackgroundFaults,
  ) {}

  /** Counts an injected failure; `transient` ones start the 10 minutes after which the sheet must have caught up. */
  count(kind: InjectedKind, at: number, transient = true): void {
    this.injected.set(kind, (this.injected.get(kind) ?? 0) + 1);
    if (transient) this.lastFaultAt = Math.max(this.lastFaultAt, at);
    else this.lastRefusalAt = Math.max(this.lastRefusalAt, at);
  }

  /** Whether a window is open at `at`. */
  active(at: number): boolean {
    return this.windows.some((w) => w.from <= at && at < w.to);
  }

  /** The end of the last window that opened by `at` (for "10 minutes after the last fault ends"). */
  lastWindowEnd(at: number): number {
    let end = -Infinity;
    for (const w of this.windows) if (w.from <= at) end = Math.max(end, Math.min(w.to, at));
    return end;
  }

  /** Decides the fate of one request sent at `at`. */
  roll(at: number, write: boolean): Outcome {
    if (this.unauthorizedPending) {
      this.unauthorizedPending = false;
      this.count('401', at);
      return { type: 'status', status: 401 };
    }
    for (const w of this.windows) {
      if (at < w.from || at >= w.to || !this.random.chance(w.p)) continue;
      return this.fire(w.kind, at, write, w);
    }
    const b = this.background;
    if (this.random.chance(b.serverError)) return this.fire('serverErrors', at, write);
    if (this.random.chance(b.rateLimit)) return this.fire('rateLimit', at, write);
    if (this.random.chance(b.reset)) return this.fire('resets', at, write);
    if (this.random.chance(b.slow)) return this.fire('slow', at, write);
    return { type: 'ok' };
  }

  private fire(kind: WindowKind, at: number, write: boolean, window?: FaultWindow): Outcome {
    switch (kind) {
      case 'outage':
        this.count('outage', at);
        return { type: 'unreachable', hangs: this.random.chance(0.3) };
      case 'rateLimit': {
        const retryAfterS =
          window === undefined
            ? this.random.chance(0.5)
              ? this.random.int(1, 60)
              : null
            : (window.retryAfterS ?? null);
        this.count(retryAfterS === null ? '429' : '429+Retry-After', at);
        return retryAfterS === null
          ? { type: 'status', status: 429 }
          : { type: 'status', status: 429, retryAfter: String(retryAfterS) };
      }
      case 'serverErrors': {
        const status = window?.status ?? this.random.pick([500, 503]);
        this.count(status === 500 ? '500' : '503', at);
        return { type: 'status', status };
      }
      case 'resets':
        this.count('reset', at);
        return { type: 'reset', applied: write && this.random.chance(0.5) };
      case 'slow': {
        const lands = write && (window?.lands ?? this.random.chance(0.5));
        this.count(lands ? 'slow+lands' : 'slow', at);
        return { type: 'slow', lands };
      }
    }
  }
}
