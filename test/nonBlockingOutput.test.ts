/**
 * The writer a running clock uses at a terminal: never waits for it, keeps order, bounds what
 * waits, and says how many lines it dropped. A model terminal takes what its room allows; the
 * retry runs when the test says, so nothing sleeps.
 */
import { nonBlockingWriter, type NonBlockingWriter } from '../src/nonBlockingOutput';

/** A terminal with `room` bytes free until it is paused; written text is kept in order. */
class ModelTerminal {
  shown = '';
  room = Infinity;
  failure: NodeJS.ErrnoException | null = null;

  writeNow(bytes: Buffer): number {
    if (this.failure !== null) throw this.failure;
    if (this.room === 0)
      throw Object.assign(new Error('EAGAIN: resource temporarily unavailable'), {
        code: 'EAGAIN',
      });
    const taken = Math.min(bytes.length, this.room);
    this.shown += bytes.subarray(0, taken).toString('utf8');
    this.room -= taken;
    return taken;
  }
}

function setUp(limitBytes = 64): {
  terminal: ModelTerminal;
  writer: NonBlockingWriter;
  retries: (() => void)[];
  errors: string[];
  dropped: number[];
} {
  const terminal = new ModelTerminal();
  const retries: (() => void)[] = [];
  const errors: string[] = [];
  const dropped: number[] = [];
  const writer = nonBlockingWriter({
    writeNow: (bytes) => terminal.writeNow(bytes),
    retryLater: (again) => retries.push(again),
    onError: (error) => errors.push(String(error.code)),
    onDropped: (lines) => {
      dropped.push(lines);
      writer.write(`(${lines} dropped)\n`);
    },
    limitBytes,
  });
  return { terminal, writer, retries, errors, dropped };
}

/** Runs the retries the writer asked for, as its timer would. */
function retry(retries: (() => void)[]): void {
  for (const again of retries.splice(0)) again();
}

describe('the non-blocking terminal writer', () => {
  it('writes each line at once while the terminal takes output', () => {
    const { terminal, writer, retries } = setUp();
    writer.write('one\n');
    writer.write('two\n');
    expect(terminal.shown).toBe('one\ntwo\n');
    expect(retries).toHaveLength(0);
  });

  it('keeps what a paused terminal does not take, and writes it in order once it takes output again', () => {
    const { terminal, writer, retries } = setUp();
    terminal.room = 6;
    writer.write('one\n');
    writer.write('two\n');
    writer.write('three\n');
    expect(terminal.shown).toBe('one\ntw');
    expect(retries).toHaveLength(1);
    retry(retries);
    expect(retries).toHaveLength(1);
    terminal.room = Infinity;
    retry(retries);
    expect(terminal.shown).toBe('one\ntwo\nthree\n');
    expect(retries).toHaveLength(0);
  });

  it('drops whole lines beyond its limit and says how many once the terminal takes output again', () => {
    const { terminal, writer, retries, dropped } = setUp(10);
    terminal.room = 0;
    writer.write('aaaa\n');
    writer.write('bbbb\n');
    writer.write('cccc\n');
    writer.write('dddd\n');
    expect(terminal.shown).toBe('');
    terminal.room = Infinity;
    retry(retries);
    expect(dropped).toEqual([2]);
    expect(terminal.shown).toBe('aaaa\nbbbb\n(2 dropped)\n');
    writer.write('eeee\n');
    expect(terminal.shown).toBe('aaaa\nbbbb\n(2 dropped)\neeee\n');
  });

  it('takes a line longer than its limit when nothing waits', () => {
    const { terminal, writer } = setUp(4);
    writer.write('a long line\n');
    expect(terminal.shown).toBe('a long line\n');
  });

  it('reports a terminal that fails once, and writes nothing more', () => {
    const { terminal, writer, errors, retries } = setUp();
    writer.write('one\n');
    terminal.failure = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    writer.write('two\n');
    writer.write('three\n');
    expect(errors).toEqual(['EIO']);
    expect(retries).toHaveLength(0);
    terminal.failure = null;
    writer.write('four\n');
    expect(terminal.shown).toBe('one\n');
  });
});
