/**
 * A running clock's console lines and log at a terminal that stops taking output: the door goes
 * on, losing lines rather than taps.
 *
 * Node writes to a terminal synchronously on Linux (its docs, "A note on process I/O"): a
 * terminal paused with Ctrl-S or Scroll Lock, or a stalled ssh session, blocks the next console
 * line or log line, and with it the event loop, so taps are no longer read, stored or answered.
 * Pipes and sockets (journald's stream under systemd, `badgeclock run --json | consumer`) are
 * written asynchronously by Node and never block the loop, so they keep process.stdout and
 * process.stderr and their error handling; a file does not wait for a reader.
 *
 * So the terminal is opened a second time, non-blocking, and written with writeSync: what it
 * does not take waits in a bounded queue, tried again on a timer. Not async fs.write on fd 1: a
 * write stuck on a paused terminal would hold a thread of libuv's pool, and Node joins those
 * threads at exit, so the clock could not exit on SIGTERM. Nor O_NONBLOCK on fd 1 itself: that
 * flag belongs to the open file the shell shares (and Node's tty stream sets it blocking).
 */
import { constants, openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { isatty } from 'node:tty';

/** What waits for a terminal that takes no output, at most: then whole lines are dropped. */
export const QUEUE_LIMIT_BYTES = 1024 * 1024;
/** How often a terminal that took no more output is tried again. */
const RETRY_MS = 100;

export interface NonBlockingOptions {
  /** Writes what the terminal takes now: the bytes written; throws EAGAIN when it takes none. */
  readonly writeNow: (bytes: Buffer) => number;
  /** Calls `again` a little later. */
  readonly retryLater: (again: () => void) => void;
  /** A write failed otherwise (EIO: the terminal hung up): called once; nothing more is written. */
  readonly onError: (error: NodeJS.ErrnoException) => void;
  /** The terminal takes output again after `lines` lines were dropped. */
  readonly onDropped: (lines: number) => void;
  readonly limitBytes?: number;
}

export interface NonBlockingWriter {
  /** Writes the text, queues it, or drops it whole when the queue is full; never waits. */
  write(text: string): void;
  /** Writes what the terminal takes now, never waiting (and at exit, what is still queued). */
  flush(): void;
}

/** A writer that never waits for its terminal (see the module's comment). */
export function nonBlockingWriter(options: NonBlockingOptions): NonBlockingWriter {
  const limit = options.limitBytes ?? QUEUE_LIMIT_BYTES;
  let queue: Buffer[] = [];
  let queued = 0;
  let dropped = 0;
  let waiting = false;
  let failed = false;
  const flush = (): void => {
    while (!failed) {
      const [head] = queue;
      if (head === undefined) break;
      let written: number;
      try {
        written = options.writeNow(head);
      } catch (error) {
        const failure = error as NodeJS.ErrnoException;
        if (failure.code !== 'EAGAIN') {
          failed = true;
          queue = [];
          queued = 0;
          options.onError(failure);
          return;
        }
        written = 0;
      }
      if (written === 0) {
        if (!waiting) {
          waiting = true;
          options.retryLater(() => {
            waiting = false;
            flush();
          });
        }
        return;
      }
      queued -= written;
      if (written < head.length) queue[0] = head.subarray(written);
      else queue.shift();
    }
    // Lines are dropped only while the queue waits, so this runs from the retry, not from
    // inside a write: a log line about the drop is not written from within the log's own write.
    if (dropped > 0 && !failed) {
      const lines = dropped;
      dropped = 0;
      options.onDropped(lines);
    }
  };
  return {
    write(text) {
      if (failed) return;
      const bytes = Buffer.from(text, 'utf8');
      if (queue.length > 0 && queued + bytes.length > limit) {
        dropped += 1;
        return;
      }
      queue.push(bytes);
      queued += bytes.length;
      if (!waiting) flush();
    },
    flush,
  };
}

/**
 * A non-blocking writer for the terminal on standard output (1) or standard error (2), or null
 * when that is not a terminal (a pipe, a socket or a file keep process.stdout and process.stderr)
 * or cannot be opened again (not Linux; a terminal of another user, under sudo -u): then the
 * clock writes as before. At exit what is queued is tried once more, without waiting: a terminal
 * still paused must not hang the exit, so its lines are lost.
 */
export function terminalWriter(
  fd: 1 | 2,
  handlers: Pick<NonBlockingOptions, 'onError' | 'onDropped'>,
): NonBlockingWriter | null {
  if (process.platform !== 'linux' || !isatty(fd)) return null;
  let terminal: number;
  try {
    // /proc/self/fd/N opens the terminal device itself: a new open file, whose flags are ours.
    const { O_WRONLY, O_NONBLOCK, O_NOCTTY } = constants;
    terminal = openSync(`/proc/self/fd/${fd}`, O_WRONLY | O_NONBLOCK | O_NOCTTY);
  } catch {
    return null;
  }
  const writer = nonBlockingWriter({
    ...handlers,
    writeNow: (bytes) => writeSync(terminal, bytes),
    // Unref'd: lines waiting for a paused terminal do not keep a stopped clock alive.
    retryLater: (again) => setTimeout(again, RETRY_MS).unref(),
  });
  process.on('exit', () => {
    writer.flush();
  });
  return writer;
}

/** The writer as the stream the feedback driver writes console lines to. */
export function writableOf(writer: NonBlockingWriter): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      writer.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
}
