/**
 * The GPIO feedback driver against a real child process: a fake `gpioset` on
 * the search path that records how it was called. Patterns are timed on a
 * virtual scheduler (their timing is the marble tests' business); here
 * virtual time is moved on only once the fake has taken the previous state.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { chipPath, makeGpioFeedbackDriver } from '../src/drivers/feedback/gpio/gpioFeedbackDriver';
import { gpiosetArgs, parseGpiosetVersion } from '../src/drivers/feedback/gpio/gpioset';
import type { Log } from '../src/log';
import type { DomainEvent } from '../streams/events';
import { OFF, patterns, type Lines, type Pattern, type Signal } from '../streams/signals';
import { alive, fakeGpioset, type FakeGpioset } from './support/fakeGpioset';
import { record, type Recording } from './support/record';
import { Clock } from './support/runCli';
import { until } from './support/until';
import { useTempDir } from './support/useTempDir';

const CARD = '04A3C6CAE26180';
const tapped = { card: CARD, name: 'Alice', reader: 'door' };
const events: Record<Signal, DomainEvent> = {
  in: { type: 'clock-in', at: 1_000, ...tapped, session: `s-${CARD}` },
  out: {
    type: 'clock-out',
    at: 2_000,
    ...tapped,
    session: `s-${CARD}`,
    inAt: 1_000,
    hours: 0,
    todayHours: 0,
    weekHours: 0,
  },
  ignored: { type: 'ignored', at: 3_000, ...tapped, reason: 'double-tap' },
  unknown: { type: 'unknown', at: 4_000, ...tapped, name: null, policy: 'reject' },
  fault: { type: 'reader-fault', at: 5_000, reader: 'door', reason: 'dead chip' },
  enrolling: { type: 'enrol', at: 6_000, ...tapped, step: 'opened' },
  enrolled: {
    type: 'enrol',
    at: 7_000,
    card: 'CAFE0001',
    name: 'New 1',
    reader: 'door',
    step: 'listed',
  },
};
const kinds: readonly Signal[] = [
  'in',
  'out',
  'ignored',
  'unknown',
  'fault',
  'enrolling',
  'enrolled',
];

/** Buzzer on GPIO17, green LED on 27, red LED on 22: the values gpioset is given. */
const values = (l: Lines): string => `17=${+l.buzzer} 27=${+l.green} 22=${+l.red}`;

describe('GPIO feedback driver', () => {
  const tempDir = useTempDir('gpio');
  let scheduler: VirtualTimeScheduler;
  let virtualNow: number;
  let logged: string[];
  let log: Pick<Log, 'info' | 'warn'>;
  let events$: Subject<DomainEvent>;
  let running: Recording<never> | undefined;

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    virtualNow = 0;
    logged = [];
    log = {
      info: (m) => logged.push(`info ${m}`),
      warn: (m) => logged.push(`warn ${m}`),
    };
    events$ = new Subject<DomainEvent>();
  });
  afterEach(() => {
    running?.subscription.unsubscribe();
    running = undefined;
  });

  /** Moves virtual time on by `ms`, running the pattern steps that fall due. */
  const advance = (ms: number): void => {
    virtualNow += ms;
    scheduler.maxFrames = virtualNow;
    scheduler.flush();
    scheduler.frame = virtualNow;
  };

  function start(gpioset: FakeGpioset, chip = gpioset.chip, activeLow = false): void {
    const driver = makeGpioFeedbackDriver({
      chip,
      buzzer: 17,
      green: 27,
      red: 22,
      activeLow,
      scheduler,
      log,
      searchPath: gpioset.dir,
    });
    running = record(driver(events$));
  }

  const holds = (gpioset: FakeGpioset): string[] =>
    gpioset
      .calls()
      .filter((c) => c.kind === 'hold')
      .map((c) => c.args);

  /** Waits until the fake holds `count` states in all. */
  const held = (gpioset: FakeGpioset, count: number): Promise<void> =>
    until(() => holds(gpioset).length >= count, { what: `${count} gpioset holds` });

  /** Plays a pattern through: waits for each step to be held before its time passes. */
  async function playThrough(gpioset: FakeGpioset, pattern: Pattern): Promise<void> {
    for (const step of pattern) {
      await held(gpioset, holds(gpioset).length + 1);
      advance(step.ms);
    }
    await held(gpioset, holds(gpioset).length + 1); // OFF
  }

  it('holds the lines off from the start, and a clock-in is a beep with green, then off (libgpiod 2)', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    start(gpioset);
    const chip = `--chip ${gpioset.chip} --consumer badgeclock`;
    await held(gpioset, 1);
    events$.next(events.in);
    await playThrough(gpioset, patterns.in);
    expect(holds(gpioset)).toEqual([
      `${chip} 17=0 27=0 22=0`,
      `${chip} 17=1 27=1 22=0`,
      `${chip} 17=0 27=1 22=0`,
      `${chip} 17=0 27=0 22=0`,
    ]);
    expect(logged).toEqual([
      'info GPIO feedback on ' + gpioset.chip + ' (gpioset v2): buzzer 17, green 27, red 22',
    ]);
  });

  it('speaks libgpiod 1.6 (Bookworm) too, active low when asked', async () => {
    const gpioset = fakeGpioset(tempDir(), '1.6.3');
    start(gpioset, gpioset.chip, true);
    await held(gpioset, 1);
    events$.next(events.in);
    await playThrough(gpioset, patterns.in);
    const hold = `--mode=signal --active-low ${gpioset.chip}`;
    expect(holds(gpioset)).toEqual([
      `${hold} 17=0 27=0 22=0`,
      `${hold} 17=1 27=1 22=0`,
      `${hold} 17=0 27=1 22=0`,
      `${hold} 17=0 27=0 22=0`,
    ]);
  });

  it('gives each kind of event its own pattern, and only one gpioset holds the lines at a time', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    start(gpioset);
    await held(gpioset, 1);
    const played: string[][] = [];
    for (const kind of kinds) {
      const before = holds(gpioset).length;
      events$.next(events[kind]);
      await playThrough(gpioset, patterns[kind]);
      const states = holds(gpioset)
        .slice(before)
        .map((args) => args.replace(/^.* --consumer badgeclock /, ''));
      expect(states).toEqual([...patterns[kind].map((s) => values(s.lines)), values(OFF)]);
      played.push(states);
    }
    expect(new Set(played.map((p) => p.join('|'))).size).toBe(kinds.length);
    // Every holder but the last was stopped before the next took the lines.
    const pids = gpioset
      .calls()
      .filter((c) => c.kind === 'hold')
      .map((c) => c.pid);
    await until(() => pids.slice(0, -1).every((pid) => !alive(pid)), { what: 'old holders gone' });
    expect(alive(pids[pids.length - 1] ?? 0)).toBe(true);
  });

  it('a new event cuts the old pattern short, and the lines end off', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    start(gpioset);
    await held(gpioset, 1);
    events$.next(events.in);
    await held(gpioset, 2); // beep + green
    advance(200);
    await held(gpioset, 3); // green
    advance(300);
    events$.next(events.fault);
    await playThrough(gpioset, patterns.fault);
    advance(10_000);
    expect(holds(gpioset).map((args) => args.replace(/^.* --consumer badgeclock /, ''))).toEqual([
      values(OFF),
      values({ buzzer: true, green: true, red: false }),
      values({ buzzer: false, green: true, red: false }),
      // the clock-in's last OFF never comes: the fault's pattern took over
      ...patterns.fault.map((s) => values(s.lines)),
      values(OFF),
    ]);
  });

  it('on unsubscribe mid-pattern turns every line off and releases them', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    start(gpioset);
    await held(gpioset, 1);
    events$.next(events.unknown);
    await held(gpioset, 2);
    const holder = gpioset.calls().at(-1)?.pid ?? 0;
    expect(alive(holder)).toBe(true);
    running?.subscription.unsubscribe();
    // Off at once (synchronously, so a shutdown that exits next still leaves them off)...
    expect(gpioset.calls().at(-1)).toMatchObject({
      kind: 'once',
      args: `--chip ${gpioset.chip} --consumer badgeclock --toggle 0 ${values(OFF)}`,
    });
    // ...and nothing holds them any more.
    await until(() => !alive(holder), { what: 'holder gone' });
    expect(gpioset.calls().filter((c) => c.kind === 'hold' && alive(c.pid))).toEqual([]);
  });

  it('when the events end, plays the last pattern out and releases the lines off', async () => {
    const gpioset = fakeGpioset(tempDir(), '1.6.3');
    start(gpioset);
    await held(gpioset, 1);
    events$.next(events.ignored);
    events$.complete();
    await held(gpioset, 2);
    expect(holds(gpioset)[1]).toBe(`--mode=signal ${gpioset.chip} 17=0 27=1 22=1`);
    advance(1_000);
    await until(() => running?.completed() === true, { what: 'driver completed' });
    // The OFF holder may have been stopped before it got going: the lines are set off anyway.
    expect(gpioset.calls().at(-1)).toMatchObject({
      kind: 'once',
      args: `--mode=exit ${gpioset.chip} ${values(OFF)}`,
    });
    const pids = gpioset.calls().map((c) => c.pid);
    await until(() => pids.every((pid) => !alive(pid)), { what: 'holders gone' });
  });

  it('without the GPIO chip is a no-op with one log line', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    start(gpioset, join(tempDir(), 'no-such-gpiochip'));
    for (const kind of kinds) events$.next(events[kind]);
    advance(10_000);
    events$.complete();
    await until(() => running?.completed() === true);
    expect(running?.error()).toBeUndefined();
    expect(logged).toEqual([
      expect.stringMatching(/^warn GPIO feedback off: no GPIO chip .*no-such-gpiochip/),
    ]);
    expect(gpioset.calls()).toEqual([]);
  });

  it('without gpioset is a no-op with one log line saying what to install', () => {
    const empty = join(tempDir(), 'empty');
    mkdirSync(empty);
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    running = record(
      makeGpioFeedbackDriver({
        chip: gpioset.chip,
        green: 27,
        scheduler,
        log,
        searchPath: empty,
      })(events$),
    );
    events$.next(events.in);
    advance(10_000);
    expect(running.error()).toBeUndefined();
    expect(logged).toEqual([
      'warn GPIO feedback off: gpioset not found: install libgpiod’s tools (sudo apt install gpiod)',
    ]);
    expect(gpioset.calls()).toEqual([]);
  });

  it('a failing write is logged once, the stream lives on, and later writes work', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    gpioset.failHolds(true);
    start(gpioset);
    const failures = (): number => gpioset.calls().filter((c) => c.kind === 'fail').length;
    await until(() => failures() >= 1, { what: 'first failure' });
    events$.next(events.in);
    await until(() => failures() >= 2);
    advance(200);
    await until(() => failures() >= 3);
    advance(800);
    await until(() => failures() >= 4);
    await until(() => logged.some((l) => l.startsWith('warn')), { what: 'the warning' });
    expect(logged.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(
        /^warn GPIO feedback: gpioset .* failed: gpioset: unable to request lines on chip .*Device or resource busy; the clock carries on without it$/,
      ),
    ]);
    expect(running?.error()).toBeUndefined();
    expect(running?.completed()).toBe(false);

    gpioset.failHolds(false);
    events$.next(events.out);
    await playThrough(gpioset, patterns.out);
    expect(holds(gpioset)).toHaveLength(patterns.out.length + 1);
    await until(() => logged.includes('info GPIO feedback works again'));
    expect(logged.filter((l) => l.startsWith('warn'))).toHaveLength(1);
  });
});

describe('gpioset command lines', () => {
  const request = { chip: 'gpiochip0', offsets: { buzzer: 17, red: 22 }, activeLow: false };
  const on: Lines = { buzzer: true, green: true, red: false };

  it('names chips as gpioset and /dev do', () => {
    expect(chipPath('gpiochip0')).toBe('/dev/gpiochip0');
    expect(chipPath('4')).toBe('/dev/gpiochip4');
    expect(chipPath('/dev/gpiochip4')).toBe('/dev/gpiochip4');
  });

  it('sets only the wired lines, holding or setting and exiting, in both generations', () => {
    expect(gpiosetArgs(1, request, on, true)).toEqual([
      '--mode=signal',
      'gpiochip0',
      '17=1',
      '22=0',
    ]);
    expect(gpiosetArgs(1, request, OFF, false)).toEqual([
      '--mode=exit',
      'gpiochip0',
      '17=0',
      '22=0',
    ]);
    expect(gpiosetArgs(2, request, on, true)).toEqual([
      '--chip',
      'gpiochip0',
      '--consumer',
      'badgeclock',
      '17=1',
      '22=0',
    ]);
    expect(gpiosetArgs(2, { ...request, activeLow: true }, OFF, false)).toEqual([
      '--chip',
      'gpiochip0',
      '--consumer',
      'badgeclock',
      '--active-low',
      '--toggle',
      '0',
      '17=0',
      '22=0',
    ]);
  });

  it('tells the libgpiod generation from --version', () => {
    expect(parseGpiosetVersion('gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018')).toBe(1);
    expect(parseGpiosetVersion('gpioset (libgpiod) v2.2.1\nCopyright')).toBe(2);
    expect(parseGpiosetVersion('gpioset: unknown option')).toBeNull();
  });
});

describe('GPIO feedback when the process exits without unsubscribing', () => {
  const tempDir = useTempDir('gpio-exit');

  it('turns the lines off and leaves no gpioset holding them', () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    const dist = join(__dirname, '..', 'dist', 'src', 'drivers', 'feedback', 'gpio');
    // A clock whose stream errors mid-pattern and exits at once, as a failed commit does.
    const script = `
      const { asyncScheduler, merge, Subject } = require('rxjs');
      const { makeGpioFeedbackDriver } = require(${JSON.stringify(join(dist, 'gpioFeedbackDriver.js'))});
      const events$ = new Subject();
      const log = { info: () => undefined, warn: (m) => console.error(m) };
      const driver = makeGpioFeedbackDriver({ chip: ${JSON.stringify(gpioset.chip)}, buzzer: 17,
        green: 27, red: 22, scheduler: asyncScheduler, log, searchPath: ${JSON.stringify(gpioset.dir)} });
      const failure$ = new Subject();
      merge(driver(events$), failure$).subscribe({ error: () => process.exit(1) });
      events$.next({ type: 'clock-in', at: 0, card: 'A1', name: 'A', reader: 'door', session: 's' });
      const held = () => require('fs').readFileSync(${JSON.stringify(join(gpioset.dir, 'calls.log'))}, 'utf8');
      const wait = () => (held().includes('17=1 27=1') ? failure$.error(new Error('disk full')) : setTimeout(wait, 10));
      setTimeout(wait, 10);
    `;
    const result = spawnSync(process.execPath, ['-e', script], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    const calls = gpioset.calls();
    expect(calls.some((c) => c.kind === 'hold' && c.args.endsWith('17=1 27=1 22=0'))).toBe(true);
    expect(calls.at(-1)).toMatchObject({
      kind: 'once',
      args: expect.stringMatching(/17=0 27=0 22=0$/) as unknown,
    });
    expect(calls.filter((c) => c.kind === 'hold' && alive(c.pid))).toEqual([]);
  });
});

describe('GPIO feedback in the running clock (built CLI)', () => {
  const tempDir = useTempDir('gpio-cli');
  let afterTerm: Clock | undefined;
  afterEach(async () => {
    // A failed expectation must not leave the clock (and its fake gpioset) running.
    if (afterTerm?.child.exitCode === null) await afterTerm.stop('SIGTERM');
    afterTerm = undefined;
  });

  it('a clock-in beeps with green on the configured lines, and SIGTERM leaves them off and released', async () => {
    const gpioset = fakeGpioset(tempDir(), '2.1.3');
    mkdirSync(join(tempDir(), 'data'));
    writeFileSync(join(tempDir(), 'data', 'people.csv'), 'card,name\nA1B2C3D4,Alice\n');
    const clock = new Clock(['run'], {
      cwd: tempDir(),
      env: {
        PATH: `${gpioset.dir}:${process.env.PATH ?? ''}`,
        BADGECLOCK_TZ: 'UTC',
        BADGECLOCK_TIME_SYNC: 'off',
        BADGECLOCK_READER_NAME: 'door',
        BADGECLOCK_DATA_DIR: join(tempDir(), 'data'),
        BADGECLOCK_GPIO_CHIP: gpioset.chip,
        BADGECLOCK_BUZZER_GPIO: '17',
        BADGECLOCK_GREEN_LED_GPIO: '27',
        BADGECLOCK_RED_LED_GPIO: '22',
      },
    });
    const chip = `--chip ${gpioset.chip} --consumer badgeclock`;
    const holdArgs = (): string[] =>
      gpioset
        .calls()
        .filter((c) => c.kind === 'hold')
        .map((c) => c.args);
    afterTerm = clock;
    await until(() => holdArgs().length >= 1, { ms: 10_000, what: 'the lines held off' });
    clock.write('A1B2C3D4\n');
    await clock.waitFor((c) => c.stdout.includes('Alice  in'));
    // The in pattern: a beep with green, green alone, then off (a second later, in real time).
    await until(() => holdArgs().length >= 4, { ms: 10_000, what: 'the in pattern' });
    expect(holdArgs()).toEqual([
      `${chip} 17=0 27=0 22=0`,
      `${chip} 17=1 27=1 22=0`,
      `${chip} 17=0 27=1 22=0`,
      `${chip} 17=0 27=0 22=0`,
    ]);
    expect(await clock.stop()).toBe(0);
    const calls = gpioset.calls();
    expect(calls.at(-1)).toMatchObject({
      kind: 'once',
      args: expect.stringContaining('17=0 27=0 22=0') as unknown,
    });
    expect(calls.filter((c) => c.kind === 'hold' && alive(c.pid))).toEqual([]);
  });
});
