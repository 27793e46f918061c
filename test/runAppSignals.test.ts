/** The running clock's graceful stop on a signal, with virtual timers and a stubbed exit. */
import { Subscription } from 'rxjs';
import { stopGracefullyOnSignals } from '../src/commands/runApp';

describe('the graceful stop of a running clock', () => {
  let added: NodeJS.SignalsListener[] = [];
  let exit: jest.SpyInstance;
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2026-03-02T08:00:00Z') });
    exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never);
  });
  afterEach(() => {
    for (const listener of added) {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    }
    added = [];
    exit.mockRestore();
    jest.useRealTimers();
  });

  /** Installs the stop for a clock whose sheet request never ends, and returns its handler. */
  function stopWithSheetBusy(subscription = new Subscription()): {
    signal: NodeJS.SignalsListener;
    closed: () => boolean;
  } {
    const before = process.listeners('SIGTERM');
    let closed = false;
    stopGracefullyOnSignals({
      subscription,
      stop: () => undefined,
      busy: () => true,
      close: () => {
        closed = true;
      },
    });
    added = process.listeners('SIGTERM').filter((l) => !before.includes(l));
    const [signal] = added;
    if (signal === undefined) throw new Error('no SIGTERM handler');
    return { signal, closed: () => closed };
  }

  it('waits at most 10 s for the sheet request in flight, then closes the store and exits 0', () => {
    const { signal, closed } = stopWithSheetBusy();
    signal('SIGTERM');
    jest.advanceTimersByTime(9_900);
    expect(exit).not.toHaveBeenCalled();
    jest.advanceTimersByTime(200);
    expect(closed()).toBe(true);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('still waits at most 10 s when the system clock is set back meanwhile (NTP after a boot)', () => {
    const { signal, closed } = stopWithSheetBusy();
    signal('SIGTERM');
    jest.advanceTimersByTime(1_000);
    jest.setSystemTime(Date.parse('2026-03-02T07:00:00Z'));
    jest.advanceTimersByTime(9_100);
    expect(closed()).toBe(true);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('a second signal exits at once with 1, and still ends the drivers (gpioset, reader helper)', () => {
    let driversEnded = false;
    const { signal, closed } = stopWithSheetBusy(
      new Subscription(() => {
        driversEnded = true;
      }),
    );
    signal('SIGTERM');
    signal('SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
    expect(driversEnded).toBe(true);
    expect(closed()).toBe(true);
  });
});
