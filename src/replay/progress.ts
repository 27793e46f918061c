import type { ReplayProgress } from './replayApp';

/** Where a progress line goes: stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

/** A progress display that can also be cleared and closed. */
export interface TerminalProgress extends ReplayProgress {
  readonly clear: () => void;
  /** The final count, on its own line. */
  readonly end: () => void;
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A replay's progress as one line on a terminal, redrawn in place at most every
 * `intervalMs`, and cleared before the replay writes more output. Nothing at
 * all when the stream is not a terminal (a log file, a pipe, systemd).
 */
export function terminalProgress(
  stream: ProgressStream,
  now: () => number = Date.now,
  intervalMs = 100,
): TerminalProgress {
  const tty = stream.isTTY === true;
  let shown = false;
  let drawnAt = -Infinity;
  let last: { done: number; total: number } | undefined;
  const line = (done: number, total: number): string =>
    `${count(done)} of ${count(total)} taps replayed (${Math.floor((100 * done) / Math.max(1, total))} %)`;
  const draw = (): void => {
    if (last === undefined) return;
    stream.write(`\r\x1b[K${line(last.done, last.total)}`);
    shown = true;
    drawnAt = now();
  };
  return {
    update: (done, total) => {
      last = { done, total };
      if (tty && now() - drawnAt >= intervalMs) draw();
    },
    clear: () => {
      if (!shown) return;
      stream.write('\r\x1b[K');
      shown = false;
    },
    end: () => {
      if (!tty || last === undefined) return;
      draw();
      stream.write('\n');
      shown = false;
    },
  };
}
