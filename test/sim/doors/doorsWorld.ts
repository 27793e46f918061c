/**
 * The simulation with doors (rule 15): several doors of one site and their
 * hub, each the real clock (`clockApp`, the real reducer, its own SQLite
 * store, the real MQTT driver; the hub with the real sheet driver against the
 * spreadsheet model), sharing taps through the simulated broker
 * (simBroker.ts), in one virtual time. People clock in at one door and out at
 * another; doors and the hub are cut off from the broker for a second to three
 * days, the whole broker is unreachable for hours, door processes are killed
 * (often a few ms after a tap, mid-publish) and restarted, the hub's Sheets API
 * has windows of trouble, and a manager corrects sessions at the hub.
 *
 * What it checks, after every fault has ended and the site has settled:
 * every door's sessions equal those of a model folded from the merged log of
 * the taps the doors took (sessions are a function of the merged tap log, so
 * every replica converges), with a manager's closes of open sessions in that
 * log (the hub shares its corrections), and each door's corrections are the
 * hub's; the hub's sheet equals its store; every
 * correction the hub applied is still there; no clock stopped.
 *
 * The model is written from the rules and nothing else: a person's taps in
 * time order toggle them in and out; a session open longer than the limit was
 * closed `auto` at its clock-in plus the limit, and the tap after it clocks in
 * anew; a tap within the guard (a minute) of the person's last accepted tap is
 * ignored. Plans keep a person's presentations at least half an hour apart,
 * but now and then a person taps again 5-50 s later at the same or another
 * door, which the guard decides across doors; debounce (per reader) never
 * decides here (the single-door simulation covers it), and every card is
 * listed in People, the same at every door.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { NEVER, Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { clockApp, type AppIo } from '../../../src/app';
import { loadConfig, type Config } from '../../../src/config';
import { makeSheetsDriver, type SheetsDriver } from '../../../src/drivers/sheets/sheetsDriver';
import { DB_FILE_NAME, Store } from '../../../src/drivers/store/store';
import { makeLog } from '../../../src/log';
import type { CardRead } from '../../../streams/events';
import { SpreadsheetModel } from '../../support/spreadsheetModel';
import { Faults, type FaultWindow } from '../faults';
import { deletableRows, rearrangeLog } from '../logEdits';
import { makeRandom, type Random } from '../random';
import { sheetEqualsStore, sheetRowsSound } from '../checks';
import { makeSimSheetsClient, viewSheet } from '../simSheetsApi';
import { SimScheduler, wallScheduler } from '../simClock';
import { StoreView, type StoredSession } from '../storeView';
import { EventHeap } from '../world';
import { SimBroker, type SimMqttClient } from './simBroker';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const LIMIT_MS = 12 * HOUR;
/** The guard (rule 3, `guardSeconds`' default). */
const GUARD_MS = 60 * SECOND;
const SITE = 'sim';
const ZONE = 'Europe/Berlin';
const SHEET_ID = 'doorsSpreadsheet0001';
const ACCOUNT = 'badgeclock@sim-project.iam.gserviceaccount.com';
/** After the last fault: every door back, every link up; then this long before the check. */
const SETTLE_MS = 30 * MINUTE;

export interface DoorsPlan {
  readonly seed: number;
  readonly days: number;
  readonly doors: number;
  readonly people: number;
  /** A hub writing the sheet (`badgeclock hub`): its Log is checked against the merged log too. */
  readonly hub: boolean;
}

export interface DoorsResult {
  readonly violations: string[];
  readonly stats: {
    taps: number;
    tapsLost: number;
    sessions: number;
    kills: number;
    stops: number;
    partitions: number;
    brokerOutages: number;
    routed: number;
    redelivered: number;
    resent: number;
    checks: number;
    sheetRequests: number;
    /** The hub's Log rows at the end, and its sessions a refold superseded. */
    logRows: number;
    superseded: number;
    /** Manager's corrections asked at the hub (`badgeclock fix`), and those applied. */
    fixes: number;
    fixesApplied: number;
    /** Windows of trouble with the Sheets API at the hub, and the failures they made. */
    sheetFaultWindows: number;
    sheetFailures: number;
    /** Log rows a person deleted at the hub. */
    rowsDeleted: number;
    /** The hub's sessions a refold superseded and a later one made again. */
    madeAgain: number;
  };
  readonly traceHash: string;
  readonly trace: readonly string[];
}

interface Life {
  readonly id: number;
  /** The sheet connection of the hub's process: dead once it is. */
  readonly conn: { dead: boolean };
  readonly store: Store;
  readonly reads$: Subject<CardRead>;
  readonly clients: SimMqttClient[];
  subscription: Subscription | null;
  failure: Error | null;
}

interface Door {
  readonly name: string;
  /** The site's hub: no reader, the one writer of the sheet. */
  readonly hub: boolean;
  readonly config: Config;
  readonly dbFile: string;
  readonly view: StoreView;
  /** Monotonic instant of its machine's last boot. */
  bootAt: number;
  boots: number;
  life: Life | null;
  /** Cuts of its link now in force (they can overlap). */
  cuts: number;
}

/** A tap a running door took: the model's input. */
interface TakenTap {
  readonly card: string;
  readonly at: number;
  readonly door: string;
}

/** A manager's correction, as `badgeclock fix` queued it at the hub. */
interface AskedFix {
  readonly id: number;
  readonly session: string;
  readonly inAt: number | null;
  readonly outAt: number | null;
  readonly void: boolean;
}

/** A manager's Out given to a session the hub had open, when the hub judged it. */
interface ManagerClose {
  readonly card: string;
  /** The session's clock-in. */
  readonly inAt: number;
  readonly seenAt: number;
  readonly outAt: number;
}

/** A session as the model and the checks compare it. */
interface Compared {
  readonly card: string;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto' | 'either';
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One turn of the event loop: every pending promise settles. */
const turn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

export class DoorsWorld {
  private readonly mono = new SimScheduler();
  private readonly origin = Date.UTC(2026, 4, 4, 4);
  private readonly dir = mkdtempSync(join(tmpdir(), 'badgeclock-doors-'));
  private readonly random: Random;
  private readonly faultsRandom: Random;
  private readonly broker: SimBroker;
  /** The Sheets side of the hub: the network's draws, and its fault windows (all over by the end). */
  private readonly net: Random;
  private readonly model = new SpreadsheetModel({
    now: () => this.wall(),
    quota: { readsPerMinute: 60, writesPerMinute: 60 },
    measureBytes: false,
  });
  private sheetFaults: Faults;
  private readonly doors: Door[] = [];
  private readonly cards: string[];
  private readonly heap = new EventHeap();
  private lives = 0;
  private readonly taken: TakenTap[] = [];
  /** Sessions whose Log row a person deleted: never to come back. */
  private readonly deleted = new Set<string>();
  /** The column a person added to Log for notes, once they have. */
  private noteColumn: number | null = null;
  /** Corrections asked at the hub, as asked. */
  private readonly fixes: AskedFix[] = [];
  private readonly trace: string[] = [];
  private readonly hash = createHash('sha256');
  private readonly violations: string[] = [];
  private readonly stats: DoorsResult['stats'] = {
    taps: 0,
    tapsLost: 0,
    sessions: 0,
    kills: 0,
    stops: 0,
    partitions: 0,
    brokerOutages: 0,
    routed: 0,
    redelivered: 0,
    resent: 0,
    checks: 0,
    sheetRequests: 0,
    logRows: 0,
    superseded: 0,
    fixes: 0,
    fixesApplied: 0,
    sheetFaultWindows: 0,
    sheetFailures: 0,
    rowsDeleted: 0,
    madeAgain: 0,
  };
  private readonly end: number;
  /** The run is over: its hash is taken, and the clean-up says nothing more. */
  private finished = false;

  constructor(
    private readonly plan: DoorsPlan,
    private readonly keepTrace = false,
  ) {
    const root = makeRandom(plan.seed);
    this.random = root.fork();
    this.faultsRandom = root.fork();
    this.net = root.fork();
    this.sheetFaults = new Faults(this.net, [], {
      serverError: 0,
      rateLimit: 0,
      reset: 0,
      slow: 0,
    });
    const brokerRandom = root.fork();
    // The broker's inflight window: Mosquitto's default of 20, or narrower (a backlog then
    // comes a message or a few at a time, and a refold can run between a person's late taps).
    const maxInflight = root.fork().pick([1, 2, 5, 20]);
    this.record(`broker: inflight window ${maxInflight}`);
    this.broker = new SimBroker({
      scheduler: this.mono,
      random: brokerRandom,
      latencyMs: { min: 2, max: 120 },
      maxInflight,
      record: (line) => {
        this.record(line);
      },
    });
    this.end = plan.days * DAY;
    this.cards = Array.from({ length: plan.people }, (_, i) =>
      (0x1a2b0000 + i * 7919).toString(16).toUpperCase(),
    );
    const peopleCsv = [
      'Card,Name,Active,Aliases',
      ...this.cards.map((card, i) => `${card},Person ${i + 1},yes,`),
    ].join('\n');
    for (let i = 0; i < plan.doors; i++)
      this.doors.push(this.makeDoor(`door-${String.fromCharCode(97 + i)}`, peopleCsv, false));
    if (plan.hub) {
      this.model.createSpreadsheet(SHEET_ID, [ACCOUNT]);
      this.model.addTab(SHEET_ID, 'People', [
        ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'],
        ...this.cards.map((card, i) => [card, `Person ${i + 1}`, 'yes', '', '', '']),
      ]);
      this.doors.push(this.makeDoor('hub', peopleCsv, true));
    }
  }

  private makeDoor(name: string, peopleCsv: string, hub: boolean): Door {
    const dataDir = join(this.dir, name);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'people.csv'), `${peopleCsv}\n`);
    const loaded = loadConfig({
      env: {
        BADGECLOCK_TZ: ZONE,
        BADGECLOCK_READER_NAME: name,
        BADGECLOCK_DATA_DIR: dataDir,
        BADGECLOCK_MQTT_URL: 'mqtt://broker.sim',
        BADGECLOCK_SITE: SITE,
        BADGECLOCK_DOOR: name,
        ...(hub
          ? {
              BADGECLOCK_SPREADSHEET_ID: SHEET_ID,
              BADGECLOCK_KEY_FILE: join(this.dir, 'key.json'),
            }
          : {}),
      },
      cwd: this.dir,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
    const dbFile = join(dataDir, DB_FILE_NAME);
    return {
      name,
      hub,
      config: loaded.config,
      dbFile,
      view: new StoreView(dbFile),
      bootAt: 0,
      boots: 1,
      life: null,
      cuts: 0,
    };
  }

  async run(): Promise<DoorsResult> {
    this.planTaps();
    this.planFaults();
    for (const door of this.doors) this.start(door);
    await this.loop(this.end);
    // Every fault ends: links up, every door running; then the site settles.
    for (const door of this.doors) {
      door.cuts = 0;
      this.broker.setLink(this.clientId(door), true);
      if (door.life === null) this.start(door);
    }
    await this.loop(this.end + SETTLE_MS);
    this.check();
    Object.assign(this.stats, this.broker.counts);
    for (const n of this.sheetFaults.injected.values()) this.stats.sheetFailures += n;
    this.finished = true;
    return {
      violations: this.violations,
      stats: this.stats,
      traceHash: this.hash.digest('hex').slice(0, 16),
      trace: this.trace,
    };
  }

  /** Stops every door; the run's files go too, unless kept (to look into the doors' stores). */
  dispose(keepFiles = false): string {
    for (const door of this.doors) {
      if (door.life !== null) this.kill(door, 'end of run');
      door.view.close();
    }
    if (!keepFiles) rmSync(this.dir, { recursive: true, force: true });
    return this.dir;
  }

  private record(line: string): void {
    if (this.finished) return;
    const entry = `${this.mono.now()} ${line.replaceAll(this.dir, '<dir>')}`;
    this.hash.update(entry);
    this.hash.update('\n');
    if (this.keepTrace) this.trace.push(entry);
  }

  private at(at: number, run: () => void): void {
    this.heap.push(at, run);
  }

  private async loop(end: number): Promise<void> {
    for (;;) {
      const event = this.heap.peek();
      const eventAt = event?.at ?? Infinity;
      const due = this.mono.nextDue();
      if (due !== null && due <= eventAt && due <= end) {
        try {
          this.mono.runNext(due);
        } catch (error) {
          this.violations.push(`an action threw at ${iso(this.wall())}: ${String(error)}`);
          return;
        }
        await turn();
        continue;
      }
      if (event === undefined || eventAt > end) break;
      this.heap.pop();
      this.mono.advanceTo(eventAt);
      event.run();
      await turn();
    }
    this.mono.advanceTo(end);
  }

  /** The doors with a reader (not the hub). */
  private get readers(): Door[] {
    return this.doors.filter((door) => !door.hub);
  }

  private wall(): number {
    return this.origin + this.mono.now();
  }

  private clientId(door: Door): string {
    return door.hub ? `badgeclock-${SITE}-hub` : `badgeclock-${SITE}-${door.name}`;
  }

  // ---- the plan ----------------------------------------------------------------------------

  /**
   * Shifts: day ones and some night ones, in at one door and out at another, some forgotten;
   * some split by a break, its first part at one door. A door cut off over that part holds
   * both its taps, which come after the person's later taps elsewhere: a refold of the first
   * supersedes the session after it, and one of the second makes it again.
   */
  private planTaps(): void {
    const r = this.random;
    for (const card of this.cards) {
      let free = 0;
      for (let day = 0; day < this.plan.days; day++) {
        if (!r.chance(0.8)) continue;
        const night = r.chance(0.1);
        const start = day * DAY + (night ? r.int(16, 19) : r.int(2, 6)) * HOUR + r.int(0, HOUR);
        const firstIn = Math.max(start, free + 30 * MINUTE);
        let inAt = firstIn;
        const length = r.chance(0.03) ? r.int(13, 20) * HOUR : r.int(2 * HOUR, 11 * HOUR);
        if (length >= 5 * HOUR && r.chance(0.25)) {
          const door = r.pick(this.readers);
          const breakAt = inAt + r.int(2 * HOUR, length - 3 * HOUR);
          this.planPresentation(card, inAt, r, door);
          this.planPresentation(card, breakAt, r, door);
          inAt = breakAt + r.int(30 * MINUTE, 90 * MINUTE);
        }
        const outAt = Math.max(inAt + HOUR, firstIn + length);
        this.planPresentation(card, inAt, r);
        free = inAt;
        // A forgotten clock-out: the clock closes it at the limit.
        if (r.chance(0.07)) continue;
        this.planPresentation(card, outAt, r);
        free = outAt;
      }
    }
  }

  /**
   * A tap at a door (`door`, or any); now and then the person taps again 5-50 s later, at the
   * same door or another (to be sure): within the guard, so the merged log ignores the second.
   */
  private planPresentation(card: string, at: number, r: Random, door?: Door): void {
    this.at(at, () => {
      this.tap(card, door ?? r.pick(this.readers));
    });
    if (!r.chance(0.05)) return;
    this.at(at + r.int(5 * SECOND, 50 * SECOND), () => {
      this.tap(card, r.pick(this.readers));
    });
  }

  /** Partitions of each door, outages of the whole broker, kills and clean stops of doors. */
  private planFaults(): void {
    const r = this.faultsRandom;
    const during = (): number => r.int(0, this.end - 1);
    for (const door of this.doors) {
      for (let day = 0; day < this.plan.days; day++) {
        if (r.chance(0.6)) this.planCut(door, during(), this.cutLength(r));
        if (r.chance(0.35)) {
          const at = during();
          const downMs = r.chance(0.5) ? r.int(SECOND, MINUTE) : r.int(MINUTE, 30 * MINUTE);
          this.at(at, () => {
            if (door.life === null) return;
            this.stats.kills += 1;
            this.kill(door, 'killed');
            this.restartAfter(door, downMs);
          });
        }
        if (r.chance(0.1)) {
          this.at(during(), () => {
            if (door.life === null) return;
            this.stats.stops += 1;
            this.stop(door);
            this.restartAfter(door, r.int(SECOND, 10 * MINUTE));
          });
        }
      }
    }
    const hub = this.doors.find((door) => door.hub);
    this.sheetFaults = new Faults(this.net, hub === undefined ? [] : this.sheetWindows(r), {
      serverError: 0,
      rateLimit: 0,
      reset: 0,
      slow: 0,
    });
    if (hub !== undefined)
      for (let day = 0; day < this.plan.days; day++) {
        for (let n = r.int(0, 3); n > 0; n--)
          this.at(during(), () => {
            this.correct(hub);
          });
        for (let n = r.int(0, 3); n > 0; n--) {
          const edit = r.pick(['sort', 'insertBlank', 'delete', 'editCell'] as const);
          const [a, b] = [r.next(), r.next()];
          this.at(during(), () => {
            this.editLog(hub, edit, a, b);
          });
        }
        // As it runs: no value in another session's row, no deleted row back.
        for (let hour = 1; hour <= 24; hour++)
          this.at(day * DAY + hour * HOUR, () => {
            this.checkRows(hub, true);
          });
      }
    for (let day = 0; day < this.plan.days; day++) {
      if (!r.chance(0.15)) continue;
      const at = during();
      const length = r.int(MINUTE, 6 * HOUR);
      this.stats.brokerOutages += 1;
      for (const door of this.doors) this.planCut(door, at, length);
    }
  }

  /**
   * The hub's trouble with the Sheets API, a few windows a day: no network, errors, 429s, answers
   * after the timeout (some writes landing late), resets. Each is over before the run ends.
   */
  private sheetWindows(r: Random): FaultWindow[] {
    const windows: FaultWindow[] = [];
    for (let day = 0; day < this.plan.days; day++) {
      for (let n = r.int(0, 3); n > 0; n--) {
        const from = r.int(0, this.end - HOUR);
        const to = Math.min(this.end, from + this.cutLength(r));
        const kind = r.pick(['outage', 'serverErrors', 'rateLimit', 'slow', 'resets'] as const);
        windows.push({
          kind,
          from,
          to,
          p: kind === 'outage' ? 1 : 0.3,
          ...(kind === 'rateLimit' ? { retryAfterS: r.chance(0.5) ? r.int(1, 60) : null } : {}),
          ...(kind === 'slow' ? { lands: r.chance(0.5) } : {}),
        });
        this.stats.sheetFaultWindows += 1;
      }
    }
    return windows;
  }

  /** A cut's length: mostly short, sometimes hours, now and then days. */
  private cutLength(r: Random): number {
    const kind = r.next();
    if (kind < 0.5) return r.int(SECOND, MINUTE);
    if (kind < 0.8) return r.int(MINUTE, HOUR);
    if (kind < 0.95) return r.int(HOUR, DAY);
    return r.int(DAY, 3 * DAY);
  }

  private planCut(door: Door, at: number, length: number): void {
    this.at(at, () => {
      this.stats.partitions += 1;
      door.cuts += 1;
      this.record(`cut ${door.name} for ${length} ms`);
      this.broker.setLink(this.clientId(door), false);
    });
    this.at(at + length, () => {
      if (door.cuts === 0) return; // healed by the end of the run
      door.cuts -= 1;
      if (door.cuts > 0) return;
      this.record(`link of ${door.name} back`);
      this.broker.setLink(this.clientId(door), true);
    });
  }

  /** A person presents their card at a door: taken if the door's clock runs, lost if not. */
  private tap(card: string, door: Door | undefined): void {
    if (door === undefined) return;
    const life = door.life;
    if (life === null || life.failure !== null) {
      this.stats.tapsLost += 1;
      this.record(`tap ${card} at ${door.name}: lost (down)`);
      return;
    }
    this.stats.taps += 1;
    const at = this.wall();
    this.taken.push({ card, at, door: door.name });
    this.record(`tap ${card} at ${door.name}`);
    life.reads$.next({
      type: 'cardRead',
      at,
      card,
      reader: door.name,
      mono: this.mono.now() - door.bootAt + 30 * SECOND,
    });
    // Now and then the process dies a few ms later: mid-commit, mid-publish.
    if (this.faultsRandom.chance(0.01)) {
      const downMs = this.faultsRandom.int(SECOND, 5 * MINUTE);
      this.at(this.mono.now() + this.faultsRandom.int(0, 60), () => {
        if (door.life !== life) return;
        this.stats.kills += 1;
        this.kill(door, 'killed after a tap');
        this.restartAfter(door, downMs);
      });
    }
  }

  /**
   * A manager's correction at the hub, as `badgeclock fix` makes it (a request in the hub's
   * store, judged by the running hub, or at its next start): an Out or In moved on a closed
   * session, a session voided, or an open one closed or voided (the person forgot, at a door
   * that may be cut off: their clock-out tap can still come).
   */
  private correct(hub: Door): void {
    const r = this.faultsRandom;
    const now = this.wall();
    const recent = hub.view
      .sessions(now - 3 * DAY)
      .filter((s) => s.voided !== 1 && (s.supersededAt ?? null) === null);
    if (recent.length === 0) return;
    // Half the time the manager looks at who is still in (a forgotten clock-out), as on `Now`;
    // half of those, when there are some, someone whose clock-out is stuck at a door cut off
    // from the broker: their late taps then meet the manager's close at the hub.
    const open = recent.filter((s) => s.status === 'in');
    const cutOff = new Set(this.doors.filter((d) => d.cuts > 0).map((d) => d.name));
    const stuck = new Set(
      this.taken.filter((t) => cutOff.has(t.door) && t.at > now - 12 * HOUR).map((t) => t.card),
    );
    const aimed = open.filter((s) => stuck.has(s.card));
    const session = r.pick(
      open.length > 0 && r.chance(0.5)
        ? aimed.length > 0 && r.chance(0.5)
          ? aimed
          : open
        : recent,
    );
    const inAt = session.fixedIn ?? session.inAt;
    const outAt = session.fixedOut ?? session.outAt;
    let fix: Omit<AskedFix, 'id'>;
    if (outAt === null) {
      if (now - inAt < 20 * MINUTE) return;
      fix = r.chance(0.3)
        ? { session: session.id, inAt: null, outAt: null, void: true }
        : { session: session.id, inAt: null, outAt: r.int(inAt + MINUTE, now), void: false };
    } else {
      const kind = r.int(0, 2);
      const span = outAt - inAt;
      fix =
        kind === 0
          ? { session: session.id, inAt: null, outAt: outAt - r.int(0, span / 2), void: false }
          : kind === 1
            ? { session: session.id, inAt: inAt + r.int(0, span / 2), outAt: null, void: false }
            : { session: session.id, inAt: null, outAt: null, void: true };
    }
    const store = Store.open(hub.dbFile);
    try {
      const id = store.addFixRequest({ at: now, why: 'simulated manager', ...fix });
      this.fixes.push({ id, ...fix });
      this.stats.fixes += 1;
      this.record(`fix ${id} ${JSON.stringify(fix)}`);
    } finally {
      store.close();
    }
  }

  /** People editing Log at the hub: sorting it, inserting blank rows, deleting rows, notes. */
  private editLog(
    hub: Door,
    edit: 'sort' | 'insertBlank' | 'delete' | 'editCell',
    a: number,
    b: number,
  ): void {
    if (!this.model.tabTitles(SHEET_ID).includes('Log')) return;
    const rows = this.model.values(SHEET_ID, 'Log');
    const data = Math.max(0, rows.length - 1);
    this.record(`a person edits Log: ${edit}`);
    switch (edit) {
      case 'sort':
      case 'insertBlank':
        rearrangeLog(this.model, SHEET_ID, edit, a, b);
        return;
      case 'delete': {
        const unfinished = new Set(
          hub.view.unfinished().flatMap((e) => (e.session === null ? [] : [e.session])),
        );
        const candidates = deletableRows(rows, unfinished, 'any');
        const pick = candidates[Math.floor(a * candidates.length)];
        if (pick === undefined) return;
        this.deleted.add(pick.id);
        this.stats.rowsDeleted += 1;
        this.record(`a person deletes Log row ${pick.row} (${pick.id})`);
        this.model.deleteRow(SHEET_ID, 'Log', pick.row);
        return;
      }
      case 'editCell':
        this.noteColumn ??= this.model.addColumn(SHEET_ID, 'Log', 'Note');
        if (data > 0)
          this.model.setCell(
            SHEET_ID,
            'Log',
            2 + Math.floor(a * data),
            this.noteColumn,
            `note ${b}`,
          );
        return;
    }
  }

  /** What must hold of the hub's Log at any moment (checks.ts, `sheetRowsSound`). */
  private checkRows(hub: Door, settling: boolean): void {
    if (!this.model.tabTitles(SHEET_ID).includes('Log')) return;
    this.stats.checks += 1;
    const stored = new Map(hub.view.sessions().map((session) => [session.id, session]));
    const problems = sheetRowsSound(
      viewSheet(this.model, SHEET_ID).log,
      stored,
      this.deleted,
      ZONE,
      settling,
    );
    if (problems.length > 0)
      this.violations.push(
        `the hub's Log at ${iso(this.wall())} (${problems.length}): ${problems.slice(0, 5).join('; ')}`,
      );
  }

  // ---- door lives ----------------------------------------------------------------------------

  private start(door: Door): void {
    this.lives += 1;
    const store = Store.open(door.dbFile);
    const life: Life = {
      id: this.lives,
      conn: { dead: false },
      store,
      reads$: new Subject<CardRead>(),
      clients: [],
      subscription: null,
      failure: null,
    };
    door.life = life;
    this.record(`start ${door.name} life ${life.id}`);
    // The true time: doors' clocks are synchronised here (the single-door simulation steps them).
    const scheduler = wallScheduler(
      { mono: this.mono, origin: this.origin, error: 0, bootAt: 0, bootUptime: 0 },
      this.random,
      { fromMs: Infinity, earlyP: 0, earlyMs: 0, lateP: 0, lateMs: 0 },
      () => undefined,
    );
    const warn = (text: string): void => {
      this.record(`${door.name} log ${text.replace(/"time":\d+,?/, '').trim()}`);
    };
    const io: AppIo = {
      stdin: new PassThrough(),
      stdout: new Writable({
        write: (_chunk: Buffer, _encoding, done) => {
          done();
        },
      }),
      log: makeLog({ pretty: false, level: 'warn', write: warn }),
      mono: () => this.mono.now() - door.bootAt + 30 * SECOND,
      bootId: `${door.name}-boot-${door.boots}`,
      scheduler,
      json: true,
      reads$: door.hub ? NEVER : life.reads$,
      ...(door.hub ? { hub: true } : {}),
      mqttConnect: this.broker.connector((client) => {
        life.clients.push(client);
      }),
    };
    const sheet = door.hub ? this.sheetOf(door, life, scheduler, warn) : undefined;
    try {
      life.subscription = clockApp(door.config, store, io, sheet).subscribe({
        error: (error: unknown) => {
          life.failure = error instanceof Error ? error : new Error(String(error));
          this.violations.push(
            `${door.name}'s clock stopped at ${iso(this.wall())}: ${String(error)}`,
          );
        },
      });
    } catch (error) {
      life.failure = error instanceof Error ? error : new Error(String(error));
      this.violations.push(`${door.name} failed to start: ${String(error)}`);
    }
  }

  /** The hub's sheet: the real driver and Sheets client over the spreadsheet model. */
  private sheetOf(
    door: Door,
    life: Life,
    scheduler: SchedulerLike,
    warn: (text: string) => void,
  ): SheetsDriver {
    const client = makeSimSheetsClient({
      model: this.model,
      spreadsheetId: SHEET_ID,
      account: ACCOUNT,
      scheduler: this.mono,
      random: this.net,
      faults: this.sheetFaults,
      timeoutMs: 30_000,
      poisonCard: () => null,
      life: life.conn,
      onRequest: () => {
        this.stats.sheetRequests += 1;
      },
      zone: ZONE,
      now: () => this.wall(),
      warn,
    });
    return makeSheetsDriver(client, {
      scheduler,
      random: () => this.net.next(),
      peopleCache: join(door.config.dataDir, 'people-sheet.json'),
      warn,
    });
  }

  /** kill -9: the connection drops (the will goes out), nothing more is said; a reboot. */
  private kill(door: Door, why: string): void {
    const life = door.life;
    if (life === null) return;
    this.record(`kill ${door.name} life ${life.id}: ${why}`);
    life.conn.dead = true;
    for (const client of life.clients) client.kill();
    life.subscription?.unsubscribe();
    life.reads$.complete();
    life.store.close();
    door.life = null;
    door.boots += 1;
    door.bootAt = this.mono.now();
  }

  /** A clean stop (systemd's SIGTERM): the driver says goodbye. */
  private stop(door: Door): void {
    const life = door.life;
    if (life === null) return;
    this.record(`stop ${door.name} life ${life.id}`);
    life.conn.dead = true;
    life.reads$.complete();
    life.subscription?.unsubscribe();
    life.store.close();
    door.life = null;
  }

  private restartAfter(door: Door, ms: number): void {
    this.at(this.mono.now() + ms, () => {
      if (door.life === null) this.start(door);
    });
  }

  // ---- the check -----------------------------------------------------------------------------

  /**
   * The model: each person's taps, merged from every door, in time order. At the hub, a
   * manager's close of an open session is an event of that log too (docs/multi-door.md): for
   * the merged log the session is open until the correction, which closes it at the Out the
   * manager gave, if no tap closed it before; the person's next tap clocks in.
   */
  private expected(now: number, closes: readonly ManagerClose[] = []): Compared[] {
    type Event = { readonly at: number; readonly close?: ManagerClose };
    const byCard = new Map<string, Event[]>();
    const add = (card: string, event: Event): void => {
      byCard.set(card, [...(byCard.get(card) ?? []), event]);
    };
    for (const tap of this.taken) add(tap.card, { at: tap.at });
    for (const close of closes) add(close.card, { at: close.seenAt, close });
    const sessions: Compared[] = [];
    for (const [card, events] of byCard) {
      let open: number | null = null;
      let accepted = -Infinity;
      for (const { at, close } of [...events].sort((a, b) => a.at - b.at)) {
        // Within the guard of the person's last accepted tap: ignored (it does not move it).
        if (close === undefined && at - accepted < GUARD_MS) continue;
        if (close === undefined) accepted = at;
        if (open !== null && at - open > LIMIT_MS) {
          sessions.push({ card, inAt: open, outAt: open + LIMIT_MS, status: 'auto' });
          open = null;
        }
        if (close !== undefined) {
          // Only the session the manager closed, if the merged log still has it open.
          if (open !== null && open === close.inAt) {
            sessions.push({ card, inAt: open, outAt: close.outAt, status: 'out' });
            open = null;
          }
        } else if (open === null) open = at;
        else {
          sessions.push({ card, inAt: open, outAt: at, status: 'out' });
          open = null;
        }
      }
      if (open === null) continue;
      const over = now - open - LIMIT_MS;
      if (over > 2 * MINUTE)
        sessions.push({ card, inAt: open, outAt: open + LIMIT_MS, status: 'auto' });
      else if (over > -MINUTE) sessions.push({ card, inAt: open, outAt: null, status: 'either' });
      else sessions.push({ card, inAt: open, outAt: null, status: 'in' });
    }
    return sessions;
  }

  /**
   * Every correction the hub applied is still what the manager asked, on each session still in
   * the record (one a refold superseded is out of it), unless a later one asked otherwise.
   */
  private checkFixes(hub: Door): void {
    this.stats.checks += 1;
    const sessions = new Map(hub.view.sessions().map((s) => [s.id, s]));
    const store = Store.open(hub.dbFile);
    try {
      const wrong: string[] = [];
      this.fixes.forEach((fix, i) => {
        const outcome = store.fixOutcome(fix.id);
        if (outcome === null) {
          wrong.push(`fix ${fix.id} was never judged`);
          return;
        }
        if (!outcome.applied) return;
        this.stats.fixesApplied += 1;
        const s = sessions.get(fix.session);
        if (s === undefined || (s.supersededAt ?? null) !== null) return;
        const later = this.fixes.slice(i + 1).filter((f) => f.session === fix.session);
        const asked = (field: 'inAt' | 'outAt' | 'void'): boolean =>
          later.some((f) => (field === 'void' ? f.void : f[field] !== null) || f.void);
        const shown = `${fix.session}: fix ${fix.id} ${JSON.stringify(fix)}`;
        if (fix.void && s.voided !== 1) wrong.push(`${shown} is not voided`);
        if (fix.outAt !== null && !asked('outAt') && s.fixedOut !== fix.outAt)
          wrong.push(
            `${shown} has Out ${s.fixedOut === null || s.fixedOut === undefined ? 'uncorrected' : iso(s.fixedOut)}`,
          );
        if (fix.inAt !== null && !asked('inAt') && s.fixedIn !== fix.inAt)
          wrong.push(
            `${shown} has In ${s.fixedIn === null || s.fixedIn === undefined ? 'uncorrected' : iso(s.fixedIn)}`,
          );
      });
      if (wrong.length > 0)
        this.violations.push(
          `the hub lost manager's corrections (${wrong.length}): ${wrong.slice(0, 5).join('; ')}`,
        );
    } finally {
      store.close();
    }
  }

  /**
   * The manager's corrections as a door has them: the hub's (its corrected In and Out, and
   * void), on every session both keep (the hub shares each one it applied).
   */
  private checkSharedFixes(hub: Door, door: Door): void {
    this.stats.checks += 1;
    const standing = (d: Door): Map<string, StoredSession> =>
      new Map(
        d.view
          .sessions()
          .filter((s) => (s.supersededAt ?? null) === null)
          .map((s) => [s.id, s]),
      );
    const time = (at: number | null | undefined): string => (at == null ? '-' : iso(at));
    const fixesOf = (s: StoredSession): string =>
      `In ${time(s.fixedIn)}, Out ${time(s.fixedOut)}${s.voided === 1 ? ', void' : ''}`;
    const here = standing(door);
    const wrong: string[] = [];
    for (const [id, atHub] of standing(hub)) {
      const kept = here.get(id);
      if (kept !== undefined && fixesOf(kept) !== fixesOf(atHub))
        wrong.push(`${id}: the hub has ${fixesOf(atHub)}, ${door.name} ${fixesOf(kept)}`);
    }
    if (wrong.length > 0)
      this.violations.push(
        `${door.name}'s corrections differ from the hub's (${wrong.length}): ${wrong.slice(0, 5).join('; ')}`,
      );
  }

  /** The hub's closes of open sessions by a manager, with each session's card and clock-in. */
  private closesAt(hub: Door): ManagerClose[] {
    const sessions = new Map(hub.view.sessions().map((s) => [s.id, s]));
    return hub.view.closedByManager().flatMap(({ seenAt, session, outAt }) => {
      const s = sessions.get(session);
      return s === undefined ? [] : [{ card: s.card, inAt: s.inAt, seenAt, outAt }];
    });
  }

  private check(): void {
    const now = this.wall();
    // The hub shares the manager's corrections: every door's record follows them too.
    const hub = this.doors.find((door) => door.hub);
    const expected = this.expected(now, hub === undefined ? [] : this.closesAt(hub));
    this.stats.sessions = expected.length;
    const key = (s: Compared): string => `${s.card} ${iso(s.inAt)}`;
    const show = (s: Compared | undefined): string =>
      s === undefined
        ? 'none'
        : `${s.status} ${iso(s.inAt)} - ${s.outAt === null ? '' : iso(s.outAt)}`;
    for (const door of this.doors) {
      this.stats.checks += 1;
      if (door.life?.failure) continue; // said when it stopped
      const stored = new Map<string, Compared>(
        // A session a refold superseded stays in the store, voided (the sheet marks its row);
        // one a manager voided is still the merged log's (the void is a correction beside it).
        door.view
          .sessions()
          .filter((s) => (s.supersededAt ?? null) === null)
          .map((s) => {
            const compared: Compared = {
              card: s.card,
              inAt: s.inAt,
              outAt: s.outAt,
              status: s.status,
            };
            return [key(compared), compared];
          }),
      );
      const wrong: string[] = [];
      for (const want of expected) {
        const got = stored.get(key(want));
        stored.delete(key(want));
        const same =
          got !== undefined &&
          (want.status === 'either'
            ? got.status === 'in' || (got.status === 'auto' && got.outAt === want.inAt + LIMIT_MS)
            : got.status === want.status && got.outAt === want.outAt);
        if (!same)
          wrong.push(`${want.card}: expected ${show(want)}, ${door.name} has ${show(got)}`);
      }
      for (const extra of stored.values())
        wrong.push(`${extra.card}: ${door.name} has ${show(extra)}, the merged log makes none`);
      if (wrong.length > 0)
        this.violations.push(
          `${door.name}'s sessions differ from the merged tap log's (${wrong.length}): ${wrong.slice(0, 5).join('; ')}`,
        );
      if (!door.hub && hub !== undefined) this.checkSharedFixes(hub, door);
      if (door.hub) {
        this.checkFixes(door);
        this.checkRows(door, false);
        this.stats.checks += 1;
        const log = viewSheet(this.model, SHEET_ID).log;
        const stored = door.view.sessions();
        this.stats.logRows = Math.max(0, log.length - 1);
        this.stats.superseded = stored.filter((s) => (s.supersededAt ?? null) !== null).length;
        this.stats.madeAgain = door.view.madeAgain();
        const problems = sheetEqualsStore({
          log,
          stored,
          unfinished: door.view.unfinished(),
          deleted: this.deleted,
          zone: ZONE,
          now: this.wall(),
          youngMs: MINUTE,
          liveLagMs: 3 * MINUTE,
        });
        if (problems.length > 0)
          this.violations.push(
            `the hub's sheet differs from its store (${problems.length}): ${problems.slice(0, 5).join('; ')}`,
          );
      }
    }
  }
}

/** Runs one plan of the simulation with doors. */
export async function runDoors(
  plan: DoorsPlan,
  options: { readonly trace?: boolean; readonly keepFiles?: (dir: string) => void } = {},
): Promise<DoorsResult> {
  const world = new DoorsWorld(plan, options.trace === true);
  try {
    return await world.run();
  } finally {
    const dir = world.dispose(options.keepFiles !== undefined);
    options.keepFiles?.(dir);
  }
}
