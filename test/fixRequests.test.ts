/**
 * The `fix` queue as the running clock's source, in virtual time: read at
 * the first poll, then only after another process wrote; each request handed
 * over once, judged against the store as it stands.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CorrectableSession } from '../streams/corrections';
import type { FixRequest } from '../src/drivers/store/corrections';
import { fixRequests$, type FixQueue } from '../src/drivers/store/fixRequests';

// Virtual time starts at 0: the session was the day before.
const T0 = -24 * 3_600_000;
const HOUR = 3_600_000;
const session: CorrectableSession = {
  id: 's1',
  card: 'A11CE000',
  name: 'Alice',
  inAt: T0,
  outAt: T0 + 9 * HOUR,
  status: 'out',
  voided: false,
  clockInAt: T0,
  clockOutAt: T0 + 9 * HOUR,
};
const request = (id: number): FixRequest => ({
  id,
  at: T0,
  session: 's1',
  inAt: null,
  outAt: T0 + 8 * HOUR,
  void: false,
  why: 'left early',
});

describe('the fix queue as a source', () => {
  it('reads the queue at the first poll and after another process wrote, and hands each request over once', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    scheduler.run(({ expectObservable, flush }) => {
      let version = 1;
      let reads = 0;
      const queue: FixQueue = {
        othersWrote: () => version,
        pendingFixes: () => {
          reads += 1;
          return version === 1 ? [request(7)] : [request(7), request(8)];
        },
        correctionContext: () => ({ session, others: [] }),
      };
      // Another process queues request 8 at 12 s: the poll at 15 s reads it.
      scheduler.schedule(() => {
        version = 2;
      }, 12_000);
      const ids$ = fixRequests$(queue, scheduler, 'UTC', 5_000).pipe(
        map((judged) => `${String(judged.request)} ${judged.applied ? 'applied' : 'rejected'}`),
      );
      expectObservable(ids$, '^ 30s !').toBe('a 14999ms b', {
        a: '7 applied',
        b: '8 applied',
      });
      flush();
      // Polls at 0, 5, 10, 15, 20, 25 and 30 s; the queue was read twice.
      expect(reads).toBe(2);
    });
  });
});
