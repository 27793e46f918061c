/**
 * An idle clock's memory and CPU: the built CLI's `run` as separate Node
 * processes (SQLite store in a temp dir, no sheet, no card), measured from
 * outside through /proc. Three clocks run side by side, so they share the
 * machine's noise: the MFRC522 reader polling the emulated chip every 100 ms
 * in its worker, once with the bus blocking for real (1 MHz plus 40 µs a
 * transfer, about a Pi's spidev) and once with an instant bus (the driver's
 * code alone); and the baseline, the keyboard reader with stdin open and no
 * input (nothing polls).
 *
 * Time sync is off in all three: the timedatectl check every 30 s would land
 * in some windows and not others. So is V8's memory reducer (see `start`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one clock used over the window. */
export interface IdleFigures {
  /** Resident set size (VmRSS) at the window's start and end, and its largest sample. */
  readonly rssStartMb: number;
  readonly rssEndMb: number;
  readonly rssPeakMb: number;
  /** CPU time (user + system, all threads) over the window, as % of one core. */
  readonly cpuPercent: number;
  /** Where the CPU time came from: per-thread schedstat (ns), or the process's stat (10 ms ticks). */
  readonly cpuFrom: 'schedstat' | 'stat';
  /** Frames the emulated chip sent in the window (one per idle poll); null for the keyboard. */
  readonly frames: number | null;
}

export interface IdleBenchResult {
  readonly seconds: number;
  readonly settleSeconds: number;
  readonly pollMs: number;
  readonly keyboard: IdleFigures;
  readonly realtime: IdleFigures;
  readonly instant: IdleFigures;
}

type ClockKind = 'keyboard' | 'realtime' | 'instant';

const POLL_MS = 100;
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 3_000;
/** USER_HZ: /proc's tick for utime and stime (100 on every Linux ABI Node runs on). */
const TICK_NS = 1e9 / 100;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** VmRSS of a process, in kB. */
function rssKb(pid: number): number {
  const line = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (line?.[1] === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]);
}

interface CpuSample {
  /** utime + stime of the process (its exited threads included), in ns. */
  readonly statNs: number;
  /** Time on a CPU per live thread, in ns; null where schedstat is not there. */
  readonly threads: ReadonlyMap<string, number> | null;
}

function cpuSample(pid: number): CpuSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const statNs = (Number(fields[11]) + Number(fields[12])) * TICK_NS;
  const threads = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [onCpu] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      threads.set(tid, Number(onCpu));
    } catch {
      // The thread ended meanwhile (counted by stat), or there is no schedstat.
    }
  }
  return { statNs, threads: threads.size === 0 ? null : threads };
}

/**
 * CPU ns between two samples: per-thread schedstat when no thread ended in
 * between (a thread that began counts whole); otherwise the coarser stat.
 */
function cpuBetween(start: CpuSample, end: CpuSample): { ns: number; from: 'schedstat' | 'stat' } {
  const before = start.threads;
  const after = end.threads;
  if (before !== null && after !== null && [...before.keys()].every((tid) => after.has(tid))) {
    let ns = 0;
    for (const [tid, onCpu] of after) ns += onCpu - (before.get(tid) ?? 0);
    return { ns, from: 'schedstat' };
  }
  return { ns: end.statNs - start.statNs, from: 'stat' };
}

/** One clock process: started, asked, measured, stopped. */
class IdleClock {
  private stderr = '';
  private started = false;
  private exited: string | null = null;
  private readonly frameWaiters: ((frames: number) => void)[] = [];

  private constructor(
    readonly kind: ClockKind,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      if (!this.started) this.started = startupLogged(this.stderr);
    });
    // Feedback (none expected: no card) must not fill the pipe.
    child.stdout?.resume();
    child.stdin?.on('error', () => undefined);
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'frames' in message) {
        const { frames } = message;
        if (typeof frames === 'number') this.frameWaiters.shift()?.(frames);
      }
    });
    child.on('exit', (code, signal) => {
      this.exited = `exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`;
    });
    child.on('error', (error) => {
      this.exited ??= `failed: ${error.message}`;
    });
  }

  /** Starts the clock; stdin stays open and silent. */
  static start(kind: ClockKind): IdleClock {
    const dir = mkdtempSync(join(tmpdir(), `badgeclock-idle-${kind}-`));
    const reader = kind === 'keyboard' ? 'keyboard' : 'mfrc522';
    const child = fork(
      join(__dirname, 'idleClock.js'),
      ['run', '--reader', reader, '--reader-name', 'bench', '--data-dir', dir],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          TZ: 'UTC',
          BADGECLOCK_TIME_SYNC: 'off',
          ...(kind === 'keyboard' ? {} : { BENCH_IDLE_SPI: kind }),
        },
        // V8's memory reducer frees some 10 MB of start-up memory once a process looks idle:
        // 15 s after start in one run, not within 40 s in the next, so with it on the same
        // clock reads 66 or 77 MB. Off in all three, the figures are before it, and comparable.
        execArgv: ['--no-memory-reducer'],
        stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      },
    );
    return new IdleClock(kind, child, dir);
  }

  get pid(): number {
    const { pid } = this.child;
    if (pid === undefined || this.exited !== null) throw this.failure('is not running');
    return pid;
  }

  failure(what: string): Error {
    return new Error(`the ${this.kind} clock ${what}; its log:\n${this.stderr.trim()}`);
  }

  /** Resolves once the clock has logged its start (and, emulated, once the chip has been polled). */
  async ready(): Promise<void> {
    const started = Date.now() + START_TIMEOUT_MS;
    while (!this.started) {
      if (this.exited !== null) throw this.failure(this.exited);
      if (Date.now() > started) throw this.failure('did not start in time');
      await sleep(50);
    }
    if (this.kind === 'keyboard') return;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (((await this.frames()) ?? 0) === 0) {
      if (Date.now() > deadline) throw this.failure('never polled the emulated chip');
      await sleep(50);
    }
  }

  /** Frames the emulated chip has sent so far; null for the keyboard clock. */
  async frames(): Promise<number | null> {
    if (this.kind === 'keyboard') return null;
    if (this.exited !== null) throw this.failure(this.exited);
    const answer = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(this.failure('did not answer how many frames it sent'));
      }, 5_000);
      this.frameWaiters.push((frames) => {
        clearTimeout(timer);
        resolve(frames);
      });
    });
    this.child.send('frames');
    return answer;
  }

  /** SIGTERM (the CLI's graceful stop), SIGKILL after a grace period; removes the temp dir. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => {
        this.child.once('exit', () => {
          resolve();
        });
      });
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The CLI's start-up line, in its JSON log on stderr. */
function startupLogged(stderr: string): boolean {
  return stderr.split('\n').some((line) => {
    try {
      const record: unknown = JSON.parse(line);
      return (
        typeof record === 'object' &&
        record !== null &&
        'msg' in record &&
        typeof record.msg === 'string' &&
        record.msg.startsWith('badgeclock ')
      );
    } catch {
      return false;
    }
  });
}

/** Measures one running clock over the window: RSS every second, CPU and frames at both ends. */
async function measure(clock: IdleClock, seconds: number): Promise<IdleFigures> {
  const { pid } = clock;
  const framesStart = await clock.frames();
  const cpuStart = cpuSample(pid);
  const rss = [rssKb(pid)];
  const began = performance.now();
  for (let i = 1; i <= seconds; i++) {
    await sleep(began + i * 1000 - performance.now());
    rss.push(rssKb(clock.pid));
  }
  const cpuEnd = cpuSample(pid);
  const elapsedNs = (performance.now() - began) * 1e6;
  const framesEnd = await clock.frames();
  const cpu = cpuBetween(cpuStart, cpuEnd);
  const mb = (kb: number): number => kb / 1024;
  return {
    rssStartMb: mb(rss[0] ?? NaN),
    rssEndMb: mb(rss.at(-1) ?? NaN),
    rssPeakMb: mb(Math.max(...rss)),
    cpuPercent: (100 * cpu.ns) / elapsedNs,
    cpuFrom: cpu.from,
    frames: framesStart === null || framesEnd === null ? null : framesEnd - framesStart,
  };
}

/**
 * Runs the three idle clocks side by side: start, settle (BENCH_IDLE_SETTLE_SECONDS,
 * default 5), then a window of `seconds` (BENCH_IDLE_SECONDS, default 20).
 * Every clock is stopped at the end, also on failure. Linux only (/proc).
 */
export async function idleBench(
  options: { seconds?: number; settleSeconds?: number } = {},
): Promise<IdleBenchResult> {
  const seconds = options.seconds ?? Number(process.env.BENCH_IDLE_SECONDS ?? '20');
  const settleSeconds =
    options.settleSeconds ?? Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? '5');
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`BENCH_IDLE_SECONDS must be a whole number of seconds ≥ 1, not ${seconds}`);
  }
  if (!Number.isFinite(settleSeconds) || settleSeconds < 0) {
    throw new Error(`BENCH_IDLE_SETTLE_SECONDS must be seconds ≥ 0, not ${settleSeconds}`);
  }
  if (!existsSync('/proc/self/stat')) throw new Error('the idle bench reads /proc: Linux only');
  const clocks: IdleClock[] = [];
  try {
    for (const kind of ['keyboard', 'realtime', 'instant'] as const) {
      clocks.push(IdleClock.start(kind));
    }
    await Promise.all(clocks.map((clock) => clock.ready()));
    await sleep(settleSeconds * 1000);
    const [keyboard, realtime, instant] = await Promise.all(
      clocks.map((clock) => measure(clock, seconds)),
    );
    if (keyboard === undefined || realtime === undefined || instant === undefined) {
      throw new Error('a clock was not measured');
    }
    return { seconds, settleSeconds, pollMs: POLL_MS, keyboard, realtime, instant };
  } finally {
    await Promise.all(clocks.map((clock) => clock.stop()));
  }
}

/** The benchmark's lines for `npm run bench`. */
export function idleReport(result: IdleBenchResult): string[] {
  const { keyboard: base, pollMs, seconds } = result;
  const mb = (value: number): string => `${value.toFixed(1)} MB`;
  const signed = (value: number, unit: (v: number) => string): string =>
    `${value < 0 ? '−' : '+'}${unit(Math.abs(value))}`;
  const percent = (value: number): string => `${value.toFixed(3)} %`;
  const times = (ratio: number): string =>
    `${ratio >= 100 ? ratio.toFixed(0) : ratio.toPrecision(3)}x`;
  const expected = (seconds * 1000) / pollMs;
  const row = (label: string, f: IdleFigures): string =>
    `  ${label.padEnd(36)}${`${f.rssStartMb.toFixed(1)} → ${mb(f.rssEndMb)}`.padEnd(18)}` +
    `${`(${signed(f.rssEndMb - f.rssStartMb, mb)})`.padEnd(12)}${mb(f.rssPeakMb).padEnd(10)}` +
    percent(f.cpuPercent) +
    (f.frames === null ? '' : `  (${f.frames} of ${expected} polls)`);
  const against = (label: string, f: IdleFigures): string => {
    const extra = f.cpuPercent - base.cpuPercent;
    // CPU time beyond the baseline's, shared out over the polls in the window.
    const extraMs = (extra / 100) * seconds * 1000;
    const perPoll = f.frames === null || f.frames === 0 ? NaN : extraMs / f.frames;
    return (
      `    ${label.padEnd(16)}CPU ${times(f.cpuPercent / base.cpuPercent)} ` +
      `(${signed(extra, percent)} of a core, ${perPoll.toFixed(2)} ms a poll), ` +
      `RSS ${signed(f.rssEndMb - base.rssEndMb, mb)} (${times(f.rssEndMb / base.rssEndMb)})`
    );
  };
  const sources = [...new Set([base.cpuFrom, result.realtime.cpuFrom, result.instant.cpuFrom])];
  return [
    `Idle clock: built CLI as separate processes side by side (SQLite store, no sheet, no card, ` +
      `V8 memory reducer off), ${seconds} s after ${result.settleSeconds} s settling`,
    `  ${''.padEnd(36)}${'RSS start → end'.padEnd(30)}${'peak'.padEnd(10)}CPU, of one core`,
    row('keyboard, stdin open (baseline)', base),
    row(`MFRC522 every ${pollMs} ms, Pi-speed bus`, result.realtime),
    row(`MFRC522 every ${pollMs} ms, instant bus`, result.instant),
    `  MFRC522 against the baseline (CPU from ${sources.join(' and ')}, RSS from VmRSS at the end):`,
    against('Pi-speed bus:', result.realtime),
    against('instant bus:', result.instant),
  ];
}
