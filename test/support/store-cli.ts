/**
 * The built CLI as real processes for the store tests, each bounded by a
 * timeout: one-shot commands, and a running clock fed on stdin.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const CLI = resolve(__dirname, '../../dist/src/cli.js');

/** Fails early, with what to do, when `npm run build` has not been run. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** A quiet, deterministic environment: zone and clock sync fixed, nothing from the caller's shell. */
function environment(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, TZ: 'UTC', BADGECLOCK_TIME_SYNC: 'off', ...env };
}

/** The messages of the JSON log lines on stderr. */
export function messages(stderr: string): string {
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

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Run as this user (root only, through runuser). */
  readonly user?: string;
}

function start(args: readonly string[], options: CliOptions): ChildProcessWithoutNullStreams {
  const command = [process.execPath, CLI, ...args];
  const [file = '', ...rest] =
    options.user === undefined ? command : ['runuser', '-u', options.user, '--', ...command];
  return spawn(file, rest, { cwd: options.cwd, env: environment(options.env) });
}

/** Runs a command to its end with stdin closed; killed after the timeout. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = start(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end();
  });
}

const running = new Set<RunningClock>();

/** Kills every clock a test left running (a failed assertion skips its own stop). */
export async function killLeftoverClocks(): Promise<void> {
  await Promise.all([...running].map((clock) => clock.kill('SIGKILL')));
}

/** A running clock: type card ids, wait for what it prints, kill it. */
export class RunningClock {
  stdout = '';
  stderr = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly closed: Promise<number | null>;

  constructor(args: readonly string[], options: CliOptions = {}) {
    this.child = start(['run', ...args], options);
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.child.stdin.on('error', () => undefined);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    running.add(this);
    this.closed = new Promise((done) =>
      this.child.on('close', (code) => {
        clearTimeout(killer);
        running.delete(this);
        done(code);
      }),
    );
  }

  /** Resolves once the clock has opened its store and listens for cards. */
  started(): Promise<void> {
    return this.waitFor((clock) => messages(clock.stderr).includes('badgeclock 0.'));
  }

  tap(card: string): void {
    this.child.stdin.write(`${card}\n`);
  }

  /** Polls the output until `predicate` holds; rejects at the deadline or if the clock exits. */
  async waitFor(predicate: (clock: RunningClock) => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this)) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`gave up waiting; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((resolveTick) => setTimeout(resolveTick, 20));
    }
  }

  /** Lines of console feedback printed so far. */
  lines(): string[] {
    return this.stdout.split('\n').filter((line) => line !== '');
  }

  kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.closed;
  }

  exited(): Promise<number | null> {
    return this.closed;
  }
}
