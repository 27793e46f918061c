/** Bounded lines from a byte stream: chunks split anywhere, long lines counted and dropped. */
import { LineSplitter, type Line } from '../src/drivers/reader/lineSplitter';

const MAX = 8;

/** A line as text (or its length when it was too long), with its number. */
function show(line: Line): [number, string | number] {
  return [line.number, line.kind === 'line' ? line.bytes.toString('latin1') : line.length];
}

function split(chunks: (string | Buffer)[], max = MAX): [number, string | number][] {
  const splitter = new LineSplitter(max);
  const lines = chunks.flatMap((chunk) =>
    splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk),
  );
  return [...lines, ...splitter.end()].map(show);
}

describe('the line splitter', () => {
  it('returns the lines a chunk completes, numbered from 1, without their newline', () => {
    const splitter = new LineSplitter(MAX);
    expect(splitter.push(Buffer.from('ab\ncd\nef')).map(show)).toEqual([
      [1, 'ab'],
      [2, 'cd'],
    ]);
    expect(splitter.push(Buffer.from('gh\n')).map(show)).toEqual([[3, 'efgh']]);
  });

  it('joins a line split over many chunks, byte by byte', () => {
    expect(split(Array.from(Buffer.from('B0B0B0B0\n'), (byte) => Buffer.from([byte])))).toEqual([
      [1, 'B0B0B0B0'],
    ]);
  });

  it('keeps empty lines (as empty), and ends a line at LF, at CRLF (once) and at CR alone', () => {
    expect(split(['\n\r\nx\n'])).toEqual([
      [1, ''],
      [2, ''],
      [3, 'x'],
    ]);
    expect(split(['04A3C6CA\r', 'B0B0B0B0\r\rC0C0C0C0\r\nD0\n'])).toEqual([
      [1, '04A3C6CA'],
      [2, 'B0B0B0B0'],
      [3, ''],
      [4, 'C0C0C0C0'],
      [5, 'D0'],
    ]);
  });

  it('gives a line at its CR at once, and takes an LF in the next chunk as the rest of that CRLF', () => {
    const splitter = new LineSplitter(MAX);
    expect(splitter.push(Buffer.from('04A3C6CA\r')).map(show)).toEqual([[1, '04A3C6CA']]);
    expect(splitter.push(Buffer.from('\nB0\r')).map(show)).toEqual([[2, 'B0']]);
    expect(splitter.push(Buffer.from('\n')).map(show)).toEqual([]);
    expect(splitter.push(Buffer.from('\n')).map(show)).toEqual([[3, '']]);
  });

  it('gives a last line without a newline at the end of input', () => {
    expect(split(['first\nlast'])).toEqual([
      [1, 'first'],
      [2, 'last'],
    ]);
  });

  it('gives nothing more at the end when the input ended with a newline, or was empty', () => {
    expect(split(['a\n'])).toEqual([[1, 'a']]);
    expect(split([])).toEqual([]);
    expect(split([Buffer.alloc(0)])).toEqual([]);
  });

  it('keeps a line of exactly the maximum, and drops one byte more as too long with its length', () => {
    expect(split(['12345678\n123456789\nok\n'])).toEqual([
      [1, '12345678'],
      [2, 9],
      [3, 'ok'],
    ]);
  });

  it('counts a 10 MB line over many chunks without keeping it, and goes on with the next line', () => {
    const splitter = new LineSplitter(64);
    const chunk = Buffer.alloc(64 * 1024, 0x39);
    const lines: Line[] = [];
    lines.push(...splitter.push(Buffer.from('C0FFEE00\n99')));
    for (let sent = 2; sent < 10 * 1024 * 1024; sent += chunk.length) {
      lines.push(
        ...splitter.push(chunk.subarray(0, Math.min(chunk.length, 10 * 1024 * 1024 - sent))),
      );
    }
    lines.push(...splitter.push(Buffer.from('\nB0B0B0B0\n')));
    expect(lines.map(show)).toEqual([
      [1, 'C0FFEE00'],
      [2, 10 * 1024 * 1024],
      [3, 'B0B0B0B0'],
    ]);
  });

  it('reports a too-long last line without a newline at the end of input', () => {
    expect(split(['ok\n', 'x'.repeat(100)])).toEqual([
      [1, 'ok'],
      [2, 100],
    ]);
  });

  it('copies what it keeps, so a reused chunk buffer cannot change a pending line', () => {
    const splitter = new LineSplitter(MAX);
    const chunk = Buffer.from('AB');
    splitter.push(chunk);
    chunk.write('ZZ');
    expect(splitter.push(Buffer.from('CD\n')).map(show)).toEqual([[1, 'ABCD']]);
  });

  it('passes binary bytes through untouched (judging them is the reader’s job)', () => {
    expect(split([Buffer.from([0x00, 0xff, 0x1b, 0x0a])])).toEqual([[1, '\u0000\u00ff\u001b']]);
  });
});
