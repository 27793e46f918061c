/**
 * The /dev/input (evdev) reader: recorded input_event bytes, in both record
 * layouts, through the real python3 helper reading a file or a FIFO, and
 * through a fake helper where the real grab cannot run (this machine has no
 * /dev/input). Waits poll a condition with a deadline; nothing sleeps.
 */
import { spawnSync } from 'node:child_process';
import { open, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { makeEvdevReader, type EvdevReaderOptions } from '../src/drivers/reader/evdev/evdevReader';
import {
  encodeInputEvents,
  InputEventDecoder,
  platformEventSize,
  type InputEvent,
  type InputEventSize,
} from '../src/drivers/reader/evdev/inputEvents';
import { INPUT_HELPER_SCRIPT } from '../src/drivers/reader/evdev/inputHelper';
import { KeyIdAssembler, type KeyOutcome } from '../src/drivers/reader/evdev/keyIds';
import type { CardRead, ReadRejected } from '../streams/events';
import { fakeInputHelper, key, typed, typedId } from './support/inputRecording';
import { until } from './support/until';
import { useTempDir } from './support/useTempDir';

const T0 = Date.UTC(2026, 2, 23, 8, 0, 0);
const layouts: InputEventSize[] = [16, 24];

function assemble(events: readonly InputEvent[]): KeyOutcome[] {
  const keys = new KeyIdAssembler({ maxLength: 64, gapMs: 1_000 });
  return events.flatMap((event) => keys.push(event));
}

describe('input_event records', () => {
  it.each(layouts)('decode the same in the %i-byte layout, however the bytes are split', (size) => {
    const events = typedId('0004629512', T0);
    const bytes = encodeInputEvents(events, size);
    expect(bytes.length).toBe(events.length * size);
    for (const chunk of [1, 5, size - 1, size, size + 3, 4096]) {
      const decoder = new InputEventDecoder(size);
      const decoded: InputEvent[] = [];
      for (let at = 0; at < bytes.length; at += chunk) {
        decoded.push(...decoder.push(bytes.subarray(at, at + chunk)));
      }
      expect(decoded).toEqual(events);
      expect(decoder.pending).toBe(0);
    }
  });

  it('are 24 bytes in a 64-bit process and 16 in a 32-bit one (Raspberry Pi OS armhf)', () => {
    expect(platformEventSize('arm64')).toBe(24);
    expect(platformEventSize('x64')).toBe(24);
    expect(platformEventSize('arm')).toBe(16);
    expect(platformEventSize('ia32')).toBe(16);
  });

  it('read in the wrong layout do not give the id', () => {
    const bytes = encodeInputEvents(typedId('12345678', T0), 24);
    const outcomes = assemble(new InputEventDecoder(16).push(bytes));
    expect(outcomes).not.toContainEqual({ kind: 'id', text: '12345678' });
  });
});

describe('card ids from key presses', () => {
  it('a fast typist: ten digits and Enter within 20 ms are one id', () => {
    expect(assemble(typedId('0004629512', T0, 1))).toEqual([{ kind: 'id', text: '0004629512' }]);
  });

  it('takes the keypad digits and keypad Enter', () => {
    const keys = ['kp0', 'kp1', 'kp2', 'kp3', 'kp4', 'kp5', 'kp6', 'kp7', 'kp8', 'kp9', 'kpenter'];
    expect(assemble(typed(keys, T0))).toEqual([{ kind: 'id', text: '0123456789' }]);
  });

  it('takes hex letters A-F with and without shift', () => {
    const keys = ['^d', 'e', '^a', 'd', 'b', '^e', 'e', 'f', 'enter'];
    expect(assemble(typed(keys, T0))).toEqual([{ kind: 'id', text: 'DEADBEEF' }]);
  });

  it('types a key held down once: autorepeat events are not keystrokes', () => {
    const held = [
      ...key('1', 1, T0),
      ...key('1', 2, T0 + 250),
      ...key('1', 2, T0 + 283),
      ...key('1', 2, T0 + 316),
      ...key('1', 0, T0 + 330),
    ];
    expect(assemble([...held, ...typedId('234', T0 + 340)])).toEqual([
      { kind: 'id', text: '1234' },
    ]);
  });

  it('reports a key that is not part of an id once, and drops that id only', () => {
    const events = [
      ...typed(['1', '2', 'g', '3', 'tab', '4', 'enter'], T0),
      ...typedId('5678', T0 + 100),
    ];
    expect(assemble(events)).toEqual([
      {
        kind: 'rejected',
        reason: 'key G is not part of a card id (after "12"); the id is dropped',
      },
      { kind: 'id', text: '5678' },
    ]);
  });

  it('does not take shift+digit (a symbol) as the digit', () => {
    expect(assemble(typed(['1', '^2', 'enter'], T0))).toEqual([
      {
        kind: 'rejected',
        reason: 'key shift+2 is not part of a card id (after "1"); the id is dropped',
      },
    ]);
  });

  it('drops a half-typed id when the next key comes after a pause, and reads the next id', () => {
    const events = [...typed(['1', '2', '3'], T0), ...typedId('0004629512', T0 + 2_500)];
    expect(assemble(events)).toEqual([
      { kind: 'rejected', reason: 'half-typed card id "123", then no key for 2.5 s; dropped' },
      { kind: 'id', text: '0004629512' },
    ]);
  });

  it('says so for an Enter with nothing before it, and for an endless run of keys', () => {
    expect(assemble(typed(['enter'], T0))).toEqual([
      { kind: 'rejected', reason: 'Enter with no card id before it; ignored' },
    ]);
    expect(assemble(typedId('1'.repeat(70), T0, 1))).toEqual([
      { kind: 'rejected', reason: 'more than 64 keys without Enter is not a card id; dropped' },
    ]);
  });
});

type ReaderEvent = CardRead | ReadRejected;

interface Running {
  readonly events: ReaderEvent[];
  stop(): void;
}

const running: Running[] = [];
afterEach(() => {
  for (const run of running.splice(0)) run.stop();
});

function start(options: Partial<EvdevReaderOptions> & { device: string }): Running {
  const events: ReaderEvent[] = [];
  const subscription: Subscription = makeEvdevReader({
    reader: 'desk',
    now: Date.now,
    restart: { baseMs: 10, capMs: 50, stableMs: 60_000 },
    ...options,
  }).subscribe({
    next: (event) => events.push(event),
    error: (error: unknown) => {
      events.push({ type: 'readRejected', at: Date.now(), reader: 'test', reason: String(error) });
    },
  });
  const run = {
    events,
    stop: () => {
      subscription.unsubscribe();
    },
  };
  running.push(run);
  return run;
}

const reads = (run: Running): string[] =>
  run.events.flatMap((e) => (e.type === 'cardRead' ? [e.card] : []));
const faults = (run: Running): string[] =>
  run.events.flatMap((e) => (e.type === 'readRejected' ? [e.reason] : []));

/** Opens a FIFO for writing (resolves once the helper has it open for reading). */
async function plugIn(
  fifo: string,
): Promise<{ write: (b: Buffer) => Promise<void>; unplug: () => Promise<void> }> {
  const handle = await open(fifo, 'w');
  return {
    write: async (bytes) => {
      await handle.write(bytes);
    },
    unplug: () => handle.close(),
  };
}

/** The real helper, run through a shell that counts its runs. */
function countingHelper(dir: string): { helper: string[]; runs: () => number } {
  const log = join(dir, 'runs.log');
  return {
    helper: ['sh', '-c', `echo run >> '${log}'; exec python3 -c "$0" "$@"`, INPUT_HELPER_SCRIPT],
    runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0),
  };
}

const mkfifo = (path: string): void => {
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
};

describe('the evdev reader (the real python3 helper, no grab)', () => {
  const dir = useTempDir('evdev');

  it.each(layouts)(
    'reads ids from recorded %i-byte input_event records, with the reader name',
    async (size) => {
      const device = join(dir(), 'event-kbd');
      await writeFile(
        device,
        encodeInputEvents([...typedId('0004629512', T0), ...typedId('deadbeef', T0 + 500)], size),
      );
      // A file ends: the reader says the device went away, and does not read it again meanwhile.
      const run = start({
        device,
        grab: false,
        eventSize: size,
        restart: { baseMs: 60_000, capMs: 60_000 },
      });
      await until(() => faults(run).length > 0, { what: 'the end of the recording', ms: 10_000 });
      expect(reads(run)).toEqual(['0004629512', 'DEADBEEF']);
      expect(run.events[0]).toEqual({
        type: 'cardRead',
        at: expect.any(Number) as unknown,
        card: '0004629512',
        reader: 'desk',
      });
      expect(faults(run)).toEqual([
        `input device ${device} went away (unplugged?); reading it again as soon as it is back`,
      ]);
    },
  );

  it('survives unplug and replug: one fault, a half-typed id reported, then reads again', async () => {
    const device = join(dir(), 'event-kbd');
    mkfifo(device);
    const size = platformEventSize();
    const { helper, runs } = countingHelper(dir());
    const run = start({ device, grab: false, helper });
    const first = await plugIn(device);
    await first.write(encodeInputEvents(typedId('1111', T0), size));
    await until(() => reads(run).length === 1, { what: 'the first id', ms: 10_000 });
    // Half an id, then the cable is pulled and the device node is gone for a while.
    await first.write(encodeInputEvents(typed(['2', '2'], T0 + 1_000), size));
    rmSync(device);
    await first.unplug();
    await until(() => faults(run).length >= 2, { what: 'the unplug', ms: 10_000 });
    // The helper is started again and again with backoff while the device is missing...
    const before = run.events.length;
    const attempts = runs();
    await until(() => runs() >= attempts + 3, { what: 'three more attempts', ms: 10_000 });
    mkfifo(device);
    const second = await plugIn(device);
    await second.write(encodeInputEvents(typedId('3333', T0 + 60_000), size));
    await until(() => reads(run).length === 2, { what: 'an id after the replug', ms: 10_000 });
    expect(reads(run)).toEqual(['1111', '3333']);
    // ...and the fault was said once: "went away" and "does not exist" are one incident.
    expect(faults(run)).toEqual([
      'half-typed card id "22", when the device went away; dropped',
      `input device ${device} went away (unplugged?); reading it again as soon as it is back`,
    ]);
    expect(run.events.length).toBe(before + 1);
    await second.unplug();
  });

  it('names the device and how to find its path when it does not exist, once', async () => {
    const device = join(dir(), 'by-id', 'usb-Reader-event-kbd');
    const { helper, runs } = countingHelper(dir());
    const run = start({ device, grab: false, helper });
    // The helper fails a few times: the same fault is not said again.
    await until(() => runs() >= 3, { what: 'three attempts', ms: 10_000 });
    expect(faults(run)).toEqual([
      `input device ${device} does not exist: is the reader plugged in? find its path with ls -l /dev/input/by-id/ (the entry ending in -event-kbd) and set inputDevice (BADGECLOCK_INPUT_DEVICE) to it`,
    ]);
  });

  it('says a file that cannot be grabbed is not an input device (the real EVIOCGRAB)', async () => {
    const device = join(dir(), 'not-a-device');
    await writeFile(device, '');
    const run = start({ device });
    await until(() => faults(run).length > 0, { what: 'a fault', ms: 10_000 });
    expect(faults(run)[0]).toMatch(
      new RegExp(
        `^${device} is not an input device \\(grab: .*\\): find its path with ls -l /dev/input/by-id/`,
      ),
    );
  });

  it('says python3 is missing when the helper cannot start', async () => {
    const run = start({ device: '/dev/input/event0', helper: [join(dir(), 'no-python3')] });
    await until(() => faults(run).length > 0, { what: 'a fault', ms: 10_000 });
    expect(faults(run)).toEqual([
      'the evdev reader runs a small python3 helper to grab the device, and python3 was not found: sudo apt install python3',
    ]);
  });
});

describe('the evdev reader grabbing the device (a fake helper: no /dev/input here)', () => {
  const dir = useTempDir('evdev-grab');

  it('asks the helper to grab by default, and not with inputGrab false', async () => {
    const fake = fakeInputHelper(dir());
    const device = join(dir(), 'event-kbd');
    await writeFile(device, encodeInputEvents(typedId('0004629512', T0), platformEventSize()));
    const slow = { baseMs: 60_000, capMs: 60_000 };
    const grabbed = start({ device, helper: fake.helper, restart: slow });
    await until(() => reads(grabbed).length > 0, { what: 'a read', ms: 10_000 });
    const shared = start({ device, helper: fake.helper, grab: false, restart: slow });
    await until(() => reads(shared).length > 0, { what: 'a read', ms: 10_000 });
    expect(fake.calls()).toEqual([`read ${device} --grab`, `read ${device}`]);
  });

  it.each([
    [
      13,
      'grab: Device or resource busy',
      'is grabbed by another program (a clock or reader test already running?): stop it, or set inputGrab to false',
    ],
    [
      11,
      'open: Permission denied',
      "no permission to read input device DEVICE: add the clock's user to the input group (sudo usermod -aG input badgeclock",
    ],
  ])('turns helper exit %i into a message with the fix', async (code, message, says) => {
    const fake = fakeInputHelper(dir());
    fake.fail({ code, message });
    const device = join(dir(), 'event-kbd');
    const run = start({ device, helper: fake.helper });
    await until(() => fake.calls().length >= 3, { what: 'three attempts', ms: 10_000 });
    expect(faults(run)).toEqual([
      expect.stringContaining(says.replace('DEVICE', device)) as unknown,
    ]);
    // Fixed (the group added, the other program stopped): it reads, with no restart of the clock.
    await writeFile(device, encodeInputEvents(typedId('42', T0), platformEventSize()));
    fake.fail(null);
    await until(() => reads(run).length > 0, { what: 'a read once fixed', ms: 10_000 });
    expect(reads(run)[0]).toBe('42');
  });
});
