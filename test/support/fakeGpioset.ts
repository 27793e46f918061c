/**
 * A fake libgpiod `gpioset` for tests: a real executable (a shell script) that
 * records every call. Holding calls stay alive until killed, like the real
 * tool holding its lines; set-and-exit calls exit at once. A `fail` file next
 * to it makes holding calls fail the way a busy or missing line does.
 */
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GpiosetCall {
  readonly pid: number;
  /** `hold`: keeps the lines until killed; `once`: sets and exits; `fail`: a failed hold. */
  readonly kind: 'hold' | 'once' | 'fail';
  readonly args: string;
}

export interface FakeGpioset {
  /** The directory to put on the search path. */
  readonly dir: string;
  /** A file standing in for /dev/gpiochip0. */
  readonly chip: string;
  readonly calls: () => GpiosetCall[];
  readonly failHolds: (fail: boolean) => void;
}

/** Writes a fake `gpioset` of libgpiod `version` (e.g. "2.1.3") into `dir`. */
export function fakeGpioset(dir: string, version: string): FakeGpioset {
  const log = join(dir, 'calls.log');
  const fail = join(dir, 'fail');
  const chip = join(dir, 'gpiochip0');
  writeFileSync(chip, '');
  const script = join(dir, 'gpioset');
  writeFileSync(
    script,
    `#!/bin/sh
if [ "$1" = "--version" ]; then
  echo "gpioset (libgpiod) v${version}"
  echo "Copyright (C) 2017-2023 Bartosz Golaszewski"
  exit 0
fi
case " $* " in
  *" --mode=exit "*|*" --toggle 0 "*) echo "$$ once $*" >> '${log}'; exit 0 ;;
esac
if [ -e '${fail}' ]; then
  echo "$$ fail $*" >> '${log}'
  echo "gpioset: unable to request lines on chip '${chip}': Device or resource busy" >&2
  exit 1
fi
echo "$$ hold $*" >> '${log}'
exec sleep 600
`,
  );
  chmodSync(script, 0o755);
  return {
    dir,
    chip,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => {
              const [pid = '', kind = '', ...args] = line.split(' ');
              return {
                pid: Number(pid),
                kind: kind === 'hold' || kind === 'once' ? kind : 'fail',
                args: args.join(' '),
              };
            })
        : [],
    failHolds: (on) => {
      if (on) writeFileSync(fail, '');
      else rmSync(fail, { force: true });
    },
  };
}

/** True while process `pid` runs (a zombie waiting for init to reap it has ended). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ...": state Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
