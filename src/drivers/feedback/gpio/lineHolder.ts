/**
 * One `gpioset` process holding the GPIO lines at a state (a line's value is
 * guaranteed only while it is requested): started, stopped with SIGTERM (then
 * SIGKILL), and telling once how it ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Holder {
  readonly child: ChildProcess;
  stopping: boolean;
  /** Resolves once the process is gone (its lines released). */
  readonly gone: Promise<void>;
  /** SIGTERM, and SIGKILL if that is not enough. */
  readonly stop: () => void;
}

/** How long a holder may take to die after SIGTERM before it gets SIGKILL. */
export const STOP_GRACE_MS = 2_000;

/**
 * Starts `bin` with `args` (a gpioset that holds its lines). `ended` is told
 * once, when the process is gone: null when it was stopped by us, else what
 * went wrong (the first line gpioset wrote to stderr, or its exit).
 */
export function startHolder(
  bin: string,
  args: readonly string[],
  ended: (self: Holder, problem: string | null) => void,
): Holder {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 2_000) stderr += chunk;
  });
  let killer: NodeJS.Timeout | undefined;
  let end: () => void = () => undefined;
  const self: Holder = {
    child,
    stopping: false,
    gone: new Promise<void>((resolve) => {
      end = resolve;
    }),
    stop: () => {
      if (self.stopping) return;
      self.stopping = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      killer.unref();
    },
  };
  let done = false;
  const finish = (problem: string | null): void => {
    if (done) return;
    done = true;
    clearTimeout(killer);
    ended(self, problem);
    end();
  };
  child.once('error', (error) => {
    finish(`could not run ${bin}: ${error.message}`);
  });
  child.once('close', (code, signal) => {
    // Stopped by us: 1.x exits 0 on SIGTERM, 2.x dies of it. Anything else is a failure.
    const stopped = self.stopping && (code === 0 || signal === 'SIGTERM');
    const said = stderr.trim().split('\n')[0] ?? '';
    finish(
      stopped
        ? null
        : `gpioset ${args.join(' ')} failed: ${said === '' ? `exit ${code ?? signal ?? '?'}` : said}`,
    );
  });
  return self;
}
