/**
 * The MFRC522 reader's worker thread. mfrc522-rpi is synchronous and
 * busy-waits on the bus, so it runs here, never on the main thread: this
 * thread opens the SPI named in `workerData`, polls the chip every `pollMs`
 * and posts what it saw. On a fault it says why and ends; the main thread
 * restarts it with backoff.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { BusLock } from './busLock';
import { loadMfrc522, Register } from './mfrc522Rpi';
import { Mfrc522Poller, type StartResult } from './poller';
import { isStopMessage, isWorkerConfig, type WorkerConfig, type WorkerMessage } from './protocol';
import { makeSpi, type Mfrc522Spi } from './spi';

/** Collided polls in a row taken as two cards on the reader. */
const CLASH_POLLS = 2;

function run(port: MessagePort, config: WorkerConfig): void {
  const post = (message: WorkerMessage): void => {
    port.postMessage(message);
  };
  let spi: Mfrc522Spi | null = null;
  let timer: NodeJS.Timeout | undefined;
  const end = (code: number): never => {
    clearTimeout(timer);
    try {
      spi?.close();
    } finally {
      process.exit(code);
    }
  };
  const fail = (reason: string): never => {
    post({ type: 'fault', reason });
    return end(1);
  };

  // Another chip on this bus: each conversation with the chip holds the bus to itself.
  const lock = config.busLock === undefined ? null : new BusLock(config.busLock);
  const onBus = <T>(work: () => T): T => (lock === null ? work() : lock.hold(work));

  let poller: Mfrc522Poller;
  let started: StartResult;
  try {
    spi = makeSpi(config.spi);
    const MFRC522 = loadMfrc522();
    const chip = new MFRC522(spi);
    if (config.probe === true) {
      // Read-only: a clock running beside a probe (doctor) keeps its chip's settings.
      post({ type: 'version', version: chip.readRegister(Register.Version) });
      return end(0);
    }
    poller = new Mfrc522Poller(chip, config.versions);
    started = onBus(() => poller.start());
  } catch (error) {
    return fail(
      `cannot open the MFRC522: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  port.on('message', (message: unknown) => {
    if (isStopMessage(message)) end(0);
  });

  if (!started.ok) return fail(started.reason);
  post({ type: 'version', version: started.version });

  // Polls in a row whose answers collided: two cards held together collide on every poll, noise
  // on one; the second in a row is reported, and no more until a poll sees one card or none.
  let clashes = 0;
  // A poll blocks for its bus time; the next one is due pollMs after this one began.
  const poll = (): void => {
    const began = Date.now();
    let result;
    try {
      result = onBus(() => poller.poll());
    } catch (error) {
      // Release the bus, then crash: the main thread reports it and starts a new worker.
      spi.close();
      throw error;
    }
    if (result.kind === 'fault') fail(result.reason);
    if (result.kind === 'seen') post({ type: 'seen', uid: result.uid, at: Date.now() });
    if (result.kind === 'collision') {
      clashes += 1;
      if (clashes === CLASH_POLLS) post({ type: 'collision', at: Date.now() });
    } else if (result.kind !== 'corrupt') clashes = 0;
    timer = setTimeout(poll, Math.max(0, config.pollMs - (Date.now() - began)));
  };
  poll();
}

if (!isMainThread && parentPort !== null) {
  const config: unknown = workerData;
  if (isWorkerConfig(config)) run(parentPort, config);
  else {
    parentPort.postMessage({ type: 'fault', reason: 'the reader worker got no configuration' });
    process.exit(1);
  }
}
