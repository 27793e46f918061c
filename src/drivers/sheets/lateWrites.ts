/**
 * The bookkeeping of writes that may still land late, shared by the batch
 * writer and the live view. A request that timed out or failed may yet be
 * applied by the server after the clock has moved on: an insert sent again
 * can make a second row (a suspect, looked for once it would have landed);
 * a live update that failed can overwrite the Hours a close has fixed, and a
 * batch that failed can overwrite what a later batch wrote into the same
 * rows (what batches write meanwhile is written again once neither can land).
 */
import type { DataFilterValueRange } from './sheetsApi';

/** The wall clock moved against the monotonic one by more than this: it was stepped. */
const STEP_MS = 1_000;

/** What may still land late, and what to do about it; one per client. */
export class LateWrites {
  /**
   * Sessions inserted by a batch sent again (after a failure, or as the first batch of this
   * process): the first attempt may still land late and make a second row. The live update
   * looks once, when the first attempt would have landed, and a second row is marked as a
   * duplicate (so does any batch that touches the session). Session → when to look (monotonic).
   */
  private readonly suspects = new Map<string, number>();
  /** A live update that failed may still land late until this instant (Totals waits for it). */
  private liveUncertainUntil = -Infinity;
  /**
   * A write that failed, a live update's or a batch's, may still land late until this instant,
   * over what batches wrote since: what they write is written again by the first live update
   * after it.
   */
  private uncertainUntil = -Infinity;
  /** Final cells written while a failed write could still land: session → write, when (monotonic). */
  private readonly reassert = new Map<string, { write: DataFilterValueRange; at: number }>();
  /**
   * By when a request that timed out has landed, if it ever does: a timeout and a minute after
   * the attempt that followed it (the first attempt was sent a timeout before that one).
   */
  private readonly lateWithin: number;

  /**
   * `now` is the clock batches and minutes are stamped with (the wall clock): a failed live
   * update is counted from when it failed, not from its minute (its write goes out after the
   * minute's read, seconds later on a slow network). Every window is kept on `mono`, a
   * monotonic clock: NTP stepping a stale clock forward would close them at once, a clock
   * stepped back would stretch them. The wall times callers give are translated (`monoAt`).
   */
  constructor(
    timeoutMs: number,
    private readonly now: () => number = Date.now,
    private readonly mono: () => number = () => performance.now(),
  ) {
    this.lateWithin = timeoutMs + 60_000;
  }

  /** How far the wall clock is ahead of the monotonic one, as last seen (null: not yet). */
  private offset: number | null = null;

  /**
   * A recent wall instant (the minute's, a batch's) on the monotonic clock. The two clocks'
   * offset is taken again only when it moved by more than a second (a step): read afresh each
   * time, the jitter of reading two clocks would move instants a window ends on.
   */
  private monoAt(at: number): number {
    const seen = this.now() - this.mono();
    if (this.offset === null || Math.abs(seen - this.offset) > STEP_MS) this.offset = seen;
    return at - this.offset;
  }

  /** The suspects due to be looked for at `now` (forgotten only once the look succeeded). */
  due(now: number): string[] {
    const at = this.monoAt(now);
    return [...this.suspects].filter(([, when]) => when <= at).map(([session]) => session);
  }

  /** These suspects were looked for: forgotten. */
  looked(sessions: readonly string[]): void {
    for (const session of sessions) this.suspects.delete(session);
  }

  /** A session inserted by a batch sent again at `now`: looked for when its first try has landed. */
  suspect(session: string, now: number): void {
    this.suspects.set(session, this.monoAt(now) + this.lateWithin);
  }

  /**
   * A live update failed just now: its write, sent at the latest now, may still land until a
   * timeout and a minute later. (From its minute instead, a close written a minute and a timeout
   * after the minute was taken as safe while the write could still land over it: long run,
   * seed 101.)
   */
  liveFailed(): void {
    this.liveUncertainUntil = Math.max(
      this.liveUncertainUntil,
      this.monoAt(this.now()) + this.lateWithin,
    );
    this.writeFailed();
  }

  /**
   * A batch's write failed just now (or a live update's): it may still land over the rows later
   * batches write, until a timeout and a minute later. (A refold's row marked `superseded` landed
   * after the next refold's, which made the session again: simulation with doors, seed 6805.)
   */
  writeFailed(): void {
    this.uncertainUntil = Math.max(this.uncertainUntil, this.monoAt(this.now()) + this.lateWithin);
  }

  /** Whether a live update that failed could still land after one sent at `at`. */
  liveUncertain(at: number): boolean {
    return this.monoAt(at) < this.liveUncertainUntil;
  }

  /**
   * The last write per session of a batch sent at `now`: kept, to be written again, while a
   * failed write could still land over it. Once none can, a write kept from before is
   * forgotten: this one is newer (a manager's fix after the close), and landed after any.
   */
  finals(final: ReadonlyMap<string, DataFilterValueRange>, now: number): void {
    const sent = this.monoAt(now);
    for (const [session, write] of final)
      if (sent < this.uncertainUntil)
        this.reassert.set(session, { write, at: this.uncertainUntil });
      else this.reassert.delete(session);
  }

  /** The writes to send again with the live update at `at`: no failed one can land after it. */
  reassertDue(at: number): { session: string; write: DataFilterValueRange }[] {
    const sent = this.monoAt(at);
    return [...this.reassert]
      .filter(([, { at: when }]) => when <= sent)
      .map(([session, { write }]) => ({ session, write }));
  }

  /** These sessions' writes were sent again and landed: forgotten. */
  reasserted(sessions: readonly string[]): void {
    for (const session of sessions) this.reassert.delete(session);
  }
}
