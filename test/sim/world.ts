/**
 * The simulated world around the real clock: one run of a plan. The clock is
 * the real wiring (`clockApp`), the real reducer, the real SQLite store and
 * the real sheet driver and client; around it the world keeps virtual time
 * (simClock.ts), the spreadsheet (the model behind simSheetsApi.ts), the
 * people who tap and edit, and the faults. It records what the clock was
 * given and what it did, and checks the invariants (checks.ts) as it goes
 * and at the end.
 *
 * Time advances one scheduled action at a time; after each, the event loop
 * gets one turn so every promise of the Sheets client settles at the virtual
 * instant it belongs to. Nothing reads the real clock, nothing is random but
 * the world's PRNG: the same plan gives the same run, event for event.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { share, Subject, tap, type Observable, type Subscription } from 'rxjs';
import { clockApp, type AppIo } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import {
  makeSheetsDriver,
  type LiveSources,
  type SheetOutput,
  type SheetsDriver,
} from '../../src/drivers/sheets/sheetsDriver';
import { DB_FILE_NAME, Store } from '../../src/drivers/store/store';
import { makeLog } from '../../src/log';
import type { CardRead, Command } from '../../streams/events';
import { SpreadsheetModel } from '../support/spreadsheetModel';
import {
  iso,
  onlyRefusedSetAside,
  quietMinuteCheap,
  sheetEqualsStore,
  sheetRowsSound,
  storeMatchesModel,
  tickFollows,
  type TickRecord,
  type TypedEdit,
} from './checks';
import { Faults, type FaultWindow } from './faults';
import { periodAt } from '../../streams/payPeriod';
import {
  deletableRows,
  rearrangeLog,
  showsTyped,
  typeCorrection,
  type Typed,
  type TypedEditKind,
} from './logEdits';
import {
  dayReads,
  localDayStart,
  makePeople,
  peopleRows,
  type PlannedRead,
  type SimPerson,
} from './people';
import {
  DAY,
  eventAt,
  HOUR,
  MINUTE,
  SECOND,
  type LogEditKind,
  type PeopleEditKind,
  type Plan,
  type PlanEvent,
} from './plan';
import { makeRandom, type Random } from './random';
import { cutoffOf, startOfRun, ZONE } from './runStart';
import { monoNow, SimScheduler, trueNow, wallNow, wallScheduler, type WorldTime } from './simClock';
import {
  bytesRead,
  makeSimSheetsClient,
  viewSheet,
  type RequestRecord,
  type SheetView,
} from './simSheetsApi';
import { SessionModel, type Reading } from './sessionModel';
import { StoreView, type StoredSession } from './storeView';

const SHEET_ID = 'simSpreadsheet0001';
const ACCOUNT = 'badgeclock@sim-project.iam.gserviceaccount.com';
const TIMEOUT_MS = 30_000;
/** The card whose rows the spreadsheet refuses (a 400). */
export const POISON_CARD = '0B0BADBADBAD0B';
/** After the last day: quiet time for the sheet to catch up before the final checks. */
const SETTLE_MS = 15 * MINUTE;
/** How often the whole sheet is checked as the run goes (hours). */
const SHEET_CHECK_HOURS = 3;
/** "Within 10 minutes after the last fault ends". */
const CALM_AFTER_MS = 10 * MINUTE;

export type InvariantName =
  | '1 store = model'
  | '2 sheet = store'
  | '3 ticks and outbox'
  | '4 quiet minute cost'
  | 'clock stopped';

export interface Violation {
  readonly invariant: InvariantName;
  /** True time, ISO. */
  readonly at: string;
  readonly message: string;
}

export interface RunStats {
  simulatedDays: number;
  realMs: number;
  /** CPU time the run took (user + system): the figure that does not depend on the machine's load. */
  cpuMs: number;
  reads: number;
  readsLost: number;
  taps: number;
  sessions: number;
  requests: number;
  lives: number;
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  /** Invariant checks made, by invariant. */
  checks: Record<string, number>;
  /** Bytes read per quiet minute, the largest seen, and Log's length then. */
  quietBytesMax: number;
  quietBytesLogRows: number;
  /** Quiet minutes seen, and the requests and bytes read in them. */
  quietMinutes: number;
  quietRequests: number;
  quietBytes: number;
}

export interface RunResult {
  readonly violations: readonly Violation[];
  readonly stats: RunStats;
  /** A hash of everything that happened, in order. */
  readonly traceHash: string;
  readonly trace: readonly string[] | null;
}

export interface RunOptions {
  /** Where the data directories go; default /dev/shm (or the temp dir). */
  readonly baseDir?: string;
  /** Stop at the first violation (default true: a failure is a repro, and shrinking needs speed). */
  readonly stopOnViolation?: boolean;
  /** Keep the trace lines (the determinism test compares them). */
  readonly keepTrace?: boolean;
  /** Called as each simulated day begins. */
  readonly onDay?: (day: number) => void;
  /** Log rows already in the sheet before the first day (the bytes-per-minute figure). */
  readonly prefillLogRows?: number;
  /** End the run after this many hours instead of at the end of its days. */
  readonly hours?: number;
  /** Sees the spreadsheet at the end (diagnosis). */
  readonly atEnd?: (model: SpreadsheetModel, spreadsheetId: string) => void;
}

interface HeapItem {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  /** Whether the clock may have something to do afterwards (a turn of the event loop). */
  readonly turn: boolean;
}

/** A small binary heap of world events, by time and then by insertion. */
export class EventHeap {
  private readonly items: HeapItem[] = [];
  private seq = 0;

  push(at: number, run: () => void, turn = true): void {
    const item: HeapItem = { at, seq: this.seq++, run, turn };
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p === undefined || !before(item, p)) break;
      items[i] = p;
      items[parent] = item;
      i = parent;
    }
  }

  peek(): HeapItem | undefined {
    return this.items[0];
  }

  pop(): HeapItem | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const li = items[l];
      const ri = items[r];
      const mi = (): HeapItem => items[m] ?? last;
      if (li !== undefined && before(li, mi())) m = l;
      if (ri !== undefined && before(ri, mi())) m = r;
      if (m === i) break;
      const swap = items[m] ?? last;
      items[m] = items[i] ?? last;
      items[i] = swap;
      i = m;
    }
    return top;
  }
}

const before = (a: HeapItem, b: HeapItem): boolean =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** One turn of the event loop: every pending promise settles. */
const turn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

/**
 * Two 32-bit FNV-1a style hashes with different odd primes: the trace's fingerprint (64 bits;
 * an even multiplier would lose a bit at every step and leave the second half nearly constant).
 */
class TraceHash {
  private a = 0x811c9dc5;
  private b = 0x050c5d1f;
  add(line: string): void {
    for (let i = 0; i < line.length; i++) this.char(line.charCodeAt(i));
    this.char(10);
  }
  hex(): string {
    return this.a.toString(16).padStart(8, '0') + this.b.toString(16).padStart(8, '0');
  }
  private char(c: number): void {
    this.a = Math.imul(this.a ^ c, 0x01000193) >>> 0;
    this.b = Math.imul(this.b ^ c, 0x5bd1e995) >>> 0;
  }
}

interface Life {
  readonly id: number;
  readonly boot: number;
  readonly startedAt: number;
  readonly conn: { dead: boolean };
  readonly store: Store;
  readonly reads$: Subject<CardRead>;
  subscription: Subscription | null;
  failure: Error | null;
  lastTick: TickRecord | null;
  /** When the tick before the last one came. */
  tickBefore: number | null;
  /** Requests sent since the last tick, and whether anything happened meanwhile. */
  minuteRequests: RequestRecord[];
  /** Log rows the live updates since the last tick read back (invariant 4's allowance). */
  minuteWatched: number;
  open: number;
}

/** Runs one plan; resolves with what the checks found and what happened. */
export async function runPlan(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const world = new World(plan, options);
  try {
    return await world.run();
  } finally {
    world.dispose();
  }
}

class World {
  private readonly began = Date.now();
  private readonly cpuBegan = process.cpuUsage();
  private readonly root: Random;
  private readonly net: Random;
  private readonly jitter: Random;
  private readonly backoff: Random;
  private readonly edits: Random;
  private readonly routineBase: number;
  private readonly time: WorldTime;
  private readonly wall;
  private readonly model: SpreadsheetModel;
  private readonly faults: Faults;
  private readonly people: SimPerson[];
  private readonly names: string[];
  private readonly heap = new EventHeap();
  private readonly dir: string;
  private readonly config: Config;
  private readonly dbFile: string;
  private readonly view: StoreView;
  private readonly sessions: SessionModel;
  private readonly hash = new TraceHash();
  private readonly trace: string[] | null;
  private readonly violations: Violation[] = [];
  private readonly stopOnViolation: boolean;
  private readonly end: number;
  private readonly stats: RunStats;
  private readonly deleted = new Set<string>();
  private readonly syncedBoots = new Set<number>();
  private life: Life | null = null;
  private lives = 0;
  private boot = 0;
  private synced = true;
  private ntpAt = -Infinity;
  private lastWallStep = -Infinity;
  /** Anything that is a fault for "10 minutes after the last fault ends": down time, steps, unshares. */
  private lastDisturbance = -Infinity;
  private unsharedUntil = -Infinity;
  private fullUntil = -Infinity;
  /** Last time a tap, an edit or a fault happened: quiet minutes start 3 minutes after. */
  private lastActivity = -Infinity;
  private killCountdown: number | null = null;
  private pendingKill: (() => void) | null = null;
  private stopped = false;
  private noteColumn: number | null = null;
  /** Corrections a person typed into Log rows, by session (logEdits.ts). */
  private readonly typed = new Map<string, Typed>();
  /** When the clock first read each typed row back (monotonic). */
  private readonly readBack = new Map<string, number>();
  /** When the clock last read rows back on a clock not synchronised (monotonic). */
  private unsyncedReadAt = -Infinity;
  private renames = 0;
  private poisonTapped = false;
  /** False while the machine is off (a power cut): nothing is sighted then. */
  private powered = true;
  /**
   * Cards lying on a reader, until when, and whether a running clock has read them since they
   * were put there (the world's truth, whatever the clock saw).
   */
  private readonly lying = new Map<string, { until: number; seen: boolean }>();

  constructor(
    private readonly plan: Plan,
    private readonly options: RunOptions,
  ) {
    this.root = makeRandom(plan.seed);
    this.net = this.root.fork();
    this.jitter = this.root.fork();
    this.backoff = this.root.fork();
    this.edits = this.root.fork();
    this.routineBase = this.root.int(0, 0x7fffffff);
    const origin = startOfRun(plan);
    const mono = new SimScheduler();
    this.time = { mono, origin, error: 0, bootAt: 0, bootUptime: 20 * SECOND };
    this.wall = wallScheduler(
      this.time,
      this.jitter,
      { fromMs: 1_000, earlyP: 0.05, earlyMs: 400, lateP: 0.05, lateMs: 8_000 },
      () => {
        this.count('timer jitter');
      },
    );
    this.stopOnViolation = options.stopOnViolation ?? true;
    this.trace = options.keepTrace === true ? [] : null;
    this.end = Math.min(
      plan.days * DAY,
      options.hours === undefined ? Infinity : options.hours * HOUR,
    );
    this.stats = {
      simulatedDays: plan.days,
      realMs: 0,
      cpuMs: 0,
      reads: 0,
      readsLost: 0,
      taps: 0,
      sessions: 0,
      requests: 0,
      lives: 0,
      faults: {},
      checks: {},
      quietBytesMax: 0,
      quietBytesLogRows: 0,
      quietMinutes: 0,
      quietRequests: 0,
      quietBytes: 0,
    };

    const base = options.baseDir ?? (process.platform === 'linux' ? '/dev/shm' : tmpdir());
    try {
      this.dir = mkdtempSync(join(base, 'badgeclock-sim-'));
    } catch {
      this.dir = mkdtempSync(join(tmpdir(), 'badgeclock-sim-'));
    }
    const dataDir = join(this.dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const loaded = loadConfig({
      env: {
        BADGECLOCK_TZ: ZONE,
        BADGECLOCK_READER_NAME: 'door-a',
        BADGECLOCK_DATA_DIR: dataDir,
        BADGECLOCK_SPREADSHEET_ID: SHEET_ID,
        BADGECLOCK_KEY_FILE: join(this.dir, 'key.json'),
        BADGECLOCK_TIME_SYNC: 'timedatectl',
        BADGECLOCK_DAILY_CUTOFF: cutoffOf(plan) ?? 'off',
      },
      cwd: this.dir,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    this.config = loaded.config;
    this.dbFile = join(dataDir, DB_FILE_NAME);
    this.view = new StoreView(this.dbFile);

    this.model = new SpreadsheetModel({
      now: () => trueNow(this.time),
      quota: { readsPerMinute: 60, writesPerMinute: 60 },
      measureBytes: false,
    });
    this.model.createSpreadsheet(SHEET_ID, [ACCOUNT]);
    this.people = makePeople(plan.people, plan.habits, this.root.fork());
    this.names = this.people.map((p) => p.name);
    this.model.addTab(SHEET_ID, 'People', [
      ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'],
      ...peopleRows(this.people),
    ]);
    if (options.prefillLogRows !== undefined && options.prefillLogRows > 0) {
      this.model.addTab(SHEET_ID, 'Log', prefilledLog(options.prefillLogRows, origin));
    }

    this.faults = new Faults(this.net, this.windows(), plan.background);
    this.sessions = new SessionModel(
      {
        debounceMs: this.config.debounceSeconds * 1000,
        guardMs: this.config.guardSeconds * 1000,
        limitMs: this.config.autoClockOutHours * HOUR,
        cutoff:
          this.config.dailyCutoff === null ? null : { hhmm: this.config.dailyCutoff, zone: ZONE },
      },
      (boot) => this.syncedBoots.has(boot),
    );
    this.onDay = options.onDay;
  }

  private readonly onDay: ((day: number) => void) | undefined;

  // ---- running -------------------------------------------------------------------------------

  async run(): Promise<RunResult> {
    this.schedulePlan();
    this.startLife();
    await this.loop(this.end + SETTLE_MS);
    this.options.atEnd?.(this.model, SHEET_ID);
    if (!this.stopped) {
      this.finalChecks();
      if (this.life !== null) this.checkLastTick(this.life);
    }
    this.stats.realMs = Date.now() - this.began;
    const cpu = process.cpuUsage(this.cpuBegan);
    this.stats.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    this.stats.taps = this.sessions.taps;
    this.stats.sessions = this.sessions.sessions.length;
    this.stats.lives = this.lives;
    for (const [kind, n] of this.faults.injected) this.stats.faults[kind] = n;
    return {
      violations: this.violations,
      stats: this.stats,
      traceHash: this.hash.hex(),
      trace: this.trace,
    };
  }

  dispose(): void {
    if (this.life !== null) this.kill('end of run');
    this.view.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async loop(end: number): Promise<void> {
    const mono = this.time.mono;
    while (!this.stopped) {
      const next = this.heap.peek();
      const eventAt = next?.at ?? Infinity;
      const due = mono.nextDue();
      if (due !== null && due <= eventAt && due <= end) {
        try {
          mono.runNext(due);
        } catch (error) {
          this.violate('clock stopped', `an action threw: ${describe(error)}`);
          break;
        }
        if (this.killCountdown !== null) {
          this.killCountdown -= 1;
          if (this.killCountdown <= 0) {
            this.killCountdown = null;
            const kill = this.pendingKill;
            this.pendingKill = null;
            kill?.();
          }
        }
        await turn();
        continue;
      }
      if (next === undefined || eventAt > end) break;
      this.heap.pop();
      mono.advanceTo(eventAt);
      next.run();
      if (next.turn) await turn();
    }
    if (!this.stopped) mono.advanceTo(end);
  }

  private record(line: string): void {
    // The run's directory has a random name: the trace says <dir>, so a run is the same on any machine.
    const entry = `${this.time.mono.now()} ${line.replaceAll(this.dir, '<dir>')}`;
    this.hash.add(entry);
    this.trace?.push(entry);
  }

  private count(kind: string, n = 1): void {
    this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + n;
  }

  private checked(invariant: InvariantName): void {
    this.stats.checks[invariant] = (this.stats.checks[invariant] ?? 0) + 1;
  }

  private violate(invariant: InvariantName, message: string): void {
    this.violations.push({ invariant, at: iso(trueNow(this.time)), message });
    this.record(`VIOLATION ${invariant}: ${message}`);
    if (this.stopOnViolation) this.stopped = true;
  }

  private violateAll(invariant: InvariantName, messages: readonly string[]): void {
    this.checked(invariant);
    if (messages.length === 0) return;
    const shown = messages.slice(0, 5).join('; ');
    this.violate(
      invariant,
      messages.length > 5 ? `${shown}; and ${messages.length - 5} more` : shown,
    );
  }

  // ---- the plan ---------------------------------------------------------------------------------

  private windows(): FaultWindow[] {
    const windows: FaultWindow[] = [];
    for (const event of this.plan.events) {
      const from = eventAt(event, this.plan);
      const until = (ms: number): number => Math.min(from + ms, this.end);
      switch (event.kind) {
        case 'outage':
          windows.push({ kind: 'outage', from, to: until(event.ms), p: 1 });
          break;
        case 'rateLimit':
          windows.push({
            kind: 'rateLimit',
            from,
            to: until(event.ms),
            p: event.p,
            retryAfterS: event.retryAfterS,
          });
          break;
        case 'serverErrors':
          windows.push({
            kind: 'serverErrors',
            from,
            to: until(event.ms),
            p: event.p,
            status: event.status,
          });
          break;
        case 'resets':
          windows.push({ kind: 'resets', from, to: until(event.ms), p: event.p });
          break;
        case 'slow':
          windows.push({ kind: 'slow', from, to: until(event.ms), p: event.p, lands: event.lands });
          break;
        default:
          break;
      }
    }
    return windows;
  }

  private schedulePlan(): void {
    for (let day = 0; day <= this.plan.days; day++) {
      const dayStart = localDayStart(this.time.origin, day, ZONE) - this.time.origin;
      this.heap.push(
        Math.max(0, dayStart - 2 * HOUR),
        () => {
          this.planDay(day);
        },
        false,
      );
    }
    // Invariant 3 as it happens: every minute, the last tick is at most 2 minutes old.
    for (let minute = MINUTE; minute <= this.end + SETTLE_MS; minute += MINUTE) {
      this.heap.push(
        minute,
        () => {
          this.tickWatch();
        },
        false,
      );
    }
    for (let hour = HOUR; hour <= this.end + SETTLE_MS; hour += HOUR) {
      this.heap.push(
        hour,
        () => {
          this.checkpoint(hour);
        },
        false,
      );
    }
    for (const event of this.plan.events) {
      const at = eventAt(event, this.plan);
      this.heap.push(at, () => {
        this.apply(event);
      });
    }
  }

  private planDay(day: number): void {
    if (day < this.plan.days) this.onDay?.(day);
    if (day >= this.plan.days) return;
    const random = makeRandom((this.routineBase ^ Math.imul(day + 1, 0x9e3779b1)) >>> 0);
    const reads = dayReads(this.people, this.plan.habits, this.time.origin, day, ZONE, random);
    for (const read of reads) this.scheduleRead(read);
  }

  private scheduleRead(read: PlannedRead): void {
    if (read.at < this.time.mono.now() || read.at >= this.end) return;
    this.heap.push(read.at, () => {
      this.deliver(read.card, read.reader);
    });
  }

  // ---- the clock's lives -------------------------------------------------------------------------

  private reading(): Reading {
    return {
      at: wallNow(this.time),
      mono: monoNow(this.time),
      boot: this.boot,
      staleBy: this.synced ? 0 : this.time.error,
    };
  }

  private deliver(card: string, reader: string): void {
    this.lastActivity = this.time.mono.now();
    this.stats.reads += 1;
    const life = this.life;
    if (life === null || life.failure !== null) {
      this.stats.readsLost += 1;
      if (this.powered) this.sessions.sight(card, this.reading());
      return;
    }
    const now = this.reading();
    const lying = this.lying.get(card);
    if (lying !== undefined) lying.seen = true;
    this.sessions.apply({ type: 'read', card, ...now });
    this.record(`read ${card} ${reader}`);
    life.reads$.next({ type: 'cardRead', at: now.at, card, reader, mono: now.mono });
  }

  private startLife(): void {
    this.lives += 1;
    const conn = { dead: false };
    const store = Store.open(this.dbFile);
    const reads$ = new Subject<CardRead>();
    const life: Life = {
      id: this.lives,
      boot: this.boot,
      startedAt: this.time.mono.now(),
      conn,
      store,
      reads$,
      subscription: null,
      failure: null,
      lastTick: null,
      tickBefore: null,
      minuteRequests: [],
      minuteWatched: 0,
      open: 0,
    };
    this.life = life;
    this.record(`start life ${life.id} boot ${life.boot} wall ${iso(wallNow(this.time))}`);
    // A new process knows no People until its cache or the sheet gives them (a damaged cache
    // while offline: none at all), and the model knows only what the clock knows.
    this.sessions.apply({ type: 'directory', people: [], at: this.reading() });
    // Its start closes what is past its limit by then, as a minute tick does.
    this.sessions.ran(this.boot, monoNow(this.time), wallNow(this.time));
    // A card that lay on the reader while the clock was down, the power too, goes on being
    // presented: as the clock carries on a card it was seeing when it stopped (seed 60050). One
    // put there while the clock was down was never seen: its first read is a tap (seed 63031).
    for (const [card, { until, seen }] of this.lying)
      if (seen && until > this.time.mono.now()) this.sessions.carry(card, this.reading());
    const warn = (message: string): void => {
      this.record(`warn ${message}`);
    };
    const client = makeSimSheetsClient({
      model: this.model,
      spreadsheetId: SHEET_ID,
      account: ACCOUNT,
      scheduler: this.time.mono,
      random: this.net,
      faults: this.faults,
      timeoutMs: TIMEOUT_MS,
      poisonCard: () => (this.poisonTapped ? POISON_CARD : null),
      life: conn,
      onRequest: (request) => {
        this.onRequest(life, request);
      },
      zone: ZONE,
      now: () => wallNow(this.time),
      warn,
    });
    const driver = makeSheetsDriver(client, {
      scheduler: this.wall,
      random: () => this.backoff.next(),
      peopleCache: join(this.config.dataDir, 'people-sheet.json'),
      warn,
    });
    const sheet: SheetsDriver = Object.assign(
      (commands$: Observable<Command>, sources?: LiveSources): Observable<SheetOutput> => {
        const seen$ = commands$.pipe(
          tap((command) => {
            this.onCommand(life, command);
          }),
          share(),
        );
        // Log's rows are read back as the clock does (a false edit would show as a correction the
        // model never asked for); the Totals tab is left out, as it always was here: it costs the
        // run more than all the rest of the sheet, and its own tests check it.
        const watchOf = sources?.watchOf;
        const counted = (at: number): ReturnType<NonNullable<typeof watchOf>> => {
          const rows = watchOf?.(at) ?? [];
          life.minuteWatched += rows.length;
          return rows;
        };
        return driver(seen$, watchOf === undefined ? {} : { watchOf: counted }).pipe(
          tap((event) => {
            this.onSheetEvent(life, event);
          }),
        );
      },
      { busy: driver.busy },
    );
    const stdout = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString().split('\n'))
          if (line !== '') this.record(`out ${line}`);
        done();
      },
    });
    const io: AppIo = {
      stdin: new PassThrough(),
      stdout,
      log: makeLog({
        pretty: false,
        level: 'warn',
        write: (text) => {
          this.record(`log ${text.replace(/"time":\d+,?/, '').trim()}`);
        },
      }),
      mono: () => monoNow(this.time),
      bootId: `sim-boot-${this.boot}`,
      timeSynced: () => Promise.resolve(this.synced),
      scheduler: this.wall,
      json: true,
      reads$,
    };
    try {
      life.subscription = clockApp(this.config, store, io, sheet).subscribe({
        error: (error: unknown) => {
          life.failure = error instanceof Error ? error : new Error(String(error));
          this.violate('clock stopped', `life ${life.id}: ${describe(error)}`);
        },
      });
    } catch (error) {
      life.failure = error instanceof Error ? error : new Error(String(error));
      this.violate('clock stopped', `life ${life.id} failed to start: ${describe(error)}`);
    }
  }

  private kill(why: string): void {
    const life = this.life;
    if (life === null) return;
    this.checkLastTick(life);
    this.record(`kill life ${life.id}: ${why}`);
    life.conn.dead = true;
    life.subscription?.unsubscribe();
    life.reads$.complete();
    life.store.close();
    this.life = null;
    this.lastDisturbance = this.time.mono.now();
  }

  private restartAfter(ms: number): void {
    this.heap.push(this.time.mono.now() + ms, () => {
      if (this.life !== null) return;
      this.lastDisturbance = this.time.mono.now();
      this.startLife();
    });
  }

  private onRequest(life: Life, request: RequestRecord): void {
    this.stats.requests += 1;
    life.minuteRequests.push(request);
    this.record(`req ${request.call} ${request.outcome}`);
    if (request.outcome !== 'ok') this.lastActivity = this.time.mono.now();
  }

  private onCommand(life: Life, command: Command): void {
    if (command.type === 'writeBatch') this.lastActivity = this.time.mono.now();
    if (command.type !== 'liveUpdate') return;
    const tick: TickRecord = { worldAt: this.time.mono.now(), at: command.at };
    // A tick names the boundary its timer was set for one tick earlier: a step before the
    // tick before the last one still shows in this one.
    const stepped = this.lastWallStep >= (life.tickBefore ?? life.startedAt);
    this.violateAll(
      '3 ticks and outbox',
      tickFollows(life.lastTick, life.startedAt, tick, stepped, 2 * MINUTE + 10 * SECOND),
    );
    this.quietMinute(life, tick);
    this.sessions.ran(this.boot, monoNow(this.time), command.at);
    life.tickBefore = life.lastTick?.worldAt ?? null;
    life.lastTick = tick;
    life.open = command.open.length;
  }

  private onSheetEvent(_life: Life, event: SheetOutput): void {
    if (event.type === 'logRowsRead') {
      // A typed row read back (it showed what was typed) on a synchronised clock: judged now.
      // (On one not synchronised yet, it is applied if right, or waits: not due yet either way,
      // nor missed: seed 67021.)
      if (!event.clockSynced) {
        this.unsyncedReadAt = this.time.mono.now();
        return;
      }
      for (const { row, cells } of event.rows) {
        const typed = this.typed.get(row.session);
        if (typed !== undefined && cells !== null && !this.readBack.has(row.session))
          if (showsTyped(typed, cells, ZONE)) this.readBack.set(row.session, this.time.mono.now());
      }
      return;
    }
    if (event.type !== 'directoryLoaded') return;
    this.sessions.apply({
      type: 'directory',
      at: this.reading(),
      // As the clock got it: a damaged People cache may hold anything.
      people: event.people.map((p) => {
        const raw: Record<string, unknown> = { ...p };
        return {
          card: String(raw.card),
          name: String(raw.name),
          active: raw.active !== false,
          aliases: Array.isArray(raw.aliases) ? raw.aliases.map(String) : [],
        };
      }),
    });
  }

  private tickWatch(): void {
    const life = this.life;
    if (life === null || life.failure !== null || this.stopped) return;
    const since = life.lastTick?.worldAt ?? life.startedAt;
    if (this.time.mono.now() - since > 2 * MINUTE + 10 * SECOND) this.checkLastTick(life);
  }

  private checkLastTick(life: Life): void {
    if (life.failure !== null || this.stopped) return;
    const since = life.lastTick?.worldAt ?? life.startedAt;
    const now = this.time.mono.now();
    this.checked('3 ticks and outbox');
    if (now - since > 2 * MINUTE + 10 * SECOND)
      this.violate(
        '3 ticks and outbox',
        `life ${life.id}: no minute tick in the last ${Math.round((now - since) / 1000)} s`,
      );
  }

  /** Invariant 4, for the minute that ends with this tick. */
  private quietMinute(life: Life, tick: TickRecord): void {
    const requests = life.minuteRequests;
    life.minuteRequests = [];
    const watched = life.minuteWatched;
    life.minuteWatched = 0;
    const previous = life.lastTick;
    if (previous === null) return;
    const quietSince = Math.max(
      this.lastActivity,
      this.lastDisturbance,
      this.faults.lastFaultAt,
      this.faults.lastRefusalAt,
      life.startedAt,
    );
    if (
      quietSince > previous.worldAt - 3 * MINUTE ||
      this.faults.active(previous.worldAt) ||
      this.faults.active(tick.worldAt)
    )
      return;
    const peopleRows = Math.max(0, this.model.values(SHEET_ID, 'People').length - 1);
    const bytes = requests.reduce((sum, r) => sum + bytesRead(r), 0);
    const minute = {
      requests: requests.length,
      bytesRead: bytes,
      peopleRows,
      open: life.open,
      watched,
      looked: Math.max(0, logRowsRead(requests) - watched),
      batchSize: this.config.sheetBatchSize,
      logRows: 0,
    };
    const problems = quietMinuteCheap(minute);
    this.stats.quietMinutes += 1;
    this.stats.quietRequests += requests.length;
    this.stats.quietBytes += bytes;
    if (bytes > this.stats.quietBytesMax || problems.length > 0) {
      // Log's length only when it is reported: counting it copies the tab.
      const logRows = Math.max(0, this.model.values(SHEET_ID, 'Log').length - 1);
      if (bytes > this.stats.quietBytesMax) {
        this.stats.quietBytesMax = bytes;
        this.stats.quietBytesLogRows = logRows;
      }
      this.violateAll('4 quiet minute cost', quietMinuteCheap({ ...minute, logRows }));
    } else {
      this.checked('4 quiet minute cost');
    }
  }

  // ---- events of the plan ----------------------------------------------------------------------------

  private apply(event: PlanEvent): void {
    const now = this.time.mono.now();
    this.record(`event ${JSON.stringify(event)}`);
    switch (event.kind) {
      case 'outage':
      case 'rateLimit':
      case 'serverErrors':
      case 'resets':
      case 'slow':
        this.count(`window: ${event.kind}`);
        this.lastActivity = now;
        return;
      case 'unauthorized':
        this.faults.unauthorizedPending = true;
        this.lastActivity = now;
        return;
      case 'unshare': {
        this.count('unshare');
        this.model.unshare(SHEET_ID, ACCOUNT);
        const until = Math.min(now + event.ms, this.end);
        this.unsharedUntil = Math.max(this.unsharedUntil, until);
        this.heap.push(until, () => {
          if (this.time.mono.now() < this.unsharedUntil) return;
          this.model.share(SHEET_ID, ACCOUNT, 'editor');
          this.lastDisturbance = this.time.mono.now();
          this.record('reshared');
        });
        this.lastActivity = now;
        return;
      }
      case 'poisonTap':
        this.count('poison card tapped');
        this.poisonTapped = true;
        this.deliver(POISON_CARD, 'door-a');
        // A fault (a 400 for one bad entry): its entries are set aside once the sheet took
        // another of their kind, minutes later by design (batchRefusal.ts), or kept meanwhile.
        this.lastDisturbance = now;
        return;
      case 'workbookFull': {
        this.count('workbook full');
        this.model.setCellLimit(SHEET_ID, 0);
        const until = Math.min(now + event.ms, this.end);
        this.fullUntil = Math.max(this.fullUntil, until);
        this.heap.push(until, () => {
          if (this.time.mono.now() < this.fullUntil) return;
          this.model.setCellLimit(SHEET_ID, null);
          this.lastDisturbance = this.time.mono.now();
          this.record('space freed');
        });
        this.lastActivity = now;
        return;
      }
      case 'kill':
        if (this.life === null) return;
        this.count('kill');
        this.pendingKill = () => {
          if (this.life === null) return;
          this.kill('killed');
          this.restartAfter(event.downMs);
        };
        this.killCountdown = event.skew;
        if (event.skew === 0) {
          this.killCountdown = null;
          const kill = this.pendingKill;
          this.pendingKill = null;
          kill();
        }
        return;
      case 'powerCut':
        this.powerCut(event);
        return;
      case 'clockStep':
        if (!this.synced || now - this.ntpAt < 10 * MINUTE) return;
        this.count('clock step');
        this.time.error += event.deltaMs;
        this.lastWallStep = now;
        this.lastDisturbance = now;
        this.record(`wall stepped by ${event.deltaMs / MINUTE} min`);
        return;
      case 'people':
        this.lastActivity = now;
        this.count(`People: ${event.edit}`);
        this.editPeople(event.edit, event.who);
        return;
      case 'log':
        this.lastActivity = now;
        this.count(`Log: ${event.edit}`);
        this.editLog(event.edit, event.a, event.b);
        return;
      case 'leaveCard': {
        const person = this.person(event.who);
        const card = person.readerB ? person.dec : person.hex;
        const reader = person.readerB ? 'door-b' : 'door-a';
        this.count('card left on the reader');
        this.lying.set(card, {
          until: Math.min(now + event.minutes * MINUTE, this.end),
          seen: false,
        });
        const random = this.edits;
        for (
          let t = now, until = now + event.minutes * MINUTE;
          t < until && t < this.end;
          t += random.int(300, 700)
        ) {
          this.heap.push(t, () => {
            this.deliver(card, reader);
          });
        }
        if (event.kill) {
          this.heap.push(now + random.int(5 * SECOND, event.minutes * MINUTE), () => {
            if (this.life === null) return;
            this.count('kill');
            this.kill('killed while a card lies on the reader');
            this.restartAfter(random.int(2, 20) * SECOND);
          });
        }
        return;
      }
      case 'corruptCache': {
        if (this.life === null) return;
        this.count('People cache damaged');
        const damaged = this.edits.pick([
          '[{"card":"04AABBCCDD","name":null,"active":true,"aliases":7}]',
          '{"people":[]}',
          '[{"card":',
          '[null]',
        ]);
        writeFileSync(join(this.config.dataDir, 'people-sheet.json'), damaged);
        this.kill('killed after the People cache was damaged');
        this.restartAfter(5 * SECOND);
        return;
      }
    }
  }

  private powerCut(event: Extract<PlanEvent, { kind: 'powerCut' }>): void {
    if (this.life === null) return;
    this.count('power cut');
    this.kill('power cut');
    this.powered = false;
    const cutAt = this.time.mono.now();
    const upAt = Math.min(cutAt + event.downMs, this.end);
    this.synced = false;
    this.heap.push(upAt, () => {
      this.powered = true;
      this.boot += 1;
      const boot = this.boot;
      this.time.bootAt = this.time.mono.now();
      this.time.bootUptime = this.edits.int(8, 40) * SECOND;
      // No battery clock: the time last saved comes back, then NTP sets it right.
      this.time.error = -(this.time.mono.now() - cutAt + event.savedAgoMs);
      this.synced = false;
      this.lastDisturbance = this.time.mono.now();
      this.record(`boot ${boot}: wall ${iso(wallNow(this.time))}, true ${iso(trueNow(this.time))}`);
      this.startLife();
      const ntp = Math.min(this.time.mono.now() + event.ntpAfterMs, this.end);
      this.heap.push(ntp, () => {
        // Not once the power is cut again: that boot is over (seed 61026, --events 10: its
        // stale sessions were taken for corrected, by a machine that was off).
        if (!this.powered || this.boot !== boot || this.synced || this.time.error === 0) return;
        this.count('NTP step');
        this.record(`NTP steps the wall clock by ${Math.round(-this.time.error / MINUTE)} min`);
        this.time.error = 0;
        this.syncedBoots.add(boot);
        this.ntpAt = this.time.mono.now();
        this.lastWallStep = this.ntpAt;
        this.lastDisturbance = this.ntpAt;
        // The system reports itself synchronised a little after the step (the kernel's status
        // follows the daemon's), so ticks can see the new time before the clock hears of it.
        this.heap.push(this.ntpAt + this.edits.int(0, 3 * MINUTE), () => {
          if (!this.powered || this.boot !== boot) return;
          this.synced = true;
          this.record('the system reports its clock synchronised');
        });
      });
    });
  }

  private person(who: number): SimPerson {
    const person =
      this.people[Math.min(this.people.length - 1, Math.floor(who * this.people.length))];
    if (person === undefined) throw new Error('a run has at least one person');
    return person;
  }

  /** 1-based row of a card in People (first listing), or null. */
  private peopleRow(card: string): number | null {
    const rows = this.model.values(SHEET_ID, 'People');
    const i = rows.findIndex((row, index) => index > 0 && row[0] === card);
    return i < 0 ? null : i + 1;
  }

  /** A person deletes a tab's header row (only while it is there: row 1 may be data since). */
  private deleteHeaderRow(tab: 'People' | 'Log', first: string): void {
    if (this.model.values(SHEET_ID, tab)[0]?.[0] !== first) return;
    this.record(`a person deletes ${tab}'s header row`);
    this.model.deleteRow(SHEET_ID, tab, 1);
  }

  private setPeopleRow(row: number, cells: readonly string[]): void {
    cells.forEach((cell, column) => {
      this.model.setCell(SHEET_ID, 'People', row, column, cell);
    });
  }

  private editPeople(edit: PeopleEditKind, who: number): void {
    const person = this.person(who);
    const row = this.peopleRow(person.hex);
    const rows = this.model.values(SHEET_ID, 'People');
    const append = rows.length + 1;
    const skip = (): void => {
      this.record(`People edit ${edit} skipped: no row for ${person.hex}`);
    };
    switch (edit) {
      case 'rename':
        if (row === null) {
          skip();
          return;
        }
        this.renames += 1;
        this.names[person.index] = `${person.name} (${this.renames})`;
        this.model.setCell(SHEET_ID, 'People', row, 1, this.names[person.index] ?? person.name);
        return;
      case 'addAlias':
        if (row === null) {
          skip();
          return;
        }
        this.model.setCell(SHEET_ID, 'People', row, 3, person.dec);
        return;
      case 'removeAlias':
        if (row === null) {
          skip();
          return;
        }
        this.model.setCell(SHEET_ID, 'People', row, 3, '');
        return;
      case 'deactivate':
      case 'reactivate':
        if (row === null) {
          skip();
          return;
        }
        this.model.setCell(SHEET_ID, 'People', row, 2, edit === 'deactivate' ? 'no' : 'yes');
        return;
      case 'duplicateRow':
        this.setPeopleRow(append, [person.hex, `Not ${person.name}`, 'yes', '', '', '']);
        return;
      case 'deleteRow':
        if (row === null) {
          skip();
          return;
        }
        this.model.deleteRow(SHEET_ID, 'People', row);
        return;
      case 'emptyTab':
        this.model.clearDataRows(SHEET_ID, 'People');
        return;
      case 'deleteHeader':
        this.deleteHeaderRow('People', 'Card');
        return;
      case 'restoreTab':
        this.model.clearDataRows(SHEET_ID, 'People');
        this.people.forEach((p, i) => {
          this.setPeopleRow(i + 2, [
            p.hex,
            this.names[i] ?? p.name,
            'yes',
            p.aliasListed ? p.dec : '',
            '',
            '',
          ]);
        });
        return;
      case 'nameBlank':
        rows.forEach((cells, i) => {
          if (
            i === 0 ||
            cells[0] === undefined ||
            cells[0] === '' ||
            (cells[1] !== undefined && cells[1] !== '')
          )
            return;
          const card = String(cells[0]);
          const owner = this.people.find((p) => p.hex === card);
          const name =
            owner === undefined
              ? `Visitor ${card.slice(-4)}`
              : (this.names[owner.index] ?? owner.name);
          this.model.setCell(SHEET_ID, 'People', i + 1, 1, name);
        });
        return;
      case 'unname':
        if (row === null) {
          skip();
          return;
        }
        this.model.setCell(SHEET_ID, 'People', row, 1, '');
        return;
      case 'garbage':
        [
          ['not a card', 'Garbage'],
          ['=1+1', ''],
          ['zz:zz:zz:zz', 'bad hex'],
          ['', 'a name without a card'],
        ].forEach((cells, i) => {
          this.setPeopleRow(append + i, cells);
        });
        return;
    }
  }

  private editLog(edit: LogEditKind, a: number, b: number): void {
    if (!this.model.tabTitles(SHEET_ID).includes('Log')) return;
    const rows = this.model.values(SHEET_ID, 'Log');
    const data = Math.max(0, rows.length - 1);
    switch (edit) {
      case 'sort':
      case 'insertBlank':
        rearrangeLog(this.model, SHEET_ID, edit, a, b);
        return;
      case 'deleteOpen':
      case 'deleteClosed': {
        const unfinished = new Set(
          this.view.unfinished().flatMap((e) => (e.session === null ? [] : [e.session])),
        );
        const candidates = deletableRows(
          rows,
          unfinished,
          edit === 'deleteOpen' ? 'open' : 'closed',
        );
        const pick = candidates[Math.floor(a * candidates.length)];
        if (pick === undefined) return;
        this.deleted.add(pick.id);
        this.record(`a person deletes Log row ${pick.row} (${pick.id})`);
        this.model.deleteRow(SHEET_ID, 'Log', pick.row);
        return;
      }
      case 'editCell': {
        if (data === 0) return;
        const row = 2 + Math.floor(a * data);
        this.model.setCell(
          SHEET_ID,
          'Log',
          row,
          this.noteColumn ?? 8,
          b < 0.5 ? `note ${row}` : 'checked',
        );
        return;
      }
      case 'addColumn':
        // After the last header: only while the header row is there (a person adds a column to it).
        if (rows[0]?.[0] === 'Session')
          this.noteColumn ??= this.model.addColumn(SHEET_ID, 'Log', 'Note');
        return;
      case 'deleteHeader':
        this.deleteHeaderRow('Log', 'Session');
        return;
      case 'typeIn':
      case 'typeOut':
      case 'typeVoid':
      case 'typeText':
        this.typeIntoLog(edit, a, b);
        return;
    }
  }

  /** A correction typed into a finished, closed row (logEdits.ts), remembered for the checks. */
  private typeIntoLog(kind: TypedEditKind, a: number, b: number): void {
    const typed = typeCorrection(kind, a, b, {
      model: this.model,
      sheetId: SHEET_ID,
      zone: ZONE,
      stored: new Map(this.view.sessions().map((s) => [s.id, s])),
      unfinished: new Set(
        this.view.unfinished().flatMap((e) => (e.session === null ? [] : [e.session])),
      ),
      typed: new Set(this.typed.keys()),
      now: this.time.mono.now(),
      wall: wallNow(this.time),
      periodFrom: periodAt(wallNow(this.time), this.config.payPeriod, ZONE).from,
    });
    if (typed === null) return;
    this.typed.set(typed.session, typed);
    const value = typeof typed.value === 'number' ? iso(typed.value) : JSON.stringify(typed.value);
    this.record(
      `a person types ${typed.kind} ${value} into Log row ${typed.row} (${typed.session})`,
    );
  }

  /**
   * The typed corrections as the checks see them: due once the clock has read the row back since
   * (a logRowsRead it reported), a minute has passed for its judgement to be kept, and the sheet
   * has taken what the clock wrote about the session since.
   */
  private typedEdits(): Map<string, TypedEdit> {
    const now = this.time.mono.now();
    const unfinished = new Set(
      this.view.unfinished().flatMap((e) => (e.session === null ? [] : [e.session])),
    );
    // Quiet since: no fault, no disturbance, no restart (calm() says the same for 10 minutes).
    const life = this.life;
    const quietSince = Math.max(
      this.lastDisturbance,
      this.faults.lastFaultAt,
      this.faults.lastWindowEnd(now),
      life?.startedAt ?? Infinity,
      this.unsyncedReadAt,
    );
    const calm = this.calm(now);
    return new Map(
      [...this.typed].map(([session, t]) => {
        const read = this.readBack.get(session);
        const due = read !== undefined && now - read >= MINUTE && !unfinished.has(session);
        // A round is 10 minutes for up to 3,000 recent sessions; 35 quiet ones leave no doubt.
        const missed =
          read === undefined && calm && now - Math.max(t.at, quietSince) >= 35 * MINUTE;
        return [session, { kind: t.kind, value: t.value, due, missed }];
      }),
    );
  }

  // ---- checks ------------------------------------------------------------------------------------

  /** Every hour: what must always hold; when calm, that the sheet is the store; the store against the model. */
  /**
   * The checks made as the run goes. Each hour: the outbox's order, and the
   * store against the model for the last two days (all of it once a day).
   * Every SHEET_CHECK_HOURS: the whole sheet, row by row, and against the
   * store when calm. Their cost grows with the Log, so a long run makes them
   * less often than the hourly ones; the end of a run makes them all.
   */
  private checkpoint(hour: number): void {
    if (this.stopped) return;
    const now = this.time.mono.now();
    const daily = hour % DAY === 0;
    const sheetHour = hour % (SHEET_CHECK_HOURS * HOUR) === 0;
    const since = daily ? -Infinity : trueNow(this.time) - 2 * DAY;
    const stored = this.view.sessions(sheetHour ? -Infinity : since);
    if (sheetHour) {
      const { log } = viewSheet(this.model, SHEET_ID);
      const calm = this.calm(now);
      this.violateAll(
        '2 sheet = store',
        sheetRowsSound(
          log,
          new Map(stored.map((s) => [s.id, s])),
          this.deleted,
          ZONE,
          !calm,
          this.typedEdits(),
        ),
      );
      if (calm) this.checkSheet(log, stored);
    }
    const order = this.view.outOfOrder();
    this.violateAll(
      '3 ticks and outbox',
      order === null
        ? []
        : [
            `entry ${order.firstPending} is pending while ${order.doneAfter} later entries are done`,
          ],
    );
    const life = this.life;
    // Not just after a start, nor just after the wall clock stepped (NTP, or a person): the
    // sessions a step put past their limit are closed by the clock's next tick (seed 63044).
    if (
      life !== null &&
      life.failure === null &&
      now - life.startedAt >= 3 * MINUTE &&
      now - this.lastWallStep >= 5 * MINUTE
    ) {
      this.violateAll(
        '1 store = model',
        storeMatchesModel(this.sessions, stored, this.reading(), since, 2 * MINUTE + 10 * SECOND),
      );
    }
  }

  private calm(now: number): boolean {
    const life = this.life;
    if (life === null || life.failure !== null || now < this.unsharedUntil) return false;
    // Not at the very instant space is freed either: that callback may come after this check.
    if (now <= this.fullUntil) return false;
    if (this.faults.active(now)) return false;
    const last = Math.max(
      this.lastDisturbance,
      this.faults.lastFaultAt,
      this.faults.lastWindowEnd(now),
      life.startedAt,
    );
    return now - last >= CALM_AFTER_MS;
  }

  private checkSheet(
    log: SheetView['log'] = viewSheet(this.model, SHEET_ID).log,
    stored: readonly StoredSession[] = this.view.sessions(),
  ): void {
    const unfinished = this.view.unfinished();
    this.violateAll('2 sheet = store', onlyRefusedSetAside(unfinished, POISON_CARD));
    this.violateAll(
      '2 sheet = store',
      sheetEqualsStore({
        log,
        stored,
        // The refused card's entries are set aside, or kept in the outbox while the sheet took
        // no other write of their kind (batchRefusal.ts): either way not in the sheet.
        unfinished: unfinished.map((entry) =>
          entry.card === POISON_CARD ? { ...entry, setAside: true } : entry,
        ),
        deleted: this.deleted,
        zone: ZONE,
        now: wallNow(this.time),
        openForMono: (s) =>
          s.boot === `sim-boot-${this.boot}` && s.inMono !== null && s.inMono !== undefined
            ? monoNow(this.time) - s.inMono
            : null,
        youngMs: MINUTE,
        liveLagMs: 3 * MINUTE,
        typed: this.typedEdits(),
      }),
    );
  }

  private finalChecks(): void {
    const now = this.time.mono.now();
    if (this.calm(now)) this.checkSheet();
    else this.record('final sheet check skipped: not calm');
    const life = this.life;
    if (life !== null && life.failure === null && now - this.lastWallStep >= 5 * MINUTE) {
      this.violateAll(
        '1 store = model',
        storeMatchesModel(
          this.sessions,
          this.view.sessions(),
          this.reading(),
          -Infinity,
          2 * MINUTE + 10 * SECOND,
        ),
      );
    }
  }
}

/** Single Log rows the minute's reads answered (by their tags: watched, or looked at). */
function logRowsRead(requests: readonly RequestRecord[]): number {
  let rows = 0;
  for (const { answer } of requests) {
    const ranges = (answer as { valueRanges?: { valueRange?: { range?: string } }[] } | null)
      ?.valueRanges;
    for (const range of ranges ?? [])
      if (/^Log!A\d+:Z\d+$/.test(range.valueRange?.range ?? '')) rows += 1;
  }
  return rows;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Log rows a long-running clock left, before rows had tags (the bytes figure pre-fills Log). */
function prefilledLog(rows: number, origin: number): (string | number)[][] {
  const header = ['Session', 'Date', 'Name', 'Card', 'In', 'Out', 'Hours', 'Status', 'Reader'];
  const out: (string | number)[][] = [header];
  for (let i = 0; i < rows; i++) {
    const inAt = origin - (rows - i) * HOUR;
    const card = `05${String(i % 500).padStart(6, '0')}`;
    const serial = inAt / DAY + 25_569;
    out.push([
      `${new Date(inAt).toISOString().replace(/[-:]/g, '')}-${card}`,
      Math.floor(serial),
      `Old ${i % 500}`,
      card,
      serial,
      serial + 8 / 24,
      8 / 24,
      'out',
      'door-a',
    ]);
  }
  return out;
}
