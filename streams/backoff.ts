/** Retry timing for the sheet: truncated exponential backoff with full jitter, honouring Retry-After. */

export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** The longest Retry-After honoured; a server asking for longer gets this. */
  readonly maxRetryAfterMs: number;
}

export const sheetBackoff: BackoffOptions = {
  baseMs: 1_000,
  capMs: 64_000,
  maxRetryAfterMs: 600_000,
};

/**
 * Delay before retry number `attempt` (1 for the first retry): a uniformly
 * random delay up to min(cap, base·2^(attempt-1)) ("full jitter", so many
 * clocks recovering at once do not retry in step), but never sooner than the
 * server's Retry-After.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  retryAfterMs: number | null = null,
  options: BackoffOptions = sheetBackoff,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const floor = retryAfterMs === null ? 0 : Math.min(retryAfterMs, options.maxRetryAfterMs);
  return Math.max(jittered, floor);
}
