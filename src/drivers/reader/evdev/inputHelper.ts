/**
 * The helper that opens and grabs an input device for the evdev reader: a
 * few lines of python3, run as a child process (as the GPIO driver runs
 * `gpioset`). It opens the device, takes it with EVIOCGRAB so no keystroke
 * reaches a console, a login prompt or another program, and copies the
 * kernel's input_event records to its stdout untouched; the reader decodes
 * them. Why python3, and not a native addon or evtest: see
 * docs/architecture.md ("Decisions").
 *
 * Its answer is its exit code (and one line on stderr): 10 no such device,
 * 11 no permission, 12 not an input device, 13 grabbed by another program,
 * 14 the device went away. It writes `opened` to stderr once reading, and
 * ends when its stdin closes (the clock went away), releasing the grab.
 */
import { spawn } from 'node:child_process';

/** The helper's program; `python3 -c` runs it, so nothing but the build is installed. */
export const INPUT_HELPER_SCRIPT = `
import errno, fcntl, os, select, sys
EXIT = {errno.ENOENT: 10, errno.ENOTDIR: 10, errno.EACCES: 11, errno.EPERM: 11,
        errno.ENOTTY: 12, errno.EINVAL: 12, errno.EISDIR: 12, errno.EBUSY: 13, errno.ENODEV: 14}
EVIOCGRAB = 0x40044590
def fail(what, error):
    sys.stderr.write('%s: %s\\n' % (what, error.strerror))
    sys.stderr.flush()
    sys.exit(EXIT.get(error.errno, 1))
mode, path = sys.argv[1], sys.argv[2]
try:
    fd = os.open(path, os.O_RDONLY)
except OSError as error:
    fail('open', error)
if mode == 'check':
    bits = bytearray(96)
    try:
        fcntl.ioctl(fd, (2 << 30) | (len(bits) << 16) | (ord('E') << 8) | 0x21, bits, True)
    except OSError as error:
        fail('keys', error)
    has = lambda code: bits[code // 8] >> (code % 8) & 1
    print('keyboard' if all(has(code) for code in list(range(2, 12)) + [28]) else 'not-keyboard')
    try:
        fcntl.ioctl(fd, EVIOCGRAB, 1)
        fcntl.ioctl(fd, EVIOCGRAB, 0)
        print('grabbed')
    except OSError as error:
        print('busy' if error.errno == errno.EBUSY else 'no-grab ' + error.strerror)
    sys.exit(0)
if '--grab' in sys.argv[3:]:
    try:
        fcntl.ioctl(fd, EVIOCGRAB, 1)
    except OSError as error:
        fail('grab', error)
sys.stderr.write('opened\\n')
sys.stderr.flush()
while True:
    ready = select.select([fd, 0], [], [])[0]
    if 0 in ready and not os.read(0, 4096):
        sys.exit(0)
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError as error:
            fail('read', error)
        if not data:
            sys.stderr.write('read: end of input\\n')
            sys.exit(14)
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(1, view):]
        except BrokenPipeError:
            sys.exit(0)
`;

/** How the helper is run: the command and its first arguments; tests put a fake here. */
export const defaultHelper: readonly string[] = ['python3', '-c', INPUT_HELPER_SCRIPT];

/** Exit codes of the helper. */
export const HelperExit = {
  missing: 10,
  permission: 11,
  notInput: 12,
  busy: 13,
  gone: 14,
} as const;

/** Where to look for the device's path, for every message that names a wrong one. */
const FIND_PATH =
  'find its path with ls -l /dev/input/by-id/ (the entry ending in -event-kbd) and set inputDevice (BADGECLOCK_INPUT_DEVICE) to it';

/** The fix for a missing permission: the service's user in the `input` group. */
export const INPUT_GROUP_FIX =
  "add the clock's user to the input group (sudo usermod -aG input badgeclock, or your own user for npm start), then restart the service or log in again";

export interface HelperFault {
  /** Faults of one kind are one incident: reported once. A device that went away and is not back yet is one. */
  readonly key: string;
  readonly reason: string;
}

/** What a helper's exit means for the person at the clock. */
export function describeHelperExit(
  device: string,
  code: number | null,
  signal: string | null,
  stderr: string,
): HelperFault {
  switch (code) {
    case HelperExit.missing:
      return {
        key: 'absent',
        reason: `input device ${device} does not exist: is the reader plugged in? ${FIND_PATH}`,
      };
    case HelperExit.permission:
      return {
        key: 'permission',
        reason: `no permission to read input device ${device}: ${INPUT_GROUP_FIX}`,
      };
    case HelperExit.notInput:
      return {
        key: 'not-input',
        reason: `${device} is not an input device (${stderr.trim() || 'no EVIOCGRAB'}): ${FIND_PATH}`,
      };
    case HelperExit.busy:
      return {
        key: 'busy',
        reason: `input device ${device} is grabbed by another program (a clock or reader test already running?): stop it, or set inputGrab to false`,
      };
    case HelperExit.gone:
      return {
        key: 'absent',
        reason: `input device ${device} went away (unplugged?); reading it again as soon as it is back`,
      };
    case 127:
      return { key: 'no-python', reason: NO_PYTHON };
    default: {
      const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      const said = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
      return {
        key: `ended ${how}`,
        reason: `the input helper for ${device} ended (${how})${said}`,
      };
    }
  }
}

/** The helper's interpreter is not there. */
export const NO_PYTHON =
  'the evdev reader runs a small python3 helper to grab the device, and python3 was not found: sudo apt install python3';

export type InputDeviceCheck =
  | {
      readonly ok: true;
      readonly keyboard: boolean;
      /** 'grabbed': it can be grabbed; 'busy': another program holds it; else why not. */
      readonly grab: string;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Opens the device as the clock would, asks the kernel whether it has the
 * keys of a keyboard (EVIOCGBIT), and grabs and releases it: doctor's check.
 * Never rejects.
 */
export function checkInputDevice(
  device: string,
  helper: readonly string[] = defaultHelper,
  timeoutMs = 5_000,
): Promise<InputDeviceCheck> {
  return new Promise((resolve) => {
    const [command = 'python3', ...first] = helper;
    const child = spawn(command, [...first, 'check', device], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      resolve({ ok: false, reason: error.code === 'ENOENT' ? NO_PYTHON : error.message });
    });
    child.on('close', (code: number | null, signal: string | null) => {
      clearTimeout(deadline);
      if (code !== 0) {
        resolve({ ok: false, reason: describeHelperExit(device, code, signal, stderr).reason });
        return;
      }
      const [keys = '', grab = ''] = stdout.trim().split('\n');
      resolve({ ok: true, keyboard: keys === 'keyboard', grab: grab.replace(/^no-grab /, '') });
    });
  });
}
