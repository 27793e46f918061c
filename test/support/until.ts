/** Waiting for something a real stream, file or process will do, bounded by a deadline. */

/**
 * Resolves once `condition` holds, checking every `everyMs` (0: after each
 * turn of the event loop); rejects after `ms` so a test never hangs.
 */
export async function until(
  condition: () => boolean,
  { ms = 5_000, everyMs = 0, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) =>
      everyMs === 0 ? setImmediate(resolve) : setTimeout(resolve, everyMs),
    );
  }
}
