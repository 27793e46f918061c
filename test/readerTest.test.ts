/**
 * `badgeclock reader test` and the doctor's chip check, on the emulated RC522:
 * the real worker and mfrc522-rpi code read VersionReg and poll the chip.
 * Worker threads run the build (dist/): `npm test` builds first.
 */
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import {
  makeMfrc522Reader,
  probeMfrc522,
  type ChipProbe,
} from '../src/drivers/reader/mfrc522/mfrc522Reader';
import type { SpiSpec } from '../src/drivers/reader/mfrc522/spi';
import { ReaderCheckError, readerTest } from '../src/readerTest';
import { EmulatedField, virtualCard } from './support/mfrc522Emulator';
import { runCli } from './support/runCli';
import { until } from './support/until';

const emulatorModule = join(__dirname, '..', 'dist/test/support/mfrc522Emulator.js');

const spiOf = (field: EmulatedField, version?: number): SpiSpec => ({
  kind: 'module',
  module: emulatorModule,
  options: { field: field.buffer, ...(version === undefined ? {} : { version }) },
});

interface Run {
  readonly lines: string[];
  error: unknown;
  done: boolean;
}

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

function runTest(field: EmulatedField, version?: number, versions?: number[]): Run {
  const run: Run = { lines: [], error: null, done: false };
  const spi = spiOf(field, version);
  subscriptions.push(
    readerTest({
      what: 'RC522 on /dev/spidev0.0',
      probe: () => probeMfrc522({ spi, ...(versions === undefined ? {} : { versions }) }),
      reads$: makeMfrc522Reader({
        reader: 'door',
        now: Date.now,
        pollMs: 20,
        spi,
        ...(versions === undefined ? {} : { versions }),
      }),
      zone: 'UTC',
      gapMs: 500,
      uidLengths: true,
    }).subscribe({
      next: (line) => run.lines.push(line),
      error: (error: unknown) => {
        run.error = error;
        run.done = true;
      },
      complete: () => {
        run.done = true;
      },
    }),
  );
  return run;
}

describe('probing the RC522', () => {
  it('reads VersionReg and names a genuine MFRC522 v2.0', async () => {
    const probe = await probeMfrc522({ spi: spiOf(new EmulatedField()) });
    expect(probe).toEqual<ChipProbe>({
      ok: true,
      version: 0x92,
      detail: 'VersionReg 0x92: MFRC522 v2.0',
    });
  });

  it('opens the bus once, sends no frame to a card, and has closed it when it answers', async () => {
    const field = new EmulatedField();
    await probeMfrc522({ spi: spiOf(field) });
    expect([field.opens, field.closes, field.frames]).toEqual([1, 1, 0]);
  });

  it('refuses a clone by default, saying how to allow it, and accepts it once allowed', async () => {
    const field = new EmulatedField();
    const refused = await probeMfrc522({ spi: spiOf(field, 0x88) });
    expect(refused).toEqual({
      ok: false,
      version: 0x88,
      detail:
        'VersionReg reads 0x88: an FM17522 clone, not an MFRC522 (expected 0x91 or 0x92; ' +
        'if it is a clone that works, set chipVersions (BADGECLOCK_CHIP_VERSIONS) to 0x91,0x92,0x88)',
    });
    const allowed = await probeMfrc522({ spi: spiOf(field, 0x88), versions: [0x91, 0x92, 0x88] });
    expect(allowed).toMatchObject({ ok: true, version: 0x88 });
  });

  it('says nothing answers when the chip is dead (MISO low)', async () => {
    const field = new EmulatedField();
    field.setChip('stuckLow');
    const probe = await probeMfrc522({ spi: spiOf(field) });
    expect(probe.ok).toBe(false);
    expect(probe.detail).toMatch(/^VersionReg reads 0x00: no MFRC522 answers on SPI/);
  });

  it('reports an SPI that cannot be opened without throwing', async () => {
    const probe = await probeMfrc522({
      spi: { kind: 'module', module: join(__dirname, 'no-such-spi.js') },
      timeoutMs: 10_000,
    });
    expect(probe).toMatchObject({ ok: false, version: null });
    expect(probe.detail).toMatch(/^cannot open the MFRC522: /);
  });
});

describe('badgeclock reader test', () => {
  it('says what answered, then prints a card held for a second once, and a second card', async () => {
    const field = new EmulatedField();
    const run = runTest(field);
    await until(() => run.lines.length >= 2, { ms: 10_000, what: 'the probe lines' });
    expect(run.lines).toEqual([
      '✔ RC522 on /dev/spidev0.0 answers: VersionReg 0x92: MFRC522 v2.0',
      'Present a card; each one is shown once per presentation. Ctrl-C stops.',
    ]);
    const held = virtualCard('04A3C6CAE26180');
    field.place(held);
    // Held for at least 30 polls: still one line.
    const frames = field.frames;
    await until(() => field.frames >= frames + 60, { ms: 10_000, what: '30 polls' });
    field.remove(held);
    field.place(virtualCard('0455667788990A0B0C0D'));
    await until(() => run.lines.length >= 4, { ms: 10_000, what: 'the second card' });
    expect(run.lines.slice(2)).toEqual([
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}card 04A3C6CAE26180 {2}\(7-byte UID\)$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}card 0455667788990A0B0C0D {2}\(10-byte UID\)$/),
    ]);
    expect(run.done).toBe(false);
  });

  it('stops with the reason and a fix when the chip is not an MFRC522, before polling', async () => {
    const field = new EmulatedField();
    const run = runTest(field, 0x12);
    await until(() => run.done, { ms: 10_000, what: 'the test to stop' });
    expect(run.lines).toEqual([]);
    expect(run.error).toBeInstanceOf(ReaderCheckError);
    expect((run.error as Error).message).toBe(
      '✖ RC522 on /dev/spidev0.0: VersionReg reads 0x12: a clone chip, not an MFRC522 ' +
        '(expected 0x91 or 0x92; if it is a clone that works, set chipVersions (BADGECLOCK_CHIP_VERSIONS) to 0x91,0x92,0x12)\n' +
        '  fix: check the wiring against the README table ("RC522 (MFRC522) reader") and that SPI is enabled',
    );
    // Only the probe opened the bus: the reader never started.
    expect(field.opens).toBe(1);
  });

  it('prints a fault when the chip dies and the next card once it comes back', async () => {
    const field = new EmulatedField();
    const run = runTest(field);
    await until(() => run.lines.length >= 2, { ms: 10_000, what: 'the probe lines' });
    field.setChip('stuckLow');
    await until(() => run.lines.length >= 3, { ms: 10_000, what: 'the fault' });
    expect(run.lines[2]).toMatch(/ {2}✖ VersionReg reads 0x00: no MFRC522 answers on SPI/);
    field.setChip('ok');
    field.place(virtualCard('A1B2C3D4'));
    await until(() => run.lines.some((l) => l.includes('card A1B2C3D4')), {
      ms: 15_000,
      what: 'the card after recovery',
    });
    expect(run.lines.at(-1)).toMatch(/card A1B2C3D4 {2}\(4-byte UID\)$/);
  });
});

describe('badgeclock reader test with the keyboard reader (built CLI)', () => {
  it('prints each card once per presentation and each bad line, and ends with its input', async () => {
    const result = await runCli(['reader', 'test'], {
      env: { BADGECLOCK_TZ: 'UTC', BADGECLOCK_DATA_DIR: join(__dirname, 'no-such-dir') },
      input: 'A1B2C3D4\nA1B2C3D4\nzzz\n04a3c6cae26180\n',
    });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'keyboard reader (stdin): no chip to probe (a keyboard-wedge reader types each card id, then Enter)',
      'Present a card; each one is shown once per presentation. Ctrl-C stops.',
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}card A1B2C3D4$/),
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}✖ line 3: not a card id: "zzz"/),
      expect.stringMatching(/^\d\d:\d\d:\d\d {2}card 04A3C6CAE26180$/),
      '',
    ]);
  });
});
