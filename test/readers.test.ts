/**
 * Several readers on one clock: the `readers` list in the config, two RC522s
 * on one SPI bus (the real workers and mfrc522-rpi against two emulated
 * chips, a monitor on their shared bus), an RC522 beside a USB reader, and a
 * person clocking in at one reader and out at another. Worker threads run
 * the build (dist/): `npm test` builds first. Waits poll with a deadline.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { lastValueFrom, map, type Subscription } from 'rxjs';
import type { CardRead, ClockEvent, Output, ReadRejected } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer } from '../streams/sessions';
import { loadConfig, type Config } from '../src/config';
import { runDoctor } from '../src/doctor';
import { checkInputDevice } from '../src/drivers/reader/evdev/inputHelper';
import { encodeInputEvents, platformEventSize } from '../src/drivers/reader/evdev/inputEvents';
import {
  describeReaders,
  makeReader,
  makeReaders,
  readerSpecsOf,
  type ReaderSpec,
} from '../src/drivers/reader/readers';
import { ReaderCheckError, readerTestFor } from '../src/readerTest';
import { typedId } from './support/inputRecording';
import { BusMonitor, EmulatedField, virtualCard } from './support/mfrc522Emulator';
import { until } from './support/until';
import { useTempDir } from './support/useTempDir';

const emulatorModule = join(__dirname, '..', 'dist/test/support/mfrc522Emulator.js');

function configOf(file: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Config {
  const result = loadConfig({ env, flags: { ...flagsOf(file) } });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

/** Settings as a config file would hold them, through BADGECLOCK_* text where they are JSON. */
function flagsOf(file: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(file).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

function errorsOf(env: NodeJS.ProcessEnv): readonly string[] {
  const result = loadConfig({ env, cwd: '/nonexistent' });
  return result.ok ? [] : result.errors;
}

describe('the readers list in the configuration', () => {
  it.each([
    [
      'two RC522s on CE0 and CE1',
      [
        { kind: 'mfrc522', name: 'entrance', spiDevice: '/dev/spidev0.0' },
        { kind: 'mfrc522', name: 'exit', spiDevice: '/dev/spidev0.1' },
      ],
    ],
    [
      'an RC522 and a wedge reader',
      [
        { kind: 'mfrc522', name: 'door' },
        { kind: 'evdev', name: 'desk', inputDevice: '/dev/input/by-id/usb-Reader-event-kbd' },
      ],
    ],
    [
      'two wedge readers',
      [
        { kind: 'evdev', name: 'in', inputDevice: '/dev/input/by-id/usb-A-event-kbd' },
        {
          kind: 'evdev',
          name: 'out',
          inputDevice: '/dev/input/by-id/usb-B-event-kbd',
          inputGrab: false,
        },
      ],
    ],
  ])('takes %s from BADGECLOCK_READERS', (_, readers) => {
    const config = configOf({}, { BADGECLOCK_READERS: JSON.stringify(readers) });
    expect(readerSpecsOf(config).map((spec) => [spec.kind, spec.name])).toEqual(
      readers.map((entry) => [entry.kind, entry.name]),
    );
  });

  it('gives each RC522 its own SPI device and the shared settings it does not override', () => {
    const config = configOf(
      { pollMs: 50 },
      {
        BADGECLOCK_READERS: JSON.stringify([
          { kind: 'mfrc522', name: 'entrance', spiDevice: '/dev/spidev0.0' },
          {
            kind: 'mfrc522',
            name: 'exit',
            spiDevice: '/dev/spidev0.1',
            pollMs: 200,
            chipVersions: '0x88',
          },
        ]),
      },
    );
    expect(readerSpecsOf(config)).toEqual([
      {
        kind: 'mfrc522',
        name: 'entrance',
        spi: { kind: 'hardware', bus: 0, device: 0, speedHz: 1_000_000 },
        pollMs: 50,
        versions: [0x91, 0x92],
      },
      {
        kind: 'mfrc522',
        name: 'exit',
        spi: { kind: 'hardware', bus: 0, device: 1, speedHz: 1_000_000 },
        pollMs: 200,
        versions: [0x88],
      },
    ]);
    expect(describeReaders(config)).toBe('readers "entrance" (mfrc522), "exit" (mfrc522)');
  });

  it('keeps a single reader setting working: a list of one, named readerName', () => {
    const evdev = configOf({
      reader: 'evdev',
      readerName: 'front door',
      inputDevice: '/dev/input/by-id/usb-R-event-kbd',
      inputGrab: 'false',
    });
    expect(readerSpecsOf(evdev)).toEqual([
      {
        kind: 'evdev',
        name: 'front door',
        inputDevice: '/dev/input/by-id/usb-R-event-kbd',
        inputGrab: false,
      },
    ]);
    expect(describeReaders(evdev)).toBe('evdev reader "front door"');
    expect(readerSpecsOf(configOf({ readerName: 'desk' }))).toEqual([
      { kind: 'keyboard', name: 'desk' },
    ]);
  });

  it('names every problem by its key, inside the list too', () => {
    expect(errorsOf({ BADGECLOCK_READER: 'evdev' })).toEqual([
      expect.stringMatching(
        /^inputDevice \(BADGECLOCK_READER\): the evdev reader needs its device; set BADGECLOCK_INPUT_DEVICE/,
      ) as unknown,
    ]);
    expect(errorsOf({ BADGECLOCK_INPUT_GRAB: 'maybe' })).toEqual([
      expect.stringMatching(/^inputGrab \(BADGECLOCK_INPUT_GRAB\): .*got "maybe"/) as unknown,
    ]);
    expect(
      errorsOf({
        BADGECLOCK_READERS: JSON.stringify([
          { kind: 'mfrc522', name: 'door', spiDevice: '/dev/spi0' },
          { kind: 'wiegand', name: 'gate' },
          { kind: 'evdev', name: 'desk' },
        ]),
      }),
    ).toEqual([
      expect.stringMatching(
        /^readers\[0\]\.spiDevice \(BADGECLOCK_READERS\): expected a spidev path/,
      ) as unknown,
      expect.stringMatching(
        /^readers\[1\]\.kind \(BADGECLOCK_READERS\): expected kind "keyboard", "mfrc522" or "evdev"/,
      ) as unknown,
      expect.stringMatching(/^readers\[2\]\.inputDevice \(BADGECLOCK_READERS\): /) as unknown,
    ]);
  });

  it('refuses two readers with one name, one SPI device or one input device, and reader beside readers', () => {
    expect(
      errorsOf({
        BADGECLOCK_READER: 'mfrc522',
        BADGECLOCK_READERS: JSON.stringify([
          { kind: 'mfrc522', name: 'door' },
          { kind: 'mfrc522', name: 'door', spiDevice: '/dev/spidev0.1' },
          { kind: 'mfrc522', name: 'exit', spiDevice: '/dev/spidev0.0' },
          { kind: 'evdev', name: 'a', inputDevice: '/dev/input/event3' },
          { kind: 'evdev', name: 'b', inputDevice: '/dev/input/event3' },
        ]),
      }),
    ).toEqual([
      'readers (BADGECLOCK_READERS): reader (BADGECLOCK_READER) is set too; use one: reader for a single reader, readers for several',
      `readers[1].name (BADGECLOCK_READERS): the name "door" is already readers[0]'s`,
      `readers[2].spiDevice (BADGECLOCK_READERS): /dev/spidev0.0 is already readers[0]'s`,
      `readers[4].inputDevice (BADGECLOCK_READERS): /dev/input/event3 is already readers[3]'s`,
    ]);
  });
});

type ReaderEvent = CardRead | ReadRejected;
const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

function collect(reads$: ReturnType<typeof makeReaders>): ReaderEvent[] {
  const events: ReaderEvent[] = [];
  subscriptions.push(
    reads$.subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => {
        events.push({ type: 'readRejected', at: 0, reader: 'test', reason: String(error) });
      },
    }),
  );
  return events;
}

const readsOf = (events: readonly ReaderEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'cardRead' ? [`${e.reader}:${e.card}`] : []));

function rc522(name: string, field: EmulatedField, bus: BusMonitor, chipId: number): ReaderSpec {
  return {
    kind: 'mfrc522',
    name,
    spi: {
      kind: 'module',
      module: emulatorModule,
      options: { field: field.buffer, bus: bus.buffer, chipId },
    },
    pollMs: 20,
    versions: [0x91, 0x92],
  };
}

const io = { stdin: Readable.from([]), now: Date.now };

describe('two RC522s on one SPI bus', () => {
  it('each read carries its reader, and their conversations never interleave on the bus', async () => {
    const bus = new BusMonitor();
    const [entrance, exit] = [new EmulatedField(), new EmulatedField()];
    const events = collect(
      makeReaders([rc522('entrance', entrance, bus, 1), rc522('exit', exit, bus, 2)], io),
    );
    entrance.place(virtualCard('DEADBEEF'));
    exit.place(virtualCard('04A3C6CAE26180'));
    await until(() => bus.turns >= 100, { what: '100 turns on the bus', ms: 20_000, everyMs: 10 });
    expect(new Set(readsOf(events))).toEqual(new Set(['entrance:DEADBEEF', 'exit:04A3C6CAE26180']));
    expect(bus.interleavings).toBe(0);
  });

  it('(the monitor catches interleaving: the same chips without a shared lock do interleave)', async () => {
    const bus = new BusMonitor();
    const [a, b] = [new EmulatedField(), new EmulatedField()];
    // Each reader gets its own lock map: two locks for one bus, so nothing keeps them apart.
    collect(makeReader(rc522('a', a, bus, 1), io, new Map()));
    collect(makeReader(rc522('b', b, bus, 2), io, new Map()));
    await until(() => bus.interleavings > 0, { what: 'an interleaving', ms: 20_000, everyMs: 10 });
  });
});

describe('an RC522 and a USB reader on one clock', () => {
  const dir = useTempDir('readers');

  it('clock in at one reader and out at the other: each tap keeps its reader', async () => {
    const field = new EmulatedField();
    const device = join(dir(), 'event-kbd');
    expect(spawnSync('mkfifo', [device]).status).toBe(0);
    const events = collect(
      makeReaders(
        [
          rc522('entrance', field, new BusMonitor(), 1),
          { kind: 'evdev', name: 'desk', inputDevice: device, inputGrab: false },
        ],
        io,
      ),
    );
    field.place(virtualCard('DEADBEEF'));
    await until(() => readsOf(events).includes('entrance:DEADBEEF'), {
      what: 'the RC522 read',
      ms: 10_000,
    });
    field.clearCards();
    // The same badge at the desk, typed in hex by the wedge reader.
    const handle = await open(device, 'w');
    await handle.write(encodeInputEvents(typedId('deadbeef', 0), platformEventSize()));
    await until(() => readsOf(events).includes('desk:DEADBEEF'), {
      what: 'the desk read',
      ms: 10_000,
    });
    await handle.close();

    // The first sighting at each reader, an hour apart, through the one reducer.
    const first = (reader: string): CardRead => {
      const read = events.find((e): e is CardRead => e.type === 'cardRead' && e.reader === reader);
      if (read === undefined) throw new Error(`no read from ${reader}`);
      return read;
    };
    const T0 = Date.UTC(2026, 2, 23, 8, 0, 0);
    const taps: ClockEvent[] = [
      { ...first('entrance'), at: T0 },
      { ...first('desk'), at: T0 + 3_600_000 },
    ];
    const reduce = makeReducer(defaultRules('UTC'));
    let state = initialState;
    const out: Output[] = [];
    for (const tap of taps) {
      const step = reduce(state, tap);
      state = step.state;
      out.push(...step.out);
    }
    const sessions = out.flatMap((o) =>
      o.type === 'clock-in' || o.type === 'clock-out' ? [[o.type, o.reader]] : [],
    );
    expect(sessions).toEqual([
      ['clock-in', 'entrance'],
      ['clock-out', 'desk'],
    ]);
  });

  it('reader test probes every reader and stops at a device that is not an input device', async () => {
    const device = join(dir(), 'not-a-device');
    await writeFile(device, '');
    const config = configOf(
      {},
      {
        BADGECLOCK_READERS: JSON.stringify([
          { kind: 'keyboard', name: 'console' },
          { kind: 'evdev', name: 'desk', inputDevice: device },
        ]),
        BADGECLOCK_TZ: 'UTC',
      },
    );
    const lines: string[] = [];
    const failure = await lastValueFrom(
      readerTestFor(config, io).pipe(
        map((line) => {
          lines.push(line);
          return null;
        }),
      ),
      { defaultValue: null },
    ).catch((error: unknown) => error);
    expect(lines).toEqual([
      'keyboard reader (stdin) ("console"): no chip to probe (a keyboard-wedge reader types each card id, then Enter)',
    ]);
    expect(failure).toBeInstanceOf(ReaderCheckError);
    expect(String(failure)).toMatch(
      new RegExp(
        `✖ USB reader on ${device} \\("desk"\\): ${device} is not an input device .*\\n  fix: see the README`,
      ),
    );
  });

  it('doctor checks each USB reader: there, a keyboard, grabbable', async () => {
    const base = configOf(
      {},
      {
        BADGECLOCK_DATA_DIR: dir(),
        BADGECLOCK_READERS: JSON.stringify([
          { kind: 'evdev', name: 'in', inputDevice: '/dev/input/by-id/usb-A-event-kbd' },
          { kind: 'evdev', name: 'out', inputDevice: join(dir(), 'missing') },
        ]),
      },
    );
    const checks = await runDoctor(base, {
      checkInput: (device) =>
        device.endsWith('usb-A-event-kbd')
          ? Promise.resolve({ ok: true, keyboard: true, grab: 'busy' })
          : checkInputDevice(device),
    });
    const readers = checks.filter((check) => /input/.test(check.name));
    expect(readers).toEqual([
      {
        name: 'input device (in)',
        ok: true,
        detail: '/dev/input/by-id/usb-A-event-kbd opens and has the keys of a keyboard',
      },
      {
        name: 'input grab (in)',
        ok: 'skip',
        detail: expect.stringContaining('grabbed by another program: the running clock') as unknown,
      },
      {
        name: 'input device (out)',
        ok: false,
        detail: expect.stringContaining(
          `input device ${join(dir(), 'missing')} does not exist`,
        ) as unknown,
        fix: expect.stringContaining('ls -l /dev/input/by-id/') as unknown,
      },
    ]);
  });
});
