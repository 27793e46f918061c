/**
 * The idle benchmark's clock process: the built CLI, unchanged
 * (`node dist/bench/idleClock.js run --reader … --data-dir …`), started by
 * bench/idle.ts with an IPC channel.
 *
 * With BENCH_IDLE_SPI set (`realtime` or `instant`), the `mfrc522` reader's
 * SPI becomes the emulated chip, loaded in the reader's worker thread
 * (`{ kind: 'module' }`): the run command builds its SPI from the config
 * (hardware or soft SPI only), so the reader factory is wrapped to swap the
 * SPI and nothing else. `realtime`: the bus blocks for real, 1 MHz plus 40 µs
 * a transfer (as bench/mfrc522.ts); `instant`: no bus time, the driver's code
 * alone. Asked `'frames'` over IPC, it answers `{ frames }`: how many frames
 * the chip has sent to the antenna (an idle poll sends one), so the bench can
 * tell the reader really polled.
 *
 * Without BENCH_IDLE_SPI nothing is loaded beyond what the CLI loads.
 */
import { join } from 'node:path';
import type * as ReaderModule from '../src/drivers/reader/mfrc522/mfrc522Reader';
import type * as EmulatorModule from '../test/support/mfrc522Emulator';

// The bench went away (crashed, killed): stop as a service told to stop would.
process.on('disconnect', () => {
  process.kill(process.pid, 'SIGTERM');
});

const bus = process.env.BENCH_IDLE_SPI;
if (bus === 'realtime' || bus === 'instant') {
  const emulatorModule = join(__dirname, '../test/support/mfrc522Emulator.js');
  // Loaded only for the emulated reader, so the keyboard baseline carries none of it.
  /* eslint-disable @typescript-eslint/no-require-imports -- a conditional, synchronous load in CommonJS is the point */
  const { EmulatedField } = require(emulatorModule) as typeof EmulatorModule;
  const reader = require('../src/drivers/reader/mfrc522/mfrc522Reader') as typeof ReaderModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const field = new EmulatedField();
  const makeMfrc522Reader = reader.makeMfrc522Reader;
  // src/app.ts looks the factory up on this module object when the clock starts.
  Object.assign(reader, {
    makeMfrc522Reader: (options: ReaderModule.Mfrc522ReaderOptions) =>
      makeMfrc522Reader({
        ...options,
        spi: {
          kind: 'module',
          module: emulatorModule,
          options: {
            field: field.buffer,
            busHz: 1_000_000,
            transferOverheadUs: 40,
            realtime: bus === 'realtime',
          },
        },
      }),
  });
  process.on('message', (message: unknown) => {
    if (message === 'frames') process.send?.({ frames: field.frames });
  });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the swap above, not hoisted before it
require('../src/cli');
