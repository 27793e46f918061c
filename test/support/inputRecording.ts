/**
 * Recorded keyboard input as the kernel delivers it: what a USB wedge reader
 * sends when it types an id (MSC_SCAN, the key press, SYN_REPORT, the
 * release, SYN_REPORT per key), and a fake of the evdev reader's helper.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EV_KEY, EV_SYN, type InputEvent } from '../../src/drivers/reader/evdev/inputEvents';

const EV_MSC = 4;
const MSC_SCAN = 4;

/** Kernel key codes of the keys a test types (US layout). */
export const KEY: Readonly<Record<string, number>> = {
  '1': 2,
  '2': 3,
  '3': 4,
  '4': 5,
  '5': 6,
  '6': 7,
  '7': 8,
  '8': 9,
  '9': 10,
  '0': 11,
  a: 30,
  b: 48,
  c: 46,
  d: 32,
  e: 18,
  f: 33,
  g: 34,
  space: 57,
  tab: 15,
  enter: 28,
  kpenter: 96,
  kp0: 82,
  kp1: 79,
  kp2: 80,
  kp3: 81,
  kp4: 75,
  kp5: 76,
  kp6: 77,
  kp7: 71,
  kp8: 72,
  kp9: 73,
  shift: 42,
};

function code(key: string): number {
  const found = KEY[key];
  if (found === undefined) throw new Error(`no key code for ${key}`);
  return found;
}

/** One key event with its scan code and report, at `ms`. */
export function key(name: string, value: 0 | 1 | 2, ms: number): InputEvent[] {
  return [
    { ms, type: EV_MSC, code: MSC_SCAN, value: 0x70000 + code(name) },
    { ms, type: EV_KEY, code: code(name), value },
    { ms, type: EV_SYN, code: 0, value: 0 },
  ];
}

/**
 * A wedge reader typing `keys` (characters, or names such as `kp1`,
 * `shift`-prefixed `^a`), `stepMs` apart from `startMs`: press then release.
 */
export function typed(keys: readonly string[], startMs: number, stepMs = 2): InputEvent[] {
  return keys.flatMap((name, i) => {
    const at = startMs + i * stepMs;
    if (name.startsWith('^')) {
      const base = name.slice(1);
      return [
        ...key('shift', 1, at),
        ...key(base, 1, at),
        ...key(base, 0, at + stepMs / 4),
        ...key('shift', 0, at + stepMs / 2),
      ];
    }
    return [...key(name, 1, at), ...key(name, 0, at + stepMs / 2)];
  });
}

/** `typed` for an id and its Enter. */
export function typedId(id: string, startMs: number, stepMs = 2): InputEvent[] {
  return typed([...id.split(''), 'enter'], startMs, stepMs);
}

export interface FakeInputHelper {
  /** The helper command to give the reader. */
  readonly helper: readonly string[];
  /** Each run's arguments, one line per run. */
  readonly calls: () => string[];
  /** Makes the next runs fail with this exit code and stderr line (null: work again). */
  readonly fail: (exit: { code: number; message: string } | null) => void;
}

/**
 * A fake of the helper, where no real device can be grabbed: a shell script
 * that records its arguments, then copies the "device" (a file or FIFO) to
 * its stdout as the real one does, or fails as told.
 */
export function fakeInputHelper(dir: string): FakeInputHelper {
  const log = join(dir, 'helper-calls.log');
  const failFile = join(dir, 'helper-fail');
  const script = join(dir, 'input-helper');
  writeFileSync(
    script,
    `#!/bin/sh
echo "$*" >> '${log}'
if [ -f '${failFile}' ]; then
  sed -n 2p '${failFile}' >&2
  exit "$(sed -n 1p '${failFile}')"
fi
echo opened >&2
cat "$2"
echo "read: end of input" >&2
exit 14
`,
  );
  chmodSync(script, 0o755);
  return {
    helper: [script],
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    fail: (exit) => {
      if (exit === null) rmSync(failFile, { force: true });
      else writeFileSync(failFile, `${exit.code}\n${exit.message}\n`);
    },
  };
}
