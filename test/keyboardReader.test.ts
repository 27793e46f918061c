/**
 * The keyboard reader on a real stream (a PassThrough standing in for stdin):
 * what a person types or a keyboard-wedge reader sends, and the garbage a
 * stuck key, a wrong device or a binary file on stdin produces.
 */
import { PassThrough } from 'node:stream';
import {
  MAX_LINE_BYTES,
  STDIN_ENDED,
  makeKeyboardReader,
} from '../src/drivers/reader/keyboardReader';
import type { CardRead, ReadRejected } from '../streams/events';
import { record, type Recording } from './support/record';
import { until } from './support/until';

type Read = CardRead | ReadRejected;

/** A reader on a fresh stream, recording what it emits and whether it completed. */
function startReader(
  options: { mono?: () => number; endIsFault?: boolean; pauseMs?: number | null } = {},
): Recording<Read> & {
  input: PassThrough;
  events: Read[];
} {
  const input = new PassThrough();
  let clock = 1_000;
  const recording = record(
    makeKeyboardReader({ input, reader: 'front door', now: () => clock++, ...options }),
  );
  return { ...recording, input, events: recording.values };
}

/**
 * Writes the chunks, ends the input, and resolves with everything read once
 * the source completes, up to the end-of-input fault (checked, left out).
 */
async function readAll(chunks: (string | Buffer)[]): Promise<Read[]> {
  const reader = startReader();
  for (const chunk of chunks) reader.input.write(chunk);
  reader.input.end();
  await until(reader.completed);
  expect(reader.events.at(-1)).toMatchObject({ type: 'readRejected', reason: STDIN_ENDED });
  return reader.events.slice(0, -1);
}

/** Each event as the card it read, or the reason it was rejected. */
const outcomes = (events: Read[]): string[] =>
  events.map((e) => (e.type === 'cardRead' ? `card ${e.card}` : `rejected ${e.reason}`));

describe('the keyboard reader reads card ids', () => {
  it('reads one card id per line, in its canonical upper-case hex form, with reader and time', async () => {
    const events = await readAll(['04a3c6cae26180\n', 'B0B0B0B0\n']);
    expect(events).toEqual([
      { type: 'cardRead', at: 1000, card: '04A3C6CAE26180', reader: 'front door' },
      { type: 'cardRead', at: 1001, card: 'B0B0B0B0', reader: 'front door' },
    ]);
  });

  it('reads lines ending in CRLF as a Windows tool or a serial terminal sends them', async () => {
    expect(outcomes(await readAll(['b0b0b0b0\r\n', '0012345678\r\n']))).toEqual([
      'card B0B0B0B0',
      'card 0012345678',
    ]);
  });

  it('reads ids ended by CR alone (a reader set to send CR), each at once', async () => {
    const reader = startReader();
    reader.input.write('04A3C6CA\r');
    await until(() => reader.events.length === 1);
    reader.input.write('0012345678\r');
    await until(() => reader.events.length === 2);
    expect(outcomes(reader.events)).toEqual(['card 04A3C6CA', 'card 0012345678']);
    reader.subscription.unsubscribe();
  });

  it('takes a Tab around an id as a blank, like a space (a reader set to send Tab after it)', async () => {
    expect(outcomes(await readAll(['0004629512\t\n', '\t0004629513 \n']))).toEqual([
      'card 0004629512',
      'card 0004629513',
    ]);
  });

  it('reads the first id after a UTF-8 byte order mark (a file saved by Notepad)', async () => {
    expect(
      outcomes(await readAll([Buffer.from('\xef\xbb\xbf0004629512\n', 'latin1'), 'B0B0B0B0\n'])),
    ).toEqual(['card 0004629512', 'card B0B0B0B0']);
  });

  it('names the bad byte in hex and its column, counted from the start of the line as typed', async () => {
    expect(
      outcomes(
        await readAll([
          '  04A3\u0007C6CA\n',
          Buffer.from('\xef\xbb\xbf04\xff\n', 'latin1'),
          Buffer.from('\xef\xbb\xbf04\n', 'latin1'),
        ]),
      ),
    ).toEqual([
      'rejected line 1, column 7: byte 0x07 (a control byte) is not part of a card id (binary or a control key); ignored',
      'rejected line 2, column 1: byte 0xEF (not ASCII) is not part of a card id (binary or a control key); ignored',
      'rejected line 3, column 1: byte 0xEF (not ASCII) is not part of a card id (binary or a control key); ignored',
    ]);
  });

  it('accepts colon, dash and space separators and a 0x prefix', async () => {
    expect(
      outcomes(await readAll(['04:a3:c6:ca\n', '04-A3-C6-CA\n', '04 a3 c6 ca\n', '0x04A3C6CA\n'])),
    ).toEqual(['card 04A3C6CA', 'card 04A3C6CA', 'card 04A3C6CA', 'card 04A3C6CA']);
  });

  it('keeps a decimal id from a keyboard-wedge reader as typed, leading zeros included', async () => {
    expect(outcomes(await readAll(['0012345678\n', '12345678\n']))).toEqual([
      'card 0012345678',
      'card 12345678',
    ]);
  });

  it('ignores spaces around an id', async () => {
    expect(outcomes(await readAll(['   B0B0B0B0   \n']))).toEqual(['card B0B0B0B0']);
  });

  it('joins a card id split over chunks, and splits a chunk holding many ids', async () => {
    expect(outcomes(await readAll(['B0B0', 'B0', 'B0\nC0C0C0C0\nD0D0D0D0\n']))).toEqual([
      'card B0B0B0B0',
      'card C0C0C0C0',
      'card D0D0D0D0',
    ]);
  });

  it('reads a last line without a newline when the input ends', async () => {
    expect(outcomes(await readAll(['B0B0B0B0\n', 'C0C0C0C0']))).toEqual([
      'card B0B0B0B0',
      'card C0C0C0C0',
    ]);
  });

  it('reads string chunks (an input with an encoding set) as well as bytes', async () => {
    const reader = startReader();
    reader.input.setEncoding('utf8');
    reader.input.end('C0FFEE00\n');
    await until(reader.completed);
    expect(outcomes(reader.events)).toEqual(['card C0FFEE00', `rejected ${STDIN_ENDED}`]);
  });

  it('emits each read as soon as its line ends, without waiting for more input', async () => {
    const reader = startReader();
    reader.input.write('B0B0B0B0\n');
    await until(() => reader.events.length === 1);
    expect(outcomes(reader.events)).toEqual(['card B0B0B0B0']);
    expect(reader.completed()).toBe(false);
    reader.subscription.unsubscribe();
  });

  it('stamps each read with the monotonic clock when one is given', async () => {
    let mono = 5;
    const reader = startReader({ mono: () => (mono += 10) });
    reader.input.end('B0B0B0B0\nnot-a-card\n');
    await until(reader.completed);
    expect(reader.events[0]).toMatchObject({ type: 'cardRead', card: 'B0B0B0B0', mono: 15 });
    // A rejection is not a sighting: it carries no monotonic time.
    expect(reader.events[1]).not.toHaveProperty('mono');
  });
});

describe('the keyboard reader rejects garbage and keeps reading', () => {
  it('rejects an empty line (a bare Enter) naming its line, and reads the next one', async () => {
    expect(outcomes(await readAll(['\n', '\r\n', '   \n', 'B0B0B0B0\n']))).toEqual([
      'rejected line 1: empty line; type or scan a card id and press Enter',
      'rejected line 2: empty line; type or scan a card id and press Enter',
      'rejected line 3: empty line; type or scan a card id and press Enter',
      'card B0B0B0B0',
    ]);
  });

  it('rejects binary and control bytes, and bytes outside ASCII', async () => {
    const events = await readAll([
      Buffer.from([0x00, 0x01, 0x02, 0x0a]),
      Buffer.from([0x1b, 0x5b, 0x41, 0x0a]), // an arrow key's escape sequence
      Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a]),
      'Zoë\n',
      'B0B0\tB0B0\n',
      'C0C0C0C0\n',
    ]);
    const not = 'is not part of a card id (binary or a control key); ignored';
    expect(outcomes(events)).toEqual([
      `rejected line 1, column 1: byte 0x00 (NUL) ${not}`,
      `rejected line 2, column 1: byte 0x1B (Esc) ${not}`,
      `rejected line 3, column 1: byte 0xDE (not ASCII) ${not}`,
      `rejected line 4, column 3: byte 0xC3 (not ASCII) ${not}`,
      `rejected line 5, column 5: byte 0x09 (Tab) ${not}`,
      'card C0C0C0C0',
    ]);
  });

  it('rejects text that is not a card id with what was typed', async () => {
    expect(outcomes(await readAll(['hello\n', 'B0B0B\n', 'B0B0B0B0\n']))).toEqual([
      'rejected line 1: not a card id: "hello" (expected hex or decimal digits); ignored',
      'rejected line 2: hex card id has an odd number of digits (5); ignored',
      'card B0B0B0B0',
    ]);
  });

  it('rejects a line longer than a card id could be, giving its length in bytes', async () => {
    const long = 'A'.repeat(MAX_LINE_BYTES + 1);
    expect(outcomes(await readAll([`${long}\n`, 'B0B0B0B0\n']))).toEqual([
      `rejected line 1: ${MAX_LINE_BYTES + 1} bytes is too long for a card id (at most ${MAX_LINE_BYTES}); ignored`,
      'card B0B0B0B0',
    ]);
  });

  it('rejects a line that fits the buffer but not a card id', async () => {
    expect(outcomes(await readAll([`${'A'.repeat(MAX_LINE_BYTES)}\n`]))).toEqual([
      `rejected line 1: too long for a card id (${MAX_LINE_BYTES} characters); ignored`,
    ]);
  });

  it('rejects a 10 MB line sent in many chunks as one line, then reads the next card', async () => {
    const reader = startReader();
    const chunk = Buffer.alloc(64 * 1024, 0x39); // '9': digits all the way, so only length can tell
    reader.input.write('B0B0B0B0\n');
    for (let i = 0; i < 160; i++) reader.input.write(chunk);
    reader.input.write('\nC0C0C0C0\n');
    // The card after the garbage is read while the input is still open: nothing stalls.
    await until(() => reader.events.length === 3);
    expect(outcomes(reader.events)).toEqual([
      'card B0B0B0B0',
      'rejected line 2: 10485760 bytes is too long for a card id (at most 64); ignored',
      'card C0C0C0C0',
    ]);
    expect(reader.events[1]).toEqual({
      type: 'readRejected',
      at: expect.any(Number) as number,
      reader: 'front door',
      reason: expect.stringContaining('line 2') as string,
    });
    reader.input.end();
    await until(reader.completed);
  });

  it('gives every garbage line its own rejection, numbered as an editor would', async () => {
    const events = await readAll([
      'B0B0B0B0\n\n',
      Buffer.from([0x00, 0xff, 0x0a]),
      `${'x'.repeat(1000)}\n`,
      'garbage\n',
      'C0C0C0C0\n',
      Buffer.from([0x07]),
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'cardRead',
      'readRejected',
      'readRejected',
      'readRejected',
      'readRejected',
      'cardRead',
      'readRejected',
    ]);
    expect(
      events.flatMap((e) =>
        e.type === 'readRejected' ? [/^line (\d+)[:,]/.exec(e.reason)?.[1]] : [],
      ),
    ).toEqual(['2', '3', '4', '5', '7']);
  });

  it('rejects a garbage last line without a newline at the end of input', async () => {
    expect(outcomes(await readAll(['B0B0B0B0\n', 'x'.repeat(100)]))).toEqual([
      'card B0B0B0B0',
      `rejected line 2: 100 bytes is too long for a card id (at most ${MAX_LINE_BYTES}); ignored`,
    ]);
  });
});

describe('the keyboard reader on a pipe, where keys come as typed (a wedge reader)', () => {
  it('drops an id whose Enter was lost after a pause, naming it, so it is not joined to the next card', async () => {
    const reader = startReader({ pauseMs: 50 });
    reader.input.write('0004629512');
    await until(() => reader.events.length === 1);
    expect(outcomes(reader.events)).toEqual([
      'rejected line 1: "0004629512" without Enter, then nothing for 0.1 s (a lost Enter?); dropped, so it is not joined to the next card: present that card again',
    ]);
    reader.input.write('0004629513\n');
    await until(() => reader.events.length === 2);
    expect(outcomes(reader.events)[1]).toBe('card 0004629513');
    reader.subscription.unsubscribe();
  });

  it('still joins an id whose chunks come within the pause, and names garbage left pending by its size', async () => {
    const reader = startReader({ pauseMs: 200 });
    reader.input.write('B0B0');
    reader.input.write('B0B0\n');
    await until(() => reader.events.length === 1);
    reader.input.write(Buffer.from([0x00, 0x41]));
    await until(() => reader.events.length === 2);
    expect(outcomes(reader.events)).toEqual([
      'card B0B0B0B0',
      'rejected line 2: 2 bytes without Enter, then nothing for 0.2 s (a lost Enter?); dropped, so it is not joined to the next card: present that card again',
    ]);
    reader.subscription.unsubscribe();
  });
});

describe('the keyboard reader at the end of its input', () => {
  it('reports the end of its input as a fault that says the clock is deaf and what to set, then completes', async () => {
    const reader = startReader();
    reader.input.end();
    await until(reader.completed);
    expect(reader.events).toEqual([
      {
        type: 'readRejected',
        at: 1000,
        reader: 'front door',
        reason:
          'standard input ended: the keyboard reader reads no more cards; under systemd set BADGECLOCK_READER to evdev or mfrc522',
      },
    ]);
  });

  it('completes after reading what came before the end, and the fault comes last', async () => {
    const reader = startReader();
    reader.input.write('B0B0B0B0\n');
    await until(() => reader.events.length === 1);
    expect(reader.completed()).toBe(false);
    reader.input.end();
    await until(reader.completed);
    expect(outcomes(reader.events)).toEqual(['card B0B0B0B0', `rejected ${STDIN_ENDED}`]);
  });

  it('ends quietly with its input when told to (the reader test)', async () => {
    const reader = startReader({ endIsFault: false });
    reader.input.end('B0B0B0B0\n');
    await until(reader.completed);
    expect(outcomes(reader.events)).toEqual(['card B0B0B0B0']);
  });

  it('turns a failing input into one rejection naming the failure, then completes', async () => {
    const reader = startReader();
    reader.input.write('B0B0B0B0\n');
    await until(() => reader.events.length === 1);
    reader.input.destroy(new Error('EIO: the reader was unplugged'));
    await until(reader.completed);
    expect(outcomes(reader.events)).toEqual([
      'card B0B0B0B0',
      'rejected input failed: EIO: the reader was unplugged',
    ]);
  });

  it('stops listening to the input when unsubscribed', () => {
    const reader = startReader();
    expect(reader.input.listenerCount('data')).toBe(1);
    reader.subscription.unsubscribe();
    expect(reader.input.listenerCount('data')).toBe(0);
    expect(reader.input.listenerCount('end')).toBe(0);
    expect(reader.input.listenerCount('error')).toBe(0);
    expect(reader.input.isPaused()).toBe(true);
  });
});
