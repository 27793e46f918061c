/** `fix --wait`: how long it waits for the running clock's answer, whatever the wall clock does. */
import { answer } from '../src/commands/fix';
import type { Store } from '../src/drivers/store/store';

describe('fix --wait', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('gives up after its seconds of real time even when the wall clock is stepped back meanwhile', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-03-02T08:00:00Z') });
    // The running clock never answers.
    const store = { fixOutcome: () => null } as unknown as Store;
    let outcome: unknown = 'waiting';
    void answer(store, 1, 5).then((got) => {
      outcome = got;
    });
    // NTP steps the wall clock back an hour one second in.
    await jest.advanceTimersByTimeAsync(1000);
    jest.setSystemTime(Date.parse('2026-03-02T07:00:01Z'));
    await jest.advanceTimersByTimeAsync(4500);
    expect(outcome).toBeNull();
  });
});
