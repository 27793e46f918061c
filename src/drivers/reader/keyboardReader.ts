/**
 * The keyboard reader: card ids typed on a stream (stdin), one per line. This
 * is exactly what a USB keyboard-wedge RFID reader produces (digits, Enter).
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { normaliseCardId } from '../../../streams/cardId';
import type { CardRead, ReadRejected } from '../../../streams/events';
import { LineSplitter, type Line } from './lineSplitter';

/** Longest line considered at all; anything longer is garbage, whatever it holds. */
export const MAX_LINE_BYTES = 64;

export interface KeyboardReaderOptions {
  readonly input: Readable;
  /** The reader's name, carried on every read (the sheet's `Reader` column). */
  readonly reader: string;
  readonly now: () => number;
  /** Monotonic clock, so durations survive wall-clock jumps. */
  readonly mono?: () => number;
  /**
   * Report the end of input as a reader fault (default true): a clock whose
   * stdin ends reads no more cards. `reader test` ends with its input instead.
   */
  readonly endIsFault?: boolean;
  /**
   * Drop a line left without its end for this long (a wedge reader's lost
   * Enter), so it is not glued to the next card's id; null (a terminal, which
   * gives whole lines only) never.
   */
  readonly pauseMs?: number | null;
}

/** The fault at the end of input: under systemd stdin is /dev/null, so the clock would be deaf. */
export const STDIN_ENDED =
  'standard input ended: the keyboard reader reads no more cards; under systemd set BADGECLOCK_READER to evdev or mfrc522';

/**
 * Makes the reads$ source. Every line becomes a read or a rejection that says
 * what was wrong and on which line. End of input is a fault, then completes
 * the source (the clock goes on, deaf on this reader, and says so); a stream
 * error ends it with a fault.
 */
export function makeKeyboardReader(
  options: KeyboardReaderOptions,
): Observable<CardRead | ReadRejected> {
  const { input, reader, now, mono, endIsFault = true, pauseMs = null } = options;
  return new Observable<CardRead | ReadRejected>((subscriber) => {
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    let timer: NodeJS.Timeout | undefined;
    let lastDataAt = 0;
    const abandon = (): void => {
      clearTimeout(timer);
      timer = undefined;
      for (const line of splitter.end()) {
        subscriber.next({
          type: 'readRejected',
          at: now(),
          reader,
          reason: abandoned(line, pauseMs ?? 0),
        });
      }
    };
    const emit = (lines: Line[]): void => {
      for (const line of lines) {
        const event = toEvent(line, reader, now());
        if (event === null) continue;
        subscriber.next(
          event.type === 'cardRead' && mono !== undefined ? { ...event, mono: mono() } : event,
        );
      }
    };
    const onData = (chunk: Buffer | string): void => {
      // A timer held up by a busy loop may not have fired yet: the pause is measured here too.
      const at = performance.now();
      if (pauseMs !== null && splitter.pending && at - lastDataAt > pauseMs) abandon();
      lastDataAt = at;
      clearTimeout(timer);
      emit(splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
      if (pauseMs !== null && splitter.pending) timer = setTimeout(abandon, pauseMs);
    };
    const onEnd = (): void => {
      clearTimeout(timer);
      emit(splitter.end());
      if (endIsFault)
        subscriber.next({ type: 'readRejected', at: now(), reader, reason: STDIN_ENDED });
      subscriber.complete();
    };
    const onError = (error: Error): void => {
      clearTimeout(timer);
      subscriber.next({
        type: 'readRejected',
        at: now(),
        reader,
        reason: `input failed: ${error.message}`,
      });
      subscriber.complete();
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
    return () => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
    };
  });
}

function toEvent(line: Line, reader: string, at: number): CardRead | ReadRejected | null {
  const where = `line ${line.number}`;
  if (line.kind === 'tooLong') {
    return {
      type: 'readRejected',
      at,
      reader,
      reason: `${where}: ${line.length} bytes is too long for a card id (at most ${MAX_LINE_BYTES}); ignored`,
    };
  }
  const raw = line.number === 1 ? withoutBom(line.bytes) : line.bytes;
  const [from, to] = blankEdges(raw);
  const bytes = raw.subarray(from, to);
  const bad = bytes.findIndex((b) => b < 0x20 || b > 0x7e);
  if (bad !== -1) {
    // The column counts bytes from the start of the line as typed (after a BOM, which is unseen).
    return {
      type: 'readRejected',
      at,
      reader,
      reason: `${where}, column ${from + bad + 1}: ${describeByte(bytes[bad] ?? 0)} is not part of a card id (binary or a control key); ignored`,
    };
  }
  const text = bytes.toString('ascii');
  if (text === '') {
    return {
      type: 'readRejected',
      at,
      reader,
      reason: `${where}: empty line; type or scan a card id and press Enter`,
    };
  }
  const id = normaliseCardId(text);
  return id.ok
    ? { type: 'cardRead', at, card: id.card, reader }
    : { type: 'readRejected', at, reader, reason: `${where}: ${id.reason}; ignored` };
}

/** Why a line left without its end is dropped, naming what was typed. */
function abandoned(line: Line, pauseMs: number): string {
  const seconds = (pauseMs / 1000).toFixed(1);
  const what =
    line.kind === 'line' && line.bytes.every((b) => b >= 0x20 && b <= 0x7e)
      ? `"${line.bytes.toString('ascii')}"`
      : `${line.kind === 'line' ? line.bytes.length : line.length} bytes`;
  return `line ${line.number}: ${what} without Enter, then nothing for ${seconds} s (a lost Enter?); dropped, so it is not joined to the next card: present that card again`;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A UTF-8 byte order mark before the first id (a file saved by Notepad) is no part of it. */
function withoutBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
}

/**
 * Where the id lies between the spaces and Tabs around it (a wedge reader set
 * to send Tab after each id): `[start, end)`.
 */
function blankEdges(bytes: Buffer): [number, number] {
  const blank = (b: number | undefined): boolean => b === 0x20 || b === 0x09;
  let start = 0;
  let end = bytes.length;
  while (start < end && blank(bytes[start])) start++;
  while (end > start && blank(bytes[end - 1])) end--;
  return [start, end];
}

const BYTE_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x08: 'Backspace',
  0x09: 'Tab',
  0x1b: 'Esc',
  0x7f: 'Delete',
};

/** A byte as a rejection names it: `byte 0x09 (Tab)`, `byte 0xEF (not ASCII)`. */
function describeByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  const name = BYTE_NAMES[byte] ?? (byte > 0x7f ? 'not ASCII' : 'a control byte');
  return `byte ${hex} (${name})`;
}
