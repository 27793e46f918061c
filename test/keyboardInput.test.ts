/** The keyboard reader on a real stream: good ids read, garbage rejected with where and why. */
import { PassThrough } from 'node:stream';
import { firstValueFrom, toArray } from 'rxjs';
import type { CardRead, ReadRejected } from '../streams/events';
import { makeKeyboardReader } from '../src/drivers/reader/keyboardReader';

async function readAll(chunks: (string | Buffer)[]): Promise<(CardRead | ReadRejected)[]> {
  const input = new PassThrough();
  const all = firstValueFrom(
    makeKeyboardReader({ input, reader: 'desk', now: () => 42 }).pipe(toArray()),
    { defaultValue: [] },
  );
  for (const chunk of chunks) input.write(chunk);
  input.end();
  return all;
}

describe('the keyboard reader', () => {
  it('reads card ids one per line into their canonical form', async () => {
    const events = await readAll([
      '04:a3:c6:ca\r\n',
      '0012345678\n',
      '0x04A3C6CAE26180\n',
      'deadbeef',
    ]);
    expect(events).toEqual([
      { type: 'cardRead', at: 42, card: '04A3C6CA', reader: 'desk' },
      { type: 'cardRead', at: 42, card: '0012345678', reader: 'desk' },
      { type: 'cardRead', at: 42, card: '04A3C6CAE26180', reader: 'desk' },
      { type: 'cardRead', at: 42, card: 'DEADBEEF', reader: 'desk' },
    ]);
  });

  it('rejects garbage with the line number and keeps reading the next line', async () => {
    const tenMegabytes = Buffer.alloc(10 * 1024 * 1024, 0x41);
    const events = await readAll([
      '\n',
      Buffer.from([0x00, 0xff, 0x1b, 0x5b, 0x0a]),
      tenMegabytes.subarray(0, 4 * 1024 * 1024),
      tenMegabytes.subarray(4 * 1024 * 1024),
      '\n',
      'hello\n',
      'B0B0B0B0\n',
    ]);
    expect(events.map((e) => (e.type === 'cardRead' ? e.card : e.reason))).toEqual([
      expect.stringMatching(/^line 1: empty line/),
      expect.stringMatching(/^line 2: binary or control bytes/),
      expect.stringMatching(/^line 3: 10485760 bytes is too long/),
      expect.stringMatching(/^line 4: not a card id: "hello"/),
      'B0B0B0B0',
    ]);
  });

  it('end of input completes the reader', async () => {
    await expect(readAll([])).resolves.toEqual([]);
  });
});
