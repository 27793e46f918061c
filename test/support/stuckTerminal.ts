/**
 * A command prefix that runs a command with its standard output (and, with `both`, its standard
 * error) on a pseudo-terminal that is never read: once the terminal's buffer is full it takes no
 * more output, as a terminal paused with Ctrl-S or Scroll Lock, or a stalled ssh session, does.
 * Signals are passed on; the command is killed with the wrapper (PR_SET_PDEATHSIG), so a test's
 * SIGKILL leaves nothing running.
 */
const SCRIPT = `
import ctypes, os, signal, subprocess, sys
streams, command = sys.argv[1], sys.argv[2:]
master, terminal = os.openpty()
child = subprocess.Popen(
    command,
    stdout=terminal,
    stderr=terminal if streams == "both" else None,
    preexec_fn=lambda: ctypes.CDLL(None).prctl(1, signal.SIGKILL),
)
os.close(terminal)
for number in (signal.SIGINT, signal.SIGTERM):
    signal.signal(number, lambda received, _: child.send_signal(received))
code = child.wait()
sys.exit(code if code >= 0 else 128 - code)
`;

/** The wrapper for `Clock`'s `wrapper` option. */
export function stuckTerminal(streams: 'stdout' | 'both'): string[] {
  return ['python3', '-c', SCRIPT, streams];
}
