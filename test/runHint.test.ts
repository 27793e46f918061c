/** The hint `run` prints at a terminal: only where a person types into the keyboard reader. */
import { PassThrough } from 'node:stream';
import { loadConfig, type Config } from '../src/config';
import { readerFields, showTypingHint } from '../src/commands/run';

function configWith(env: NodeJS.ProcessEnv): Config {
  const result = loadConfig({ env: { BADGECLOCK_TZ: 'UTC', ...env }, cwd: '/nonexistent' });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

function hintOf(config: Config, json: boolean, isTTY = true): { out: string; err: string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  showTypingHint(config, json, { stdin: { isTTY }, stdout, stderr });
  return {
    out: String(stdout.read() ?? ''),
    err: String(stderr.read() ?? ''),
  };
}

describe('the typing hint of run', () => {
  it('is printed on stdout at a terminal with the keyboard reader', () => {
    expect(hintOf(configWith({}), false).out).toMatch(/^Type or scan a card id/);
  });

  it('keeps --json output to events only: the hint goes to stderr', () => {
    const { out, err } = hintOf(configWith({}), true);
    expect(out).toBe('');
    expect(err).toMatch(/^Type or scan a card id/);
  });

  it('is not printed when no reader reads the terminal (an RC522 or a USB reader on /dev/input)', () => {
    expect(hintOf(configWith({ BADGECLOCK_READER: 'mfrc522' }), false)).toEqual({
      out: '',
      err: '',
    });
    const evdev = configWith({
      BADGECLOCK_READER: 'evdev',
      BADGECLOCK_INPUT_DEVICE: '/dev/input/by-id/usb-Reader-event-kbd',
    });
    expect(hintOf(evdev, false)).toEqual({ out: '', err: '' });
  });

  it('is not printed when stdin is not a terminal (ids piped in)', () => {
    expect(hintOf(configWith({}), false, false)).toEqual({ out: '', err: '' });
  });
});

describe('the start record of run', () => {
  it('names the readers the clock reads: a list, not the default `reader` it ignores then', () => {
    const list = configWith({
      BADGECLOCK_READERS: JSON.stringify([
        { kind: 'mfrc522', name: 'entrance', spiDevice: '/dev/spidev0.0' },
        { kind: 'evdev', name: 'desk', inputDevice: '/dev/input/by-id/usb-Reader-event-kbd' },
      ]),
    });
    expect(readerFields(list, false)).toEqual({
      reader: null,
      readers: [
        { kind: 'mfrc522', name: 'entrance' },
        { kind: 'evdev', name: 'desk' },
      ],
    });
    expect(readerFields(configWith({ BADGECLOCK_READER: 'mfrc522' }), false)).toMatchObject({
      reader: 'mfrc522',
    });
  });

  it('says a hub reads no card', () => {
    expect(readerFields(configWith({}), true)).toEqual({ reader: null, readers: [] });
  });
});
