/**
 * Input files as a user meets them through the built CLI (`npm run build`
 * first): a European Excel's semicolon export, a tab-separated file, a file
 * of 100,000 malformed lines, and a file saved as UTF-16. No input file may
 * overflow the stack.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, killLeftoverClocks, logText, requireBuiltCli, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

const BASE_ENV = { BADGECLOCK_READER_NAME: 'front', BADGECLOCK_TIME_SYNC: 'off' };
const FAST_ENV = { ...BASE_ENV, BADGECLOCK_DEBOUNCE_SECONDS: '0', BADGECLOCK_GUARD_SECONDS: '0' };

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** `text` as Excel's "Unicode Text" saves it: UTF-16 LE with a byte order mark. */
const unicodeText = (text: string): Buffer => Buffer.from(`\ufeff${text}`, 'utf16le');

/** The fix a refusal of a file's encoding names, for Excel and for LibreOffice. */
const SAVE_AS_CSV_UTF8 =
  'CSV UTF-8 (in Excel: File > Save As, "CSV UTF-8 (Comma delimited)"; in LibreOffice: File > Save As, "Text CSV", character set "Unicode (UTF-8)")';

/** `n` taps of one card, a minute apart from 08:00 on 2 March 2026, as `format` writes each. */
function taps(n: number, format: (stamp: string, card: string) => string): string {
  const lines: string[] = [];
  const start = Date.UTC(2026, 2, 2, 8, 0, 0);
  for (let i = 0; i < n; i++) {
    const stamp = new Date(start + i * 60_000).toISOString().slice(0, 19).replace('T', ' ');
    lines.push(format(stamp, 'E0000000'));
  }
  return `${lines.join('\r\n')}\r\n`;
}

beforeAll(requireBuiltCli);
afterEach(killLeftoverClocks);

describe('replay of a tap log exported by a spreadsheet', () => {
  const dir = useTempDir('csv-input');
  const replay = (text: string | Buffer, ...more: string[]): ReturnType<typeof runCli> => {
    writeFileSync(join(dir(), 'taps.csv'), text);
    return runCli(
      ['replay', 'taps.csv', '--tz', 'UTC', '--people-file', 'people.csv', '--json', ...more],
      { cwd: dir(), env: FAST_ENV, timeoutMs: 60_000 },
    );
  };

  it('reads a European Excel export of a few thousand lines, separated by semicolons', async () => {
    const text = `"timestamp";"card"\r\n${taps(4000, (stamp, card) => `"${stamp}";"${card}"`)}`;
    const { code, stdout, stderr } = await replay(text);
    expect(logText(stderr)).toBe('');
    expect(code).toBe(0);
    const events = linesOf(stdout).map((line) => JSON.parse(line) as { type: string });
    expect(events.filter((e) => e.type === 'clock-in')).toHaveLength(2000);
    expect(events.filter((e) => e.type === 'clock-out')).toHaveLength(2000);
  }, 60_000);

  it('reads a tab-separated tap log', async () => {
    const { code, stdout } = await replay(taps(4, (stamp, card) => `${stamp}\t${card}\tdoor`));
    expect(code).toBe(0);
    const events = linesOf(stdout).map((line) => JSON.parse(line) as { type: string });
    expect(events.map((e) => e.type).filter((t) => t.startsWith('clock-'))).toEqual([
      'clock-in',
      'clock-out',
      'clock-in',
      'clock-out',
    ]);
  });

  it('refuses a file of 100,000 malformed lines with exit 2 at once, naming the first bad lines and where reading stopped', async () => {
    // Each line's quoted timestamp goes on after its closing quote: a stray quote on every line.
    const { code, stdout, stderr } = await replay(
      taps(100_000, (stamp, card) => `"${stamp}"x,${card}`),
    );
    const log = logText(stderr);
    expect(log).not.toContain('Maximum call stack');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    // Reading stops after 200 unreadable lines, and says where; the message lists 20 of them.
    expect(log).toContain('has 201 bad line(s); nothing was replayed');
    expect(log).toContain('taps.csv:1: the quoted field opened on line 1 goes on after');
    expect(log).toContain('taps.csv:20: ');
    expect(log).not.toContain('taps.csv:21: ');
    expect(log).toContain(
      '… and 181 more; the last: taps.csv:201: reading stopped here, after 200 lines that could not be read as CSV',
    );
    expect(linesOf(log).length).toBeLessThan(30);
  }, 60_000);

  it('refuses a tap log saved as UTF-16 with exit 2, in one message naming its encoding and the fix', async () => {
    const { code, stdout, stderr } = await replay(
      unicodeText(taps(50, (stamp, card) => `${stamp}\t${card}`)),
    );
    const log = logText(stderr);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(log).toContain(
      `taps.csv: it is saved as UTF-16 LE, not UTF-8; save it as ${SAVE_AS_CSV_UTF8}`,
    );
    // Not line by line, nor counted as bad lines.
    expect(log).not.toMatch(/taps\.csv:\d+:/);
    expect(log).not.toContain('bad line');
    expect(linesOf(log).length).toBeLessThanOrEqual(2);
  });
});

describe('a running clock with a people file exported by a spreadsheet', () => {
  const dir = useTempDir('csv-people');
  const args = (): string[] => [
    'run',
    '--data-dir',
    join(dir(), 'data'),
    '--people-file',
    join(dir(), 'people.csv'),
    '--tz',
    'UTC',
  ];

  it('starts with a European Excel people file of a few thousand lines and names the people in it', async () => {
    const rows = Array.from(
      { length: 5000 },
      (_, i) => `"${(0xa0000000 + i).toString(16).toUpperCase()}";"Person ${i}";"yes";""`,
    );
    writeFileSync(
      join(dir(), 'people.csv'),
      `"card";"name";"active";"aliases"\r\n${rows.join('\r\n')}\r\n`,
    );
    const clock = new Clock(args(), { cwd: dir(), env: FAST_ENV, timeoutMs: 30_000 });
    await clock.started();
    clock.write('A0000003\n');
    await clock.waitFor((c) => linesOf(c.stdout).length === 1);
    expect(await clock.stop()).toBe(0);
    expect(linesOf(clock.stdout)[0]).toMatch(/ {2}Person 3 {2}in$/);
    expect(logText(clock.stderr)).not.toContain('Maximum call stack');
  }, 40_000);

  it('keeps running when the people file is replaced by one of 100,000 malformed lines', async () => {
    writeFileSync(join(dir(), 'people.csv'), 'card,name\nB0B0B0B0,Bob\n');
    const clock = new Clock(args(), { cwd: dir(), env: FAST_ENV, timeoutMs: 30_000 });
    await clock.started();
    const bad = Array.from({ length: 100_000 }, (_, i) => `"C${i}"x,Someone`).join('\n');
    writeFileSync(join(dir(), 'people.csv'), `card,name\n${bad}\n`);
    // The driver polls the file every 2 s: wait until it has read the new one (it says what it
    // could not read), however loaded the machine is.
    await clock.waitFor((c) => logText(c.stderr).includes('reading stopped here'));
    // Bob is no longer listed: he clocks in under his card, and the clock goes on.
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => linesOf(c.stdout).some((line) => line.endsWith('B0B0B0B0  in')));
    expect(await clock.stop()).toBe(0);
    expect(logText(clock.stderr)).not.toContain('Maximum call stack');
    expect(readFileSync(join(dir(), 'people.csv'), 'utf8')).toContain('"C99999"x,Someone');
  }, 40_000);

  it('names nobody from a people file saved as UTF-16, says why once with the fix, and adds no card to it', async () => {
    const people = unicodeText('card\tname\r\nB0B0B0B0\tBob Okafor\r\n');
    writeFileSync(join(dir(), 'people.csv'), people);
    const clock = new Clock(args(), { cwd: dir(), env: FAST_ENV, timeoutMs: 30_000 });
    await clock.started();
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => logText(c.stderr).includes('could not add card B0B0B0B0'));
    expect(await clock.stop()).toBe(0);
    const log = logText(clock.stderr);
    expect(linesOf(clock.stdout)[0]).toMatch(/^\? unknown card B0B0B0B0 /);
    expect(log).toContain(
      `could not read ${join(dir(), 'people.csv')}: it is saved as UTF-16 LE, not UTF-8; nobody is named until it is saved as ${SAVE_AS_CSV_UTF8}`,
    );
    expect(log).toContain(
      `could not add card B0B0B0B0 to ${join(dir(), 'people.csv')}: it is saved as UTF-16 LE, not UTF-8; save it as ${SAVE_AS_CSV_UTF8}, then add the card by hand`,
    );
    expect(linesOf(log).filter((line) => line.includes('UTF-16'))).toHaveLength(2);
    expect(log).not.toContain('control or binary bytes');
    expect(readFileSync(join(dir(), 'people.csv'))).toEqual(people);
  }, 40_000);
});
