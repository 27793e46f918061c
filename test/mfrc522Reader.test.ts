/**
 * The MFRC522 reader end to end: its worker thread runs the real mfrc522-rpi
 * code against the emulated chip, whose field (cards, faults) this test holds
 * in shared memory. Waits poll a condition with a deadline; nothing sleeps.
 *
 * Worker threads run JavaScript, so the worker and the emulator come from the
 * build (dist/): `npm test` builds first; after editing them, `npm run build`.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import type { CardRead, ReadRejected } from '../streams/events';
import {
  makeMfrc522Reader,
  workerScript,
  type Mfrc522ReaderOptions,
} from '../src/drivers/reader/mfrc522/mfrc522Reader';
import { TWO_CARDS } from '../src/drivers/reader/mfrc522/sessionReads';
import { EmulatedField, virtualCard, type EmulatorOptions } from './support/mfrc522Emulator';

const root = join(__dirname, '..');
const emulatorModule = join(root, 'dist/test/support/mfrc522Emulator.js');

/** The build must be at least as new as the sources the worker runs. */
function assertBuilt(): void {
  const pairs: [string, string][] = [
    ['test/support/mfrc522Emulator.ts', emulatorModule],
    ...['worker', 'poller', 'uid', 'spi', 'mfrc522Rpi', 'protocol'].map(
      (name): [string, string] => [
        `src/drivers/reader/mfrc522/${name}.ts`,
        join(root, `dist/src/drivers/reader/mfrc522/${name}.js`),
      ],
    ),
  ];
  for (const [source, built] of pairs) {
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(root, source)).mtimeMs) {
      throw new Error(`${built} is missing or older than ${source}: run npm run build`);
    }
  }
  expect(workerScript()).toBe(join(root, 'dist/src/drivers/reader/mfrc522/worker.js'));
}

type ReaderEvent = CardRead | ReadRejected;

interface Running {
  readonly field: EmulatedField;
  readonly events: ReaderEvent[];
  stop(): void;
}

const running: Running[] = [];

function start(
  options: Partial<Mfrc522ReaderOptions> = {},
  chip: Omit<EmulatorOptions, 'field'> = {},
  field = new EmulatedField(),
): Running {
  const events: ReaderEvent[] = [];
  const subscription: Subscription = makeMfrc522Reader({
    reader: 'door',
    now: Date.now,
    pollMs: 20,
    restart: { baseMs: 20, capMs: 100, stableMs: 10_000 },
    spi: { kind: 'module', module: emulatorModule, options: { field: field.buffer, ...chip } },
    ...options,
  }).subscribe({
    next: (event) => events.push(event),
    // The reader never errors (faults are events); if it did, the waits would time out saying so.
    error: (error: unknown) => {
      events.push({ type: 'readRejected', at: Date.now(), reader: 'test', reason: String(error) });
    },
  });
  const run: Running = {
    field,
    events,
    stop: () => {
      subscription.unsubscribe();
    },
  };
  running.push(run);
  return run;
}

/** Waits until `condition` holds, checking every 10 ms, failing after `ms`. */
async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const reads = (run: Running): string[] =>
  run.events.flatMap((e) => (e.type === 'cardRead' ? [e.card] : []));
const faults = (run: Running): string[] =>
  run.events.flatMap((e) => (e.type === 'readRejected' ? [e.reason] : []));

beforeAll(assertBuilt);

afterEach(async () => {
  for (const run of running.splice(0)) {
    run.stop();
    // Every chip a worker opened is closed again: the workers stopped.
    await until(() => run.field.closes >= run.field.opens, 'the worker to stop');
  }
});

describe('the MFRC522 reader (worker thread, emulated chip)', () => {
  it('reads a 7-byte card placed on the antenna whole, with its time and reader', async () => {
    const run = start();
    const before = Date.now();
    run.field.place(virtualCard('04A3C6CAE26180'));
    await until(() => reads(run).length > 0, 'a read');
    const [first] = run.events;
    expect(first).toEqual({
      type: 'cardRead',
      at: expect.any(Number) as unknown,
      card: '04A3C6CAE26180',
      reader: 'door',
    });
    expect(first?.at).toBeGreaterThanOrEqual(before - 50);
    expect(first?.at).toBeLessThanOrEqual(Date.now());
    expect(faults(run)).toEqual([]);
  });

  it('reports a held card on every poll, and nothing once it is taken away', async () => {
    const run = start();
    const card = virtualCard('0455667788990A0B0C0D');
    run.field.place(card);
    await until(() => reads(run).length >= 5, 'five sightings');
    // Each sighting has its own time: the core's debounce makes them one tap.
    const times = run.events.map((e) => e.at);
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] ?? 0))).toBe(true);
    run.field.remove(card);
    const afterRemoval = reads(run).length;
    // Ten more polls (each starts with a WUPA, plus an HLTA when a card answered).
    const frames = run.field.frames;
    await until(() => run.field.frames >= frames + 20, 'ten more polls');
    // At most the poll under way when the card left still reports it.
    expect(reads(run).length - afterRemoval).toBeLessThanOrEqual(1);
    expect(new Set(reads(run))).toEqual(new Set(['0455667788990A0B0C0D']));
    expect(run.field.opens).toBe(1);
  });

  it('refuses a random UID (a phone) once per presentation, never as a card read', async () => {
    const run = start();
    const phone = virtualCard('08A1B2C3');
    run.field.place(phone);
    const frames = run.field.frames;
    // Ten polls see the phone (each is a WUPA and an HLTA).
    await until(() => run.field.frames >= frames + 20, 'ten polls');
    run.field.remove(phone);
    run.field.place(virtualCard('DEADBEEF'));
    await until(() => reads(run).length > 0, 'the badge after it');
    expect(reads(run)).toEqual(['DEADBEEF']);
    expect(faults(run)).toEqual([
      expect.stringMatching(/^card 08A1B2C3 has a random UID .* cannot be a badge/) as unknown,
    ]);
    // Named, so the core gives it the unknown-card feedback rather than a reader fault.
    expect(run.events.find((e) => e.type === 'readRejected')).toEqual(
      expect.objectContaining({ card: '08A1B2C3' }),
    );
  });

  it('reads two cards in turn', async () => {
    const run = start();
    const a = virtualCard('04A3C6CAE26180');
    const b = virtualCard('DEADBEEF');
    run.field.place(a);
    await until(() => reads(run).includes('04A3C6CAE26180'), 'card A');
    run.field.remove(a);
    run.field.place(b);
    await until(() => reads(run).includes('DEADBEEF'), 'card B');
    const order = reads(run);
    expect(order.indexOf('DEADBEEF')).toBeGreaterThan(order.lastIndexOf('04A3C6CAE26180'));
  });

  it.each([
    ['the same ATQA (two MIFARE Classic)', 'DEADBEEF', 'DEAD0001'],
    ['different ATQAs (a Classic and an NTAG)', 'DEADBEEF', '04A3C6CAE26180'],
  ])(
    'says "two cards on the reader" once per presentation for %s, reads neither, then the one left',
    async (_, a, b) => {
      const run = start();
      run.field.place(virtualCard(a));
      run.field.place(virtualCard(b));
      await until(() => faults(run).includes(TWO_CARDS), 'the two-cards rejection');
      const frames = run.field.frames;
      // Ten more polls of both cards (each a WUPA and an HLTA at least) say nothing more.
      await until(() => run.field.frames >= frames + 20, 'ten more polls');
      expect(faults(run)).toEqual([TWO_CARDS]);
      // At most the first card, alone for a moment before the second was placed; never b.
      expect(reads(run).every((card) => card === a)).toBe(true);
      run.field.remove(a);
      await until(() => reads(run).includes(b), 'the card left on the reader');
      expect(faults(run)).toEqual([TWO_CARDS]);
    },
  );

  it('reports a dead chip once, restarts the worker with backoff, and recovers when it returns', async () => {
    const run = start();
    const card = virtualCard('DEADBEEF');
    run.field.place(card);
    await until(() => reads(run).length > 0, 'a first read');
    run.field.setChip('stuckLow');
    await until(() => faults(run).length > 0, 'a fault');
    const opensAtFault = run.field.opens;
    await until(() => run.field.opens >= opensAtFault + 3, 'three restarts');
    expect(faults(run)).toEqual([
      expect.stringContaining('VersionReg reads 0x00: no MFRC522 answers on SPI') as unknown,
    ]);
    const readsWhileDead = reads(run).length;
    run.field.setChip('ok');
    await until(() => reads(run).length > readsWhileDead, 'a read after recovery');
    expect(faults(run)).toHaveLength(1);
  });

  it('reports a crashed worker and reads again once the bus works', async () => {
    const run = start();
    // Polling, not merely opened: an error while the chip is still being set up is "cannot
    // open the MFRC522", not a crash (the race a loaded machine once showed).
    await until(() => run.field.frames > 0, 'the first poll');
    run.field.setSpiError('EIO: i/o error, ioctl SPI_IOC_MESSAGE');
    await until(() => faults(run).length > 0, 'a fault');
    expect(faults(run)).toEqual([
      "the reader's worker crashed: EIO: i/o error, ioctl SPI_IOC_MESSAGE",
    ]);
    run.field.setSpiError(null);
    run.field.place(virtualCard('04A3C6CAE26180'));
    await until(() => reads(run).length > 0, 'a read after the crash');
  });

  it('says why when the SPI cannot be opened', async () => {
    const run = start({ spi: { kind: 'hardware', bus: 9, device: 9 } });
    await until(() => faults(run).length > 0, 'a fault');
    // Without spi-device (macOS) it says so; with it, that /dev/spidev9.9 is missing.
    expect(faults(run)[0]).toMatch(/^cannot open the MFRC522: .*(spidev9\.9|spi-device)/);
  });

  it('refuses a worker script that is not there', () => {
    expect(() =>
      makeMfrc522Reader({ reader: 'door', now: Date.now, workerScript: '/nowhere/worker.js' }),
    ).toThrow(/run npm run build/);
  });

  it("keeps the main thread's event loop responsive while the worker blocks on the bus", async () => {
    // A slow bus: each transfer blocks the worker 3 ms, so a poll blocks it for a few hundred ms.
    // Were that on the main thread, its timers would run hundreds of ms late.
    const run = start({ pollMs: 50 }, { realtime: true, transferOverheadUs: 3_000 });
    run.field.place(virtualCard('DEADBEEF'));
    await until(() => reads(run).length > 0, 'a first read', 20_000);
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    const readsBefore = reads(run).length;
    const framesBefore = run.field.frames;
    histogram.enable();
    await until(() => reads(run).length >= readsBefore + 2, 'two more reads', 20_000);
    histogram.disable();
    // The worker was busy the whole time (each read takes it ~700 ms of bus time)...
    expect(run.field.frames - framesBefore).toBeGreaterThanOrEqual(8);
    expect(run.field.opens).toBe(1);
    // ...while this thread's timers ran on time (generous for a shared CI machine).
    expect(histogram.max / 1e6).toBeLessThan(250);
  }, 30_000);
});
