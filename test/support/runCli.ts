/** Runs the built CLI as a real process, bounded in time, and waits for what it prints. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CLI = resolve(__dirname, '../../dist/src/cli.js');

/**
 * The CLI's process zone: the one jest runs under (`TZ=Europe/Berlin npx jest`), UTC if unset.
 * Passed on so a run under another `TZ` also runs the CLI under it: its answers must come from
 * the configured zone (`--tz`), never from the process's (issue 15, item 9).
 */
const CHILD_TZ = process.env.TZ ?? 'UTC';

/** Fails early, with what to do, when `npm run build` has not been run. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** The messages of the JSON log lines on stderr (plain lines are kept as they are). */
export function logText(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        const record = JSON.parse(line) as { msg?: unknown };
        return typeof record.msg === 'string' ? record.msg : line;
      } catch {
        return line;
      }
    })
    .join('\n');
}

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs to completion (stdin closed at once unless given), killed after `timeoutMs`;
 * as another `user` through runuser (root only) when given.
 */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    input?: string;
    timeoutMs?: number;
    user?: string;
  } = {},
): Promise<Result> {
  return new Promise((done, fail) => {
    const command = [process.execPath, CLI, ...args];
    const [file = '', ...rest] =
      options.user === undefined ? command : ['runuser', '-u', options.user, '--', ...command];
    const child = spawn(file, rest, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, TZ: CHILD_TZ, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

const running = new Set<Clock>();

/** Kills every clock a test left running (a failed assertion skips its own stop). */
export async function killLeftoverClocks(): Promise<void> {
  await Promise.all([...running].map((clock) => clock.stop('SIGKILL')));
}

/** A long-running clock: write lines, wait for output, stop it. */
export class Clock {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private readonly closed: Promise<number | null>;
  private readonly killer: NodeJS.Timeout;

  constructor(
    args: string[],
    options: {
      env?: NodeJS.ProcessEnv;
      cwd?: string;
      timeoutMs?: number;
      /** A command the clock runs under, e.g. one that gives it a terminal (it passes signals on). */
      wrapper?: string[];
    } = {},
  ) {
    const [file = '', ...rest] = [...(options.wrapper ?? []), process.execPath, CLI, ...args];
    this.child = spawn(file, rest, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, TZ: CHILD_TZ, ...options.env },
    });
    this.child.stdout.setEncoding('utf8').on('data', (c: string) => (this.stdout += c));
    this.child.stderr.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.child.stdin.on('error', () => undefined);
    this.killer = setTimeout(() => this.child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    running.add(this);
    this.closed = new Promise((done) =>
      this.child.on('close', (code) => {
        clearTimeout(this.killer);
        running.delete(this);
        done(code);
      }),
    );
  }

  /** Resolves once the clock has opened its store and listens for cards. */
  started(): Promise<void> {
    return this.waitFor((clock) => logText(clock.stderr).includes('badgeclock 0.'));
  }

  /** Lines of console feedback printed so far. */
  lines(): string[] {
    return this.stdout.split('\n').filter((line) => line !== '');
  }

  write(text: string | Buffer): void {
    this.child.stdin.write(text);
  }

  /** Resolves when `predicate` holds for the output, or rejects after `ms`. */
  async waitFor(predicate: (clock: Clock) => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`timed out waiting; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a signal and resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal);
    return this.closed;
  }

  exited(): Promise<number | null> {
    return this.closed;
  }
}
