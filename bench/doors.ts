/**
 * Many doors on one broker (issue 14, "Scale, measured"): `DOORS` door
 * processes (the built CLI, `run --json`) and a hub (`hub`, writing the Sheets
 * test server) on a real Mosquitto on loopback, `PEOPLE` cards.
 *
 * - Tap to every replica: a card id written to one door's stdin until every
 *   door and the hub printed the `tap` event whose `origin` is that tap (a
 *   door prints an event only once its store made the step durable), timed in
 *   this process as the lines arrive. Baselines, measured in the same run and
 *   interleaved with the taps: the same tap's own `tap` line at the door it
 *   was taken at (stdin to local commit), and a raw MQTT.js QoS 1 publish to
 *   receive through the same broker, one probe between every two taps.
 * - Broker messages per tap: Mosquitto's own `$SYS/broker/publish/messages/
 *   received` and `sent` before and after the taps, less what this bench's
 *   own clients sent and were sent (the probes, the monitor's copies).
 * - The hub's sheet requests a minute with nothing changing: counted on the
 *   server over a quiet window after the hub's outbox drained.
 * - A door's memory with 100,000 taps in its merged log: a store written by
 *   the clock's own reducer and store (a 300-person site of 20 doors, a
 *   twentieth of the taps its own), then the door started on it; VmRSS after
 *   start and after live taps (its own on stdin, and another door's through
 *   the broker), next to the same door on an empty store. It runs during the
 *   quiet window, on a site of its own, so the hub never hears of it.
 *
 * Every door knows the 300 people (a people file; the hub, the sheet's People tab): a card
 * nobody knows is listed in People at each replica, which costs a door several times a known
 * tap's CPU and is not what a running site does at every tap.
 *
 * The pace: every tap costs each of the 21 processes its CPU, so on a 2-core machine 20 ms
 * apart (50 taps a second) is a backlog of seconds, not a latency. 200 ms apart keeps the
 * site's processes under half a core here (the report says how much they used).
 *
 * Alone: `npm run build && node dist/bench/doors.js` (some four minutes). BENCH_DOORS,
 * BENCH_DOOR_TAPS, BENCH_DOOR_PACE_MS, BENCH_DOOR_QUIET_SECONDS, BENCH_DOOR_MERGED_TAPS scale
 * it; BENCH_DOOR_DIR puts the stores elsewhere than the temp dir (e.g. /dev/shm).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { toCommit } from '../streams/commit';
import type { Person } from '../streams/directory';
import type { CardRead } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer } from '../streams/sessions';
import { connect } from '../src/drivers/mqtt/mqttDriver';
import { tapMessage, tapsTopic } from '../src/drivers/mqtt/tapMessages';
import { Store } from '../src/drivers/store/store';
import { startBroker, type Broker } from '../test/support/broker';
import { doorCommand } from '../test/support/doors';
import { SheetsTestServer } from '../test/support/sheetsTestServer';
import { summarise, type Summary } from './stats';

const CLI = resolve(__dirname, '../src/cli.js');
const SHEET = 'benchDoorsSheet01';
const SITE = 'bench';
/** The memory door's site: its taps never reach the hub, whose quiet window it shares. */
const RSS_SITE = 'bench-rss';
const PEOPLE = 300;
/** Between two live taps at the memory door. */
const RSS_PACE_MS = 20;
/** Doors started at once: 20 Node processes starting together on two cores starve each other. */
const START_CONCURRENCY = 4;
const READY_MS = 120_000;
const CONVERGE_MS = 60_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Live taps at the memory door, of each kind (own on stdin, another door's through the broker). */
const RSS_LIVE_TAPS = 500;
const RSS_SETTLE_MS = 3_000;
/** USER_HZ: /proc's unit of CPU time on Linux. */
const CLOCK_TICKS = 100;

export interface DoorsOptions {
  readonly doors: number;
  readonly taps: number;
  /** Between two taps of the site. */
  readonly paceMs: number;
  readonly quietSeconds: number;
  readonly mergedTaps: number;
}

export interface DoorMemory {
  /** Taps in the store when the door started. */
  readonly mergedTaps: number;
  readonly sessions: number;
  /** Spawn to subscribed. */
  readonly startMs: number;
  /** VmRSS, KiB: settled after start, and settled after the live taps; VmHWM at the end. */
  readonly rssStartKiB: number;
  readonly rssAfterKiB: number;
  readonly hwmKiB: number;
  readonly dbBytes: number;
}

export interface DoorsFigure {
  readonly doors: number;
  readonly people: number;
  readonly taps: number;
  readonly paceMs: number;
  /** CPU the doors and the hub used while the taps went round, in cores (this machine's: `cores`). */
  readonly siteCores: number;
  readonly cores: number;
  /** CPU a tap cost the hub (writing the sheet too), and a door on average (own taps and others'). */
  readonly hubCpuPerTapMs: number;
  readonly doorCpuPerTapMs: number;
  /** Spawn of the first process to all subscribed. */
  readonly startMs: number;
  /** Write to stdin until every door and the hub printed the tap. */
  readonly replicas: Summary;
  /** Write to stdin until one other replica printed it: every (tap, replica) pair. */
  readonly oneReplica: Summary;
  /** Write to stdin until the tap's message reached a monitoring client of the broker. */
  readonly toBroker: Summary;
  /** Of the taps, the share whose last replica was the hub. */
  readonly hubLastShare: number;
  /** Write to stdin until the door it was taken at printed it (its own commit): baseline. */
  readonly local: Summary;
  /** Raw MQTT.js QoS 1 publish to receive through the same broker: baseline. */
  readonly mqtt: Summary;
  /** Taps that had not reached every replica when the bench gave up waiting. */
  readonly unconverged: number;
  /** Replica events that were not a plain in-order tap (`tap-late`, `refolded`), by type. */
  readonly oddEvents: Readonly<Record<string, number>>;
  /** Taps in each replica's store at the end, fewest and most (each should hold every tap). */
  readonly storedTaps: { readonly min: number; readonly max: number };
  /** Tap messages the monitor saw, a tap. */
  readonly tapMessagesPerTap: number;
  /** $SYS publish/messages received and sent a tap, less the bench's own clients. */
  readonly brokerReceivedPerTap: number;
  readonly brokerSentPerTap: number;
  /** Taps to the hub's outbox drained (the sheet has every session). */
  readonly hubDrainMs: number;
  readonly hubDrained: boolean;
  readonly quiet: {
    readonly windowMs: number;
    readonly requests: number;
    readonly reads: number;
    readonly writes: number;
    readonly perMinute: number;
  };
  readonly memory: { readonly empty: DoorMemory; readonly full: DoorMemory };
  /** Writing the memory door's store through the reducer and the store, in memory. */
  readonly fillMs: number;
  readonly totalMs: number;
}

/** Options from the environment (BENCH_DOORS, BENCH_DOOR_TAPS, ...), with the issue's figures as defaults. */
export function doorsOptions(env: NodeJS.ProcessEnv = process.env): DoorsOptions {
  return {
    doors: Number(env.BENCH_DOORS ?? '20'),
    taps: Number(env.BENCH_DOOR_TAPS ?? '300'),
    paceMs: Number(env.BENCH_DOOR_PACE_MS ?? '200'),
    quietSeconds: Number(env.BENCH_DOOR_QUIET_SECONDS ?? '120'),
    mergedTaps: Number(env.BENCH_DOOR_MERGED_TAPS ?? '100000'),
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Polls `done` every `everyMs` until it holds (true) or `ms` passed (false). */
async function until(done: () => boolean, ms: number, everyMs = 25): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** xorshift32: the same doors and cards every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const cardOf = (i: number): string => `D${String(i).padStart(7, '0')}`;
const nameOf = (i: number): string => `Person ${i}`;

/**
 * The site's 300 people, known to every door (its people file) and to the hub (the sheet's
 * People tab): a card nobody knows is listed in People at its first tap, which is not what a
 * running site does at every tap.
 */
function writePeopleFile(file: string): void {
  const lines = Array.from({ length: PEOPLE }, (_, i) => `${cardOf(i)},${nameOf(i)}\n`);
  writeFileSync(file, `card,name\n${lines.join('')}`);
}

function sitePeople(): Person[] {
  return Array.from({ length: PEOPLE }, (_, i) => ({
    card: cardOf(i),
    name: nameOf(i),
    active: true,
    aliases: [],
  }));
}

/** One JSON line of a door's stdout. */
interface DoorEvent {
  readonly type: string;
  readonly at?: string;
  readonly card?: string;
  readonly origin?: string;
}

/** Every process this bench started, killed if it exits with one still running. */
const children = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * A door (or the hub) as a process of its own for as long as the bench needs it: each stdout
 * line handed over with the moment it arrived, stderr kept for failure messages.
 */
class DoorProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly spawnedAt = performance.now();
  private stderr = '';
  private partial = '';
  private readonly closed: Promise<void>;

  constructor(
    readonly name: string,
    brokerUrl: string,
    root: string,
    env: NodeJS.ProcessEnv,
    command: 'run' | 'hub',
    private readonly onEvent: (door: DoorProcess, event: DoorEvent, at: number) => void,
  ) {
    // Info, not the tests' debug: a door on a site logs as it would in service.
    const spec = doorCommand(
      name,
      brokerUrl,
      root,
      { BADGECLOCK_LOG_LEVEL: 'info', ...env },
      command,
    );
    this.child = spawn(process.execPath, [CLI, ...spec.args], {
      env: { PATH: process.env.PATH, TZ: 'UTC', ...spec.env },
    });
    children.add(this.child);
    this.closed = new Promise((done) => {
      this.child.on('close', () => {
        children.delete(this.child);
        done();
      });
    });
    this.child.stdin.on('error', () => undefined);
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.now();
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('{')) this.onEvent(this, JSON.parse(line) as DoorEvent, at);
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-64_000);
    });
  }

  /** Resolves with the ms from spawn once it is subscribed to every door's taps. */
  async ready(): Promise<number> {
    const ok = await until(
      () => this.stderr.includes('mqtt: subscribed to') || this.child.exitCode !== null,
      READY_MS,
    );
    if (!ok || this.child.exitCode !== null) {
      throw new Error(`door ${this.name} did not subscribe; stderr:\n${this.stderr}`);
    }
    return performance.now() - this.spawnedAt;
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** VmRSS and VmHWM from /proc, KiB. */
  memory(): { rss: number; hwm: number } {
    const status = readFileSync(`/proc/${this.child.pid ?? 0}/status`, 'utf8');
    const kib = (key: string): number =>
      Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]);
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  }

  /** CPU time used so far (user and system), ms. */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.child.pid ?? 0}/stat`, 'utf8');
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  }

  /** SIGTERM, and SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.closed;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.closed;
    clearTimeout(timer);
  }
}

async function stopAll(doors: readonly DoorProcess[]): Promise<void> {
  await Promise.all(doors.map((door) => door.stop()));
}

function connectMqtt(url: string, clientId: string): Promise<MqttClient> {
  const client = connect(url, { clientId, clean: true, reconnectPeriod: 1_000 });
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      resolve(client);
    });
    client.once('error', reject);
  });
}

/** Counts in the store file of a door: its taps and sessions, and sheet writes still pending. */
function storeCounts(file: string): { taps: number; sessions: number; pending: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const count = (sql: string): number => Number(db.prepare(sql).pluck().get());
    return {
      taps: count('SELECT count(*) FROM taps'),
      sessions: count('SELECT count(*) FROM sessions'),
      pending: count('SELECT count(*) FROM outbox WHERE done_at IS NULL'),
    };
  } finally {
    db.close();
  }
}

/**
 * Mosquitto's `$SYS/broker/publish/messages/{received,sent}` as it publishes them (every
 * 10 s), and every message the monitor itself was sent (they count in `sent`).
 */
class Monitor {
  received = NaN;
  sent = NaN;
  /** Updates of `sent` (Mosquitto publishes a counter only when it changed; this one always has, by what it sent the monitor). */
  ticks = 0;
  /** Messages delivered to the monitor: $SYS and badgeclock/#. */
  delivered = 0;
  tapMessages = 0;
  /** When each tap message reached the monitor, by `<door>|<card>|<at>`. */
  readonly taps = new Map<string, number>();

  constructor(readonly client: MqttClient) {
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      this.delivered += 1;
      if (topic.startsWith('badgeclock/') && topic.includes('/taps/')) {
        this.tapMessages += 1;
        const tap = JSON.parse(payload.toString()) as { door: string; card: string; at: number };
        // Keyed as the doors' lines are: door, card, and the tap's time as ISO-8601.
        this.taps.set(
          `${tap.door}|${tap.card}|${new Date(tap.at).toISOString()}`,
          performance.now(),
        );
      }
      // The retained copy on subscribing is the value as last published, which is the value now.
      if (topic === '$SYS/broker/publish/messages/received') this.received = Number(payload);
      if (topic === '$SYS/broker/publish/messages/sent') {
        this.sent = Number(payload);
        if (!packet.retain) this.ticks += 1;
      }
    });
  }

  static async start(url: string): Promise<Monitor> {
    const client = await connectMqtt(url, 'bench-monitor');
    const monitor = new Monitor(client);
    await client.subscribeAsync(['$SYS/broker/publish/messages/+', 'badgeclock/#'], { qos: 0 });
    return monitor;
  }

  /** The counters at Mosquitto's next $SYS tick, and what the monitor had been sent by then. */
  async next(): Promise<{ received: number; sent: number; delivered: number }> {
    const after = this.ticks;
    if (!(await until(() => this.ticks > after, 30_000, 50))) {
      throw new Error('no $SYS update from mosquitto within 30 s');
    }
    return { received: this.received, sent: this.sent, delivered: this.delivered };
  }
}

/**
 * A raw round trip through the broker, the transport's floor: a QoS 1 publish from one
 * MQTT.js client to another subscribed, timed from the publish call to the message.
 */
class Probe {
  readonly samples: number[] = [];
  published = 0;
  private readonly sentAt = new Map<string, number>();

  private constructor(
    private readonly out: MqttClient,
    readonly into: MqttClient,
  ) {
    into.on('message', (_topic: string, payload: Buffer) => {
      const at = performance.now();
      const started = this.sentAt.get(payload.toString());
      if (started !== undefined) this.samples.push(at - started);
    });
  }

  static async start(url: string): Promise<Probe> {
    const out = await connectMqtt(url, 'bench-probe-out');
    const into = await connectMqtt(url, 'bench-probe-in');
    await into.subscribeAsync('bench/probe', { qos: 1 });
    return new Probe(out, into);
  }

  send(): void {
    const id = String(this.published++);
    this.sentAt.set(id, performance.now());
    this.out.publish('bench/probe', id, { qos: 1 });
  }

  async end(): Promise<void> {
    await Promise.all([this.out.endAsync(), this.into.endAsync()]);
  }
}

/** One tap written to a door, and when it reached its own store and each replica. */
interface Sent {
  readonly door: string;
  readonly card: string;
  readonly writtenAt: number;
  local?: { at: string; seenAt: number };
}

/**
 * The door memory part: a store of `mergedTaps` taps (a 300-person site, 20 doors, a
 * twentieth of the taps this door's own) written by the clock's own reducer and store, in
 * memory and then backed up to the door's data directory.
 */
async function fillStore(file: string, mergedTaps: number, door: string): Promise<void> {
  const random = prng(0x5eed);
  const reduce = makeReducer({ ...defaultRules('UTC'), debounceMs: 0, guardMs: 0 });
  const store = Store.open(':memory:');
  try {
    const perDay = PEOPLE * 2;
    const days = Math.ceil(mergedTaps / perDay);
    // Ends the day before yesterday: all of it history, every session closed.
    const firstDay = Math.floor(Date.now() / DAY) * DAY - (days + 2) * DAY;
    const reads: CardRead[] = [];
    const seq = new Map<string, number>();
    for (let k = 0; k < mergedTaps / 2; k++) {
      const day = firstDay + Math.floor(k / PEOPLE) * DAY;
      const inAt = day + 6 * HOUR + Math.floor(random() * 4 * HOUR);
      const outAt = inAt + 4 * HOUR + Math.floor(random() * 5 * HOUR);
      for (const at of [inAt, outAt]) {
        const from = Math.floor(random() * 20);
        const reader = from === 0 ? door : `door-${String(from).padStart(2, '0')}`;
        const read: CardRead = { type: 'cardRead', at, card: cardOf(k % PEOPLE), reader };
        if (from === 0) {
          reads.push(read);
        } else {
          const n = (seq.get(reader) ?? 0) + 1;
          seq.set(reader, n);
          reads.push({ ...read, origin: `${reader}:${n}` });
        }
      }
    }
    reads.sort((a, b) => a.at - b.at);
    // The people file, loaded as the door loads it when it starts.
    const loaded = reduce(initialState, {
      type: 'directoryLoaded',
      at: firstDay,
      people: sitePeople(),
    });
    let state = loaded.state;
    if (loaded.out.length > 0) store.commit(toCommit(loaded.out), firstDay);
    for (const read of reads) {
      if (read.origin !== undefined) {
        const [from = '', n = '0'] = read.origin.split(':');
        // As the MQTT driver keeps it: in the inbox first, folded by the step's commit.
        store.addToInbox(
          {
            id: read.origin,
            door: from,
            seq: Number(n),
            card: read.card,
            reader: read.reader,
            at: read.at,
          },
          read.at,
        );
      }
      const step = reduce(state, read);
      state = step.state;
      if (step.out.length > 0) store.commit(toCommit(step.out), read.at);
    }
    // The door's own taps were published long ago: its cursor is at the newest.
    store.publishCursor();
    await store.backup(file);
  } finally {
    store.close();
  }
}

/** One door alone on `brokerUrl`: started, settled, live taps, settled; then stopped. */
async function measureDoor(
  brokerUrl: string,
  root: string,
  peopleFile: string,
  peer: MqttClient,
): Promise<DoorMemory> {
  const name = 'rss';
  const dbFile = join(root, name, 'badgeclock.db');
  const before = existsSync(dbFile)
    ? { ...storeCounts(dbFile), bytes: statSync(dbFile).size }
    : { taps: 0, sessions: 0, pending: 0, bytes: 0 };
  let own = 0;
  let remote = 0;
  const door = new DoorProcess(
    name,
    brokerUrl,
    root,
    { BADGECLOCK_SITE: RSS_SITE, BADGECLOCK_PEOPLE_FILE: peopleFile },
    'run',
    (_door, event) => {
      if (event.type !== 'tap') return;
      if (event.origin === undefined) own += 1;
      else remote += 1;
    },
  );
  try {
    const startMs = await door.ready();
    await sleep(RSS_SETTLE_MS);
    const start = door.memory();
    const random = prng(0xd00a);
    const at0 = Date.now();
    const half = PEOPLE / 2;
    for (let i = 0; i < RSS_LIVE_TAPS; i++) {
      // Own taps of one half of the people, the peer's of the other: none of them late.
      door.write(cardOf(Math.floor(random() * half)));
      const card = cardOf(half + Math.floor(random() * half));
      const tap = { seq: 1_000_000 + i, card, reader: 'peer', at: at0 + i * RSS_PACE_MS };
      peer.publish(tapsTopic(RSS_SITE, 'peer'), tapMessage('peer', tap), { qos: 1 });
      await sleep(RSS_PACE_MS);
    }
    if (!(await until(() => own >= RSS_LIVE_TAPS && remote >= RSS_LIVE_TAPS, 60_000))) {
      throw new Error(`memory door: ${own} own and ${remote} remote taps of ${RSS_LIVE_TAPS} each`);
    }
    await sleep(RSS_SETTLE_MS);
    const after = door.memory();
    return {
      mergedTaps: before.taps,
      sessions: before.sessions,
      startMs,
      rssStartKiB: start.rss,
      rssAfterKiB: after.rss,
      hwmKiB: after.hwm,
      dbBytes: before.bytes,
    };
  } finally {
    await door.stop();
  }
}

/** The memory part: the door on an empty store, then on the filled one. */
async function doorMemory(
  brokerUrl: string,
  root: string,
  filled: string,
  peopleFile: string,
): Promise<{ empty: DoorMemory; full: DoorMemory }> {
  const peer = await connectMqtt(brokerUrl, 'bench-rss-peer');
  try {
    const emptyRoot = join(root, 'rss-empty');
    mkdirSync(emptyRoot);
    const empty = await measureDoor(brokerUrl, emptyRoot, peopleFile, peer);
    const full = await measureDoor(brokerUrl, filled, peopleFile, peer);
    return { empty, full };
  } finally {
    await peer.endAsync();
  }
}

/** The multi-door bench: see the module's comment. */
export async function doorsBench(options: DoorsOptions = doorsOptions()): Promise<DoorsFigure> {
  const began = performance.now();
  const root = mkdtempSync(join(process.env.BENCH_DOOR_DIR ?? tmpdir(), 'badgeclock-bench-doors-'));
  let broker: Broker | undefined;
  let server: SheetsTestServer | undefined;
  const clients: MqttClient[] = [];
  const processes: DoorProcess[] = [];
  try {
    // The memory door's store first: filling it keeps this process busy for seconds, which
    // would stall the Sheets test server the hub talks to.
    const filledRoot = join(root, 'rss-full');
    mkdirSync(join(filledRoot, 'rss'), { recursive: true });
    const peopleFile = join(root, 'people.csv');
    writePeopleFile(peopleFile);
    const fillBegan = performance.now();
    await fillStore(join(filledRoot, 'rss', 'badgeclock.db'), options.mergedTaps, 'rss');
    const fillMs = performance.now() - fillBegan;

    broker = await startBroker();
    server = await new SheetsTestServer().start();
    const account = server.serviceAccount(root);
    server.createSpreadsheet(SHEET, [account.email]);
    const people = sitePeople().map((p) => [p.card, p.name, 'yes', '', '', '']);
    server.addTab(SHEET, 'People', [
      ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'],
      ...people,
    ]);
    const monitor = await Monitor.start(broker.url);
    clients.push(monitor.client);
    const probe = await Probe.start(broker.url);

    const names = Array.from(
      { length: options.doors },
      (_, i) => `door-${String(i + 1).padStart(2, '0')}`,
    );
    const sent: Sent[] = [];
    /** Taps not yet matched to their own line, by door and card, oldest first. */
    const waiting = new Map<string, Sent[]>();
    /** Replica lines of a tap, by `<origin door>|<card>|<at>`: when each replica printed it. */
    const seen = new Map<string, Map<string, number>>();
    const oddEvents: Record<string, number> = {};
    const onEvent = (door: DoorProcess, event: DoorEvent, at: number): void => {
      if (event.type === 'tap-late' || event.type === 'refolded') {
        oddEvents[event.type] = (oddEvents[event.type] ?? 0) + 1;
      }
      if (event.type !== 'tap' || event.card === undefined || event.at === undefined) return;
      if (event.origin === undefined) {
        const mine = waiting.get(`${door.name}|${event.card}`)?.shift();
        if (mine !== undefined) mine.local = { at: event.at, seenAt: at };
        return;
      }
      const from = event.origin.slice(0, event.origin.lastIndexOf(':'));
      const key = `${from}|${event.card}|${event.at}`;
      const replicas = seen.get(key) ?? new Map<string, number>();
      replicas.set(door.name, at);
      seen.set(key, replicas);
    };

    const hubEnv = {
      BADGECLOCK_SITE: SITE,
      BADGECLOCK_SPREADSHEET_ID: SHEET,
      BADGECLOCK_KEY_FILE: account.file,
      BADGECLOCK_SHEETS_ROOT_URL: server.rootUrl,
    };
    const startedAt = performance.now();
    const hub = new DoorProcess('hub', broker.url, root, hubEnv, 'hub', onEvent);
    processes.push(hub);
    const doors: DoorProcess[] = [];
    for (let i = 0; i < names.length; i += START_CONCURRENCY) {
      const batch = names
        .slice(i, i + START_CONCURRENCY)
        .map(
          (name) =>
            new DoorProcess(
              name,
              broker?.url ?? '',
              root,
              { BADGECLOCK_SITE: SITE, BADGECLOCK_PEOPLE_FILE: peopleFile },
              'run',
              onEvent,
            ),
        );
      processes.push(...batch);
      doors.push(...batch);
      await Promise.all(batch.map((door) => door.ready()));
    }
    await hub.ready();
    const startMs = performance.now() - startedAt;

    const before = await monitor.next();
    const random = prng(0xc10c);
    const order = Array.from({ length: PEOPLE }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    const cpuBefore = processes.map((door) => door.cpuMs());
    const tapsBegan = performance.now();
    for (let i = 0; i < options.taps; i++) {
      // On a schedule, not a sleep after each: the pace holds whatever a write costs.
      const due = tapsBegan + i * options.paceMs;
      await sleep(Math.max(0, due - performance.now()));
      const door = doors[Math.floor(random() * doors.length)];
      if (door === undefined) continue;
      // Each card in turn: the same person again only after all the others (6 s at 300), so
      // every tap reaches every door before that person's next one (no late taps by design).
      const card = cardOf(order[i % PEOPLE] ?? 0);
      const tap: Sent = { door: door.name, card, writtenAt: performance.now() };
      door.write(card);
      sent.push(tap);
      const queue = waiting.get(`${door.name}|${card}`) ?? [];
      queue.push(tap);
      waiting.set(`${door.name}|${card}`, queue);
      await sleep(Math.max(0, due + options.paceMs / 2 - performance.now()));
      probe.send();
    }
    const replicasOf = (tap: Sent): Map<string, number> | undefined =>
      tap.local === undefined ? undefined : seen.get(`${tap.door}|${tap.card}|${tap.local.at}`);
    const everywhere = (tap: Sent): boolean => (replicasOf(tap)?.size ?? 0) === names.length; // the others and the hub
    await until(() => sent.every(everywhere), CONVERGE_MS, 50);
    const convergedAt = performance.now();
    const cpu = processes.map((door, i) => door.cpuMs() - (cpuBefore[i] ?? 0));
    const siteCores = cpu.reduce((sum, ms) => sum + ms, 0) / (convergedAt - tapsBegan);
    // processes[0] is the hub.
    const hubCpuPerTapMs = (cpu[0] ?? NaN) / options.taps;
    const doorCpuPerTapMs =
      cpu.slice(1).reduce((sum, ms) => sum + ms, 0) / options.doors / options.taps;
    const complete = sent.filter(everywhere);
    const replicas = complete.map(
      (tap) =>
        Math.max(tap.local?.seenAt ?? NaN, ...(replicasOf(tap)?.values() ?? [])) - tap.writtenAt,
    );
    const pairs = complete.flatMap((tap) =>
      [...(replicasOf(tap)?.values() ?? [])].map((at) => at - tap.writtenAt),
    );
    const hubLast = complete.filter((tap) => {
      const times = replicasOf(tap);
      const hubAt = times?.get('hub') ?? -Infinity;
      return [...(times?.values() ?? [])].every((at) => at <= hubAt);
    }).length;
    const toBroker = complete.flatMap((tap) => {
      const at = monitor.taps.get(`${tap.door}|${tap.card}|${tap.local?.at ?? ''}`);
      return at === undefined ? [] : [at - tap.writtenAt];
    });
    const local = sent.flatMap((tap) =>
      tap.local === undefined ? [] : [tap.local.seenAt - tap.writtenAt],
    );
    await sleep(500); // the probes' last acknowledgements
    const probes = { published: probe.published, received: probe.samples.length };
    await probe.end();

    const hubDb = join(root, 'hub', 'badgeclock.db');
    const hubDrained = await until(() => storeCounts(hubDb).pending === 0, 120_000, 200);
    const hubDrainMs = performance.now() - convergedAt;
    const stored = [hub, ...doors].map(
      (door) => storeCounts(join(root, door.name, 'badgeclock.db')).taps,
    );

    // Quiet: nothing changes at the site; the memory door runs meanwhile on a site of its own.
    const quietFrom = { at: performance.now(), requests: server.requests.length };
    // The counters before the memory door's taps go through the same broker.
    const after = await monitor.next();
    const tapMessages = monitor.tapMessages;
    const memory = await doorMemory(broker.url, root, filledRoot, peopleFile);
    await sleep(Math.max(0, quietFrom.at + options.quietSeconds * 1000 - performance.now()));
    const windowMs = performance.now() - quietFrom.at;
    const quietRequests = server.requests.slice(quietFrom.requests);

    const own = after.delivered - before.delivered;
    return {
      doors: options.doors,
      people: PEOPLE,
      taps: options.taps,
      paceMs: options.paceMs,
      siteCores,
      hubCpuPerTapMs,
      doorCpuPerTapMs,
      cores: availableParallelism(),
      startMs,
      replicas: summarise(replicas),
      oneReplica: summarise(pairs),
      toBroker: summarise(toBroker),
      hubLastShare: complete.length === 0 ? NaN : hubLast / complete.length,
      local: summarise(local),
      mqtt: summarise(probe.samples),
      unconverged: sent.length - complete.length,
      oddEvents,
      storedTaps: { min: Math.min(...stored), max: Math.max(...stored) },
      tapMessagesPerTap: tapMessages / options.taps,
      brokerReceivedPerTap: (after.received - before.received - probes.published) / options.taps,
      brokerSentPerTap: (after.sent - before.sent - probes.received - own) / options.taps,
      hubDrainMs,
      hubDrained,
      quiet: {
        windowMs,
        requests: quietRequests.length,
        reads: quietRequests.filter((r) => r.kind === 'read').length,
        writes: quietRequests.filter((r) => r.kind === 'write').length,
        perMinute: (quietRequests.length / windowMs) * 60_000,
      },
      memory,
      fillMs,
      totalMs: performance.now() - began,
    };
  } finally {
    await stopAll(processes);
    await Promise.all(clients.map((client) => client.endAsync()));
    await broker?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const msOf = (value: number): string => `${value.toFixed(1)} ms`;

/** The report's lines. */
export function doorsReport(f: DoorsFigure): string[] {
  const { empty, full } = f.memory;
  const odd = Object.entries(f.oddEvents);
  return [
    `Many doors: ${f.doors} door processes and a hub on one Mosquitto, ${f.people} people, ${f.taps} taps ${f.paceMs} ms apart at random doors (all up in ${(f.startMs / 1000).toFixed(1)} s)`,
    `  tap → every replica (${f.doors} doors' stores and the hub's): p50 ${msOf(f.replicas.p50)}  p99 ${msOf(f.replicas.p99)}  max ${msOf(f.replicas.max)}`,
    `  tap → one other replica (each tap and replica):  p50 ${msOf(f.oneReplica.p50)}  p99 ${msOf(f.oneReplica.p99)}; the hub was the last replica for ${(f.hubLastShare * 100).toFixed(0)} % of the taps`,
    `  where the time goes: tap → its message at a monitoring client of the broker p50 ${msOf(f.toBroker.p50)}  p99 ${msOf(f.toBroker.p99)}`,
    `  baseline, the tap's commit at its own door:        p50 ${msOf(f.local.p50)}  p99 ${msOf(f.local.p99)}  (replicas ${(f.replicas.p50 / f.local.p50).toFixed(1)}x / ${(f.replicas.p99 / f.local.p99).toFixed(1)}x)`,
    `  baseline, raw MQTT.js QoS 1 publish → receive:     p50 ${msOf(f.mqtt.p50)}  p99 ${msOf(f.mqtt.p99)}  (replicas ${(f.replicas.p50 / f.mqtt.p50).toFixed(1)}x / ${(f.replicas.p99 / f.mqtt.p99).toFixed(1)}x)`,
    `  the doors and the hub used ${f.siteCores.toFixed(2)} of this machine's ${f.cores} cores while the taps went round: a tap cost a door ${msOf(f.doorCpuPerTapMs)} of CPU on average, the hub ${msOf(f.hubCpuPerTapMs)}`,
    `  ${f.unconverged === 0 ? 'every tap reached every replica' : `${f.unconverged} taps had not reached every replica after ${CONVERGE_MS / 1000} s (left out above)`}; taps in each store: ${f.storedTaps.min === f.storedTaps.max ? f.storedTaps.min : `${f.storedTaps.min}-${f.storedTaps.max}`}${odd.length === 0 ? '; no late taps, no refolds' : `; ${odd.map(([type, n]) => `${n} ${type}`).join(', ')}`}`,
    `  broker PUBLISH messages a tap ($SYS): ${f.brokerReceivedPerTap.toFixed(2)} received, ${f.brokerSentPerTap.toFixed(2)} sent (${f.tapMessagesPerTap.toFixed(2)} tap messages a tap seen by a monitor)`,
    `  hub's sheet requests with nothing changing: ${f.quiet.requests} in ${(f.quiet.windowMs / 1000).toFixed(0)} s (${f.quiet.reads} reads, ${f.quiet.writes} writes) = ${f.quiet.perMinute.toFixed(2)} a minute (${f.hubDrained ? `the hub's outbox drained ${(f.hubDrainMs / 1000).toFixed(1)} s after the last replica` : `the hub's outbox NOT drained after ${(f.hubDrainMs / 1000).toFixed(0)} s`})`,
    `  a door's memory (VmRSS), empty store:           ${mib(empty.rssStartKiB)} started, ${mib(empty.rssAfterKiB)} after ${RSS_LIVE_TAPS} own + ${RSS_LIVE_TAPS} remote live taps (peak ${mib(empty.hwmKiB)}; up in ${msOf(empty.startMs)})`,
    `  the same door, ${full.mergedTaps} taps / ${full.sessions} sessions in its store (${mib(full.dbBytes / 1024)}): ${mib(full.rssStartKiB)} started (${(full.rssStartKiB / empty.rssStartKiB).toFixed(2)}x), ${mib(full.rssAfterKiB)} after the same taps (${(full.rssAfterKiB / empty.rssAfterKiB).toFixed(2)}x; peak ${mib(full.hwmKiB)}; up in ${msOf(full.startMs)})`,
    `  (this part took ${(f.totalMs / 1000).toFixed(0)} s, ${(f.fillMs / 1000).toFixed(0)} s of it writing the memory door's store)`,
  ];
}

if (require.main === module) {
  doorsBench()
    .then((figure) => {
      for (const line of doorsReport(figure)) process.stdout.write(`${line}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`bench failed: ${String(error)}\n`);
      process.exitCode = 1;
    });
}
